"""Small edges of issue 30 #15: the `coverage --hours` help example works and a bad --hours is
refused before the calls are read; a FIFO input is refused at once instead of hanging."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import run_cli

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys, args):
    return run_cli(capsys, args)


def test_the_coverage_hours_help_example_is_accepted(toy_env, capsys):
    code, text = _run(capsys, ["coverage", "--help"])
    flat = " ".join(text.split())
    example = re.search(r"What-if hours, e\.g\. '([^']+)'", flat).group(1)
    code, text = _run(capsys, ["coverage", "--hours", example])
    assert code in (0, None), text
    assert f"hours {example}" in text


def test_overlapping_hours_are_refused_before_the_calls_are_read(toy_env, capsys):
    code, text = _run(capsys, ["coverage", "--hours", "Mon-Sun 08:00-20:00; Sat 10:00-14:00"])
    assert code == 1 and "overlap" in text
    assert "calls from" not in text  # the options were checked first


@pytest.mark.parametrize(
    "args",
    [
        ["assign", "{fifo}", "-o", "{out}/a.csv"],
        ["geocode", "{fifo}", "-o", "{out}/g.csv", "--address-column", "address"],
        ["coverage", "{fifo}"],
    ],
)
def test_a_fifo_input_is_refused_not_hung(toy_env, tmp_path, args):
    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)
    argv = [a.format(fifo=fifo, out=tmp_path) for a in args]
    env = {**os.environ, **toy_env, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-m", "geo_heart.cli.main", *argv],
        capture_output=True,
        text=True,
        timeout=60,  # it hung for ever before
        env=env,
    )
    assert r.returncode == 1, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "is not a regular file" in last and "in.csv" in last

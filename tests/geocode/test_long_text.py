"""Text longer than the parser's limit (issue 30 #10): 40,000 '(' took 35 s in the usaddress
tokenizer. A batch row gets `invalid` with the reason (one row per input row); a single lookup
is refused in one line."""

from __future__ import annotations

import csv
import time

import pandas as pd
import pytest

from geo_heart.cli.main import main
from geo_heart.geocode.address import MAX_ADDRESS_CHARS, parse_address


@pytest.mark.parametrize("n", [MAX_ADDRESS_CHARS + 1, 40_000, 80_000])
def test_long_text_is_invalid_at_once(n):
    t0 = time.monotonic()
    p = parse_address("(" * n)
    assert time.monotonic() - t0 < 0.5
    assert p.status == "invalid" and f"longer than {MAX_ADDRESS_CHARS} characters" in p.reason


def test_text_at_the_limit_is_parsed():
    text = "100 OAK ST".ljust(MAX_ADDRESS_CHARS)
    assert parse_address(text).status == "ok"


def test_batch_keeps_one_row_per_row_with_a_reason(toy_env, tmp_path, capsys):
    src = tmp_path / "in.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "address"])
        w.writerows([[1, "100 OAK ST"], [2, "(" * 40_000], [3, "102 OAK ST"], [4, "A " * 300]])
    out = tmp_path / "out.csv"
    t0 = time.monotonic()
    with pytest.raises(SystemExit) as info:
        main(["geocode", str(src), "-o", str(out), "--address-column", "address"])
    assert info.value.code in (0, None), capsys.readouterr().err
    assert time.monotonic() - t0 < 30  # was 35 s for the one cell alone
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert got["id"].tolist() == ["1", "2", "3", "4"]
    assert got["address"].str.len().tolist() == [10, 40_000, 10, 600]  # the user's text kept
    assert got["status"].tolist() == ["ok", "invalid", "ok", "invalid"]
    assert got["reason"][1] == "the address is longer than 512 characters (40,000)"
    assert got["beat"][0] != "" and got["beat"][1] == ""


def test_single_lookup_is_refused_in_one_line(toy_env, capsys):
    with pytest.raises(SystemExit) as info:
        main(["lookup", "(" * 40_000])
    err = capsys.readouterr().err
    assert info.value.code == 1 and len(err.strip().splitlines()) == 1
    assert "40,000 characters long; at most 512" in err

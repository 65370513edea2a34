"""Run the geo-heart CLI in-process for a test: its exit code and everything it printed."""

from __future__ import annotations

import pytest

from geo_heart.cli.main import main


def run_cli(capsys, args) -> tuple[int | None, str]:
    """``main(args)``'s exit code and its stdout + stderr (``capsys`` is pytest's fixture)."""
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return info.value.code, out.out + out.err

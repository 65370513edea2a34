"""demand/map with no covered call: the period chart says so instead of crashing (issue 20 #9)."""

from __future__ import annotations

import pandas as pd

from geo_heart.render.periods import period_chart, periods_sentence


def _table(covered: int) -> pd.DataFrame:
    rows = []
    for rules, label in (("before", "Before the program"), ("pilot", "Pilot")):
        for program in ("CRT", "CoR"):
            rows.append(
                {
                    "rules": rules,
                    "label": label,
                    "first_call": "2021-01-01",
                    "last_call": "2021-12-31",
                    "program": program,
                    "eligible": 40,
                    "in_area": 0,
                    "in_hours": 0,
                    "covered": covered if rules == "pilot" else 0,
                    "share_in_area": 0.0,
                    "share_in_hours": 0.0,
                    "share_covered": covered / 40 if rules == "pilot" else 0.0,
                }  # fmt: skip
            )
    return pd.DataFrame(rows)


def test_no_covered_call_still_draws_a_chart(tmp_path):
    png = period_chart(_table(0), tmp_path / "p.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
    assert "No call in the table" in periods_sentence(_table(0))


def test_covered_calls_draw_the_bars(tmp_path):
    png = period_chart(_table(10), tmp_path / "p.png")
    assert png.stat().st_size > 1000
    assert "25.0%" in periods_sentence(_table(10))

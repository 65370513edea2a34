"""Repro 1 of issue 12: a local-time export spanning a DST change parses (no 'Mixed timezones')."""

from __future__ import annotations

import pandas as pd

from geo_heart.analysis.calls import local_times_from_text


def test_offsets_that_change_at_dst_are_honoured():
    s = pd.Series(
        [
            "2024-06-01T10:00:00-04:00",
            "2024-12-01T10:00:00-05:00",
            "2024/03/10 12:00:00+00",
            "2024-07-10 15:00",
            "",
            "garbage",
        ]
    )
    out = local_times_from_text(s, time_zone="America/New_York", area_zone="America/New_York")
    assert out.iloc[0] == pd.Timestamp("2024-06-01 10:00")
    assert out.iloc[1] == pd.Timestamp("2024-12-01 10:00")
    assert out.iloc[2] == pd.Timestamp("2024-03-10 08:00")  # 12:00 UTC is EDT 08:00
    assert out.iloc[3] == pd.Timestamp("2024-07-10 15:00")  # naive: taken as local
    assert pd.isna(out.iloc[4]) and pd.isna(out.iloc[5])
    assert len(out) == len(s)


def test_all_rows_with_mixed_offsets_only():
    s = pd.Series(["2024-06-01T10:00:00-04:00", "2024-12-01T10:00:00-05:00"])
    out = local_times_from_text(s, time_zone="UTC", area_zone="America/New_York")
    assert list(out) == [pd.Timestamp("2024-06-01 10:00"), pd.Timestamp("2024-12-01 10:00")]

"""Expansion from today's rules (hours, county areas, call types) on the toy town."""

from __future__ import annotations

import numpy as np

import geo_heart.expansion as ex


def test_hours_county_and_types_add_what_an_independent_count_says(toy):
    data = toy.load_calls()
    table = ex.today_candidates(toy, data)
    f = data.frame
    progs = toy.config.programs_under()
    hour = np.where(f["minute_of_week"] >= 0, (f["minute_of_week"] // 60) % 24, -1)
    for code, p in progs.items():
        # independent: calls the program takes by type, in its area, outside its hours
        closed = ~p.hours.is_open_minutes(np.maximum(f["minute_of_week"].to_numpy(), 0))
        expected = int((f[f"{code}_type"] & f[f"{code}_area"] & closed & (hour >= 0)).sum())
        row = table[(table["kind"] == "hours") & (table["program"] == code)]
        got = row[row["candidate"] == "all closed hours (24/7)"]["adds_calls"]
        assert int(got.iloc[0]) == expected, code
        per_hour = row[row["candidate"].str.contains(":00-")]["adds_calls"].sum()
        assert per_hour == expected
    # the toy's beat 99 is outside the town: its type-eligible calls within hours are a candidate
    county = table[table["kind"] == "county"]
    assert county["candidate"].tolist() == ["beat 99"]
    assert (table["adds_calls"] >= 0).all() and set(table["kind"]) <= {
        "hours",
        "county",
        "call_type",
    }
    assert ex.partial_coverage(toy.config, toy.config.rule_set())  # CRT serves only the pilot
    assert "Hours" in ex.today_text(table, toy.config.rule_set())

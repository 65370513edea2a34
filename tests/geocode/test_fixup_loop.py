"""Overrides table and --retry-failed (fast: every retried row is fixed by a point override)."""

from __future__ import annotations

import pandas as pd
import pytest

from geo_heart.errors import InputError
from geo_heart.geocode import fixup


def _previous(df, statuses):
    names = fixup.result_names(df.columns)
    prev = df.copy()
    for name in names.values():
        prev[name] = ""
    prev[names["status"]] = statuses
    prev[names["match_type"]] = ["block" if s == "ok" else "unmatched" for s in statuses]
    prev[names["lon"]] = ["-78.9" if s == "ok" else "" for s in statuses]
    prev[names["lat"]] = ["35.99" if s == "ok" else "" for s in statuses]
    prev[names["beat"]] = ["513" if s == "ok" else "" for s in statuses]
    prev[names["in_service_area"]] = ["True" if s == "ok" else "False" for s in statuses]
    return prev


def test_read_overrides_checks_rows(tmp_path):
    p = tmp_path / "o.csv"
    p.write_text("address,corrected_address,lon,lat,note\nFOO ST,,,,\n")
    with pytest.raises(InputError, match="row 2: give corrected_address or lon and lat"):
        fixup.read_overrides(p)
    p.write_text("address,lon,lat\nFOO ST,-200,35\n")
    with pytest.raises(InputError, match="row 2: lon='-200'"):
        fixup.read_overrides(p)
    p.write_text("address,corrected_address\nfoo  st,1 MAIN ST\nFOO ST,2 MAIN ST\n")
    with pytest.raises(InputError, match="more than once"):
        fixup.read_overrides(p)
    p.write_text("address,corrected_address,note\n  foo   st ,1 MAIN ST,typo\n")
    t = fixup.read_overrides(p)
    assert t.loc["FOO ST", "corrected_address"] == "1 MAIN ST"


def test_retry_failed_only_reruns_failures_and_keeps_order(workspace, tmp_path):
    df = pd.DataFrame({"id": ["1", "2", "3", "4"], "ADDR": ["A ST", "NOWHERE", "B ST", "xx yy"]})
    prev = _previous(df, ["ok", "unmatched", "ok", "invalid"])
    ov_path = tmp_path / "o.csv"
    ov_path.write_text(
        "address,corrected_address,lon,lat,note\n"
        "nowhere,,-78.9016,35.9960,shelter\n"
        "XX YY,,-78.8772,35.9944,park entrance\n"
    )
    ov = fixup.read_overrides(ov_path)
    out, info = fixup.retry_failed(workspace, df, prev, address_column="ADDR", overrides=ov)
    assert info == {"retried": 2, "fixed": 2}
    assert out["id"].tolist() == ["1", "2", "3", "4"]
    assert out["ADDR"].tolist() == df["ADDR"].tolist()  # user's text kept
    assert out["override"].tolist() == ["", "point", "", "point"]
    assert out["override_note"].tolist() == ["", "shelter", "", "park entrance"]
    assert out.loc[1, "beat"] == "512" and out.loc[1, "match_type"] == "override_point"
    assert out.loc[0, "beat"] == "513" and out.loc[0, "lon"] == pytest.approx(-78.9)
    assert out["status"].tolist() == ["ok", "ok", "ok", "ok"]


def test_retry_failed_refuses_another_input(workspace):
    df = pd.DataFrame({"ADDR": ["A ST", "B ST"]})
    prev = _previous(pd.DataFrame({"ADDR": ["A ST", "C ST"]}), ["ok", "unmatched"])
    with pytest.raises(InputError, match="row 3 of the previous output"):
        fixup.retry_failed(workspace, df, prev, address_column="ADDR")
    with pytest.raises(InputError, match="has 1 rows, the input 2"):
        fixup.retry_failed(workspace, df, prev.head(1), address_column="ADDR")

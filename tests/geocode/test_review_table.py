"""``geocode --review`` (a fill-in overrides table of failed and unsure rows) and
``--point-for-beat-only`` (toy area)."""

from __future__ import annotations

import contextlib
import json

import numpy as np
import pandas as pd
import pytest


def _copy_on_write(on: bool):
    """pandas 2's opt-in copy-on-write (pandas 3 always has it): results must not share
    read-only or untracked arrays with the input."""
    if on and int(pd.__version__.split(".")[0]) < 3:
        return pd.option_context("mode.copy_on_write", True)
    return contextlib.nullcontext()


def _run(args, capsys):
    from geo_heart.cli.main import main

    with pytest.raises(SystemExit) as info:
        main(args)
    captured = capsys.readouterr()
    assert info.value.code == 0, captured.err
    return captured


def test_review_table_lists_failures_ready_to_fill_in(toy_env, tmp_path, capsys):
    texts = ["100 OAK ST", "999 NOWHERE RD", "OAK ST", "999 nowhere  rd", "100 OAK ST",
             "MAIN ST", "999 NOWHERE RD"]  # fmt: skip
    src = tmp_path / "calls.csv"
    pd.DataFrame({"ID": range(1, 8), "ADDRESS": texts}).to_csv(src, index=False)
    out, review = tmp_path / "geo.csv", tmp_path / "review.csv"
    got = _run(["geocode", str(src), "-o", str(out), "--address-column", "ADDRESS",
                "--review", str(review), "--json"], capsys)  # fmt: skip
    summary = json.loads(got.out)
    assert summary["review"] == {"path": str(review), "addresses": 3, "rows": 5}
    t = pd.read_csv(review, dtype=str, keep_default_na=False)
    assert list(t.columns[:5]) == ["address", "corrected_address", "lon", "lat", "note"]
    assert list(t.columns[5:]) == ["status", "reason", "match_type", "score", "beat",
                                   "candidates", "rows", "first_row"]  # fmt: skip
    # one line per address as overrides match them (case and spaces ignored), most rows first
    assert t["address"].tolist() == ["999 NOWHERE RD", "OAK ST", "MAIN ST"]
    assert t["rows"].tolist() == ["3", "1", "1"] and t["first_row"].tolist() == ["2", "3", "6"]
    assert t["status"].tolist() == ["unmatched", "approximate", "unmatched"]
    assert (t[["corrected_address", "lon", "lat", "note"]] == "").all().all()
    assert "OAK ST" in t.loc[1, "candidates"] and "beat 1" in t.loc[1, "candidates"]
    assert t.loc[1, "reason"] != ""
    # filled in (one line; the others left empty) it is the next run's --overrides
    t.loc[0, ["lon", "lat", "note"]] = ["-99.995", "40.015", "checked on the map"]
    t.to_csv(review, index=False)
    out2 = tmp_path / "geo2.csv"
    _run(["geocode", str(src), "-o", str(out2), "--address-column", "ADDRESS", "--retry-failed",
          str(out), "--overrides", str(review), "-q"], capsys)  # fmt: skip
    g = pd.read_csv(out2, dtype=str, keep_default_na=False)
    assert g["beat"].tolist() == ["11", "21", "", "21", "11", "", "21"]
    assert g["override"].tolist()[1] == "point"


def test_review_refuses_a_non_csv_before_work(toy_env, tmp_path, capsys):
    from geo_heart.cli.main import main

    src = tmp_path / "calls.csv"
    pd.DataFrame({"ADDRESS": ["100 OAK ST"]}).to_csv(src, index=False)
    with pytest.raises(SystemExit) as info:
        main(["geocode", str(src), "-o", str(tmp_path / "g.csv"), "--address-column", "ADDRESS",
              "--review", str(tmp_path / "r.gpkg")])  # fmt: skip
    assert info.value.code == 2
    assert "the review table is a .csv file" in capsys.readouterr().err
    assert not (tmp_path / "g.csv").exists()


@pytest.mark.parametrize("cow", [False, True], ids=["default", "copy_on_write"])
def test_beat_points_flagged_inside_their_beat(toy, cow):
    from geo_heart.geocode.review import BEAT_POINT, add_beat_points

    names = {c: c for c in ("lon", "lat", "beat", "status")}
    frame = pd.DataFrame(
        {
            "lon": [np.nan, -99.9995, np.nan, np.nan],
            "lat": [np.nan, 40.0049, np.nan, np.nan],
            "beat": ["12", "11", None, "22"],
            "status": ["beat_only", "ok", "unmatched", "approximate"],
        }
    )
    with _copy_on_write(cow):
        out, n = add_beat_points(toy, frame, names)
    assert n == 1
    assert out["point_kind"].tolist() == [BEAT_POINT, "match", "", ""]
    hit = toy.beat_index.assign(out["lon"].to_numpy()[:1], out["lat"].to_numpy()[:1])
    assert list(hit["beat"]) == ["12"]  # a point inside its own beat, not on an edge
    assert out.loc[1, "lon"] == -99.9995  # the geocoder's points are kept
    assert np.isnan(out.loc[2, "lon"]) and np.isnan(out.loc[3, "lon"])


def test_point_for_beat_only_cli(toy_env, tmp_path, capsys, monkeypatch):
    """The CLI flag reaches every row kind: a made-up geocoder answer of beat_only."""
    from geo_heart.geocode import match

    real = match.Geocoder.geocode_many

    def fake(self, texts):
        res = real(self, texts)
        hit = pd.Series(texts).astype(str).str.startswith("1300").to_numpy()
        res.loc[hit, ["lon", "lat"]] = np.nan
        res.loc[hit, "status"] = "beat_only"
        return res

    monkeypatch.setattr(match.Geocoder, "geocode_many", fake)
    src = tmp_path / "calls.csv"
    pd.DataFrame({"ADDRESS": ["100 OAK ST", "1300 OAK ST"]}).to_csv(src, index=False)
    for name in ("g.csv", "g.gpkg"):
        out = tmp_path / name
        got = _run(["geocode", str(src), "-o", str(out), "--address-column", "ADDRESS",
                    "--point-for-beat-only", "--json"], capsys)  # fmt: skip
        assert json.loads(got.out)["beat_points"] == 1
        from geo_heart.io.tables import read_table

        t = read_table(out)
        assert [str(v) for v in t["point_kind"]] == ["match", "beat_point"]
        assert float(t["lon"].iloc[1]) < -99.98  # beat 12's inside point


def test_review_over_another_file_is_refused(toy_env, tmp_path, capsys):
    from geo_heart.cli.main import main

    src = tmp_path / "calls.csv"
    pd.DataFrame({"ADDRESS": ["100 OAK ST"]}).to_csv(src, index=False)
    out = tmp_path / "g.csv"
    for review, label in ((src, "is the input file"), (out, "is the output file")):
        with pytest.raises(SystemExit) as info:
            main(["geocode", str(src), "-o", str(out), "--address-column", "ADDRESS",
                  "--review", str(review)])  # fmt: skip
        assert info.value.code == 1
        assert label in capsys.readouterr().err
    assert src.read_text().startswith("ADDRESS") and not out.exists()

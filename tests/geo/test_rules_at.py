"""``--at-column``: rules at each row's own time (toy area with dated rule sets; Durham eras)."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest

from geo_heart.area import Area

RULES = """
[[rules]]
name = "pilot"
label = "Pilot"
effective_from = 2022-06-27
service_area = "pilot"

[[rules]]
name = "citywide"
label = "Whole town"
effective_from = 2023-10-23
service_area = "citywide"

[rules.programs.CRT]
service_area = "citywide"
"""

IN_PILOT = (-99.995, 40.005)  # beat 11, the toy pilot
OUTSIDE_PILOT = (-99.985, 40.005)  # beat 12


@pytest.fixture(scope="module")
def dated(toy_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("dated")
    toml = d / "dated.toml"
    toml.write_text((toy_dir / "toy.toml").read_text() + RULES)
    return Area.load(toml, data_dir=toy_dir, cache_dir=d / "cache")


def _rows() -> pd.DataFrame:
    rows = [
        ("pilot-outside", OUTSIDE_PILOT, "2022-08-15 14:00:00+00"),
        ("pilot-inside", IN_PILOT, "2022-08-15 14:00:00+00"),
        ("citywide", OUTSIDE_PILOT, "2024-03-10 18:00:00+00"),
        ("before", IN_PILOT, "2021-05-01 10:00:00+00"),
        # the switch is at local midnight (America/Chicago): 04:59 UTC is 23:59 the day before
        ("eve", OUTSIDE_PILOT, "2023-10-23 04:59:00+00"),
        ("day", OUTSIDE_PILOT, "2023-10-23 05:00:00+00"),
        ("no-time", IN_PILOT, "not a time"),
    ]
    return pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "lon": [r[1][0] for r in rows],
            "lat": [r[1][1] for r in rows],
            "WHEN": [r[2] for r in rows],
        }
    )


EXPECT = {  # id: (in_service_area, rules, service_area, programs)
    "pilot-outside": (False, "pilot", "pilot", "CCD"),
    "pilot-inside": (True, "pilot", "pilot", "CCD,CRT,CoR"),
    "citywide": (True, "citywide", "citywide", "CCD,CRT"),
    "before": (False, "none", "", ""),
    "eve": (False, "pilot", "pilot", "CCD"),
    "day": (True, "citywide", "citywide", "CCD,CRT"),
    "no-time": (False, "", "", ""),
}


def _check(out: pd.DataFrame) -> None:
    got = {
        r.id: (bool(r.in_service_area), r.rules, r.service_area or "", r.programs or "")
        for r in out.fillna("").itertuples()
    }
    assert got == EXPECT


def test_library_assign_at_column(dated):
    out = dated.assign(_rows(), at_column="WHEN", census=False)
    assert list(out["beat"]) == ["12", "11", "12", "11", "12", "12", "11"]
    _check(out)
    # without it, today's rules (citywide here) judge every row and no columns are added
    today = dated.assign(_rows(), census=False)
    assert today["in_service_area"].all() and "rules" not in today.columns


def test_dst_edges_and_time_zone(dated):
    t = pd.DataFrame(
        {
            "lon": [OUTSIDE_PILOT[0]] * 3,
            "lat": [OUTSIDE_PILOT[1]] * 3,
            # naive local times: a repeated hour, a skipped hour, the evening before the switch
            "WHEN": ["2023-11-05 01:30", "2023-03-12 02:30", "2023-10-22 23:59"],
        }
    )
    from geo_heart.geo.rules_at import judge_column

    j = judge_column(dated.config, t, ["12"] * 3, at_column="WHEN", time_zone="America/Chicago")
    assert j.rules.tolist() == ["citywide", "pilot", "pilot"]
    assert j.counts["dst_ambiguous_first"] == 1 and j.counts["dst_nonexistent_shifted"] == 1
    # the same wall times read as UTC: 2023-10-22 23:59 UTC is 18:59 in Chicago, still pilot
    u = judge_column(dated.config, t, ["12"] * 3, at_column="WHEN", time_zone="UTC")
    assert u.counts["dst_ambiguous_first"] == 0 and u.rules.tolist()[2] == "pilot"


def test_cli_agrees_with_library(dated, tmp_path, monkeypatch, capsys, toy_dir):
    from geo_heart.cli.main import main

    monkeypatch.setenv("GEO_HEART_DATA", str(toy_dir))
    monkeypatch.setenv("GEO_HEART_AREA", str(dated.config.path))
    monkeypatch.setenv("GEO_HEART_CACHE", str(tmp_path / "cache"))
    f = tmp_path / "pts.csv"
    _rows().to_csv(f, index=False)
    out = tmp_path / "out.gpkg"
    with pytest.raises(SystemExit) as info:
        main(["assign", str(f), "-o", str(out), "--at-column", "WHEN", "--json"])
    assert info.value.code == 0, capsys.readouterr().err
    summary = json.loads(capsys.readouterr().out)
    assert summary["rules"]["by_rules"] == {"pilot": 3, "citywide": 2, "none": 1}
    assert summary["rules"]["time_not_read"] == 1
    import geopandas as gpd

    _check(pd.DataFrame(gpd.read_file(out)))
    # without --at-column the rules used are named in the GeoPackage's metadata and the summary
    out2 = tmp_path / "today.gpkg"
    with pytest.raises(SystemExit) as info:
        main(["assign", str(f), "-o", str(out2)])
    assert info.value.code == 0
    said = capsys.readouterr().err + capsys.readouterr().out
    con = sqlite3.connect(out2)
    (xml,) = con.execute("SELECT metadata FROM gpkg_metadata").fetchone()
    con.close()
    assert '"geo_heart_rules_rules">citywide<' in xml
    assert "judged under the rules in force today" in said
    # CSV: a sidecar names them
    out3 = tmp_path / "today.csv"
    with pytest.raises(SystemExit):
        main(["assign", str(f), "-o", str(out3)])
    note = json.loads((tmp_path / "today.csv.rules.json").read_text())
    assert note["judged"] == "today" and note["rules"] == "citywide"


def test_cli_refuses_missing_at_column(dated, tmp_path, monkeypatch, capsys, toy_dir):
    from geo_heart.cli.main import main

    monkeypatch.setenv("GEO_HEART_DATA", str(toy_dir))
    monkeypatch.setenv("GEO_HEART_AREA", str(dated.config.path))
    monkeypatch.setenv("GEO_HEART_CACHE", str(tmp_path / "cache"))
    f = tmp_path / "pts.csv"
    _rows().to_csv(f, index=False)
    with pytest.raises(SystemExit) as info:
        main(["assign", str(f), "-o", str(tmp_path / "o.csv"), "--at-column", "NOPE"])
    assert info.value.code == 1
    assert "no --at-column 'NOPE'" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_geocode_at_column_library_and_cli(dated, tmp_path, monkeypatch, capsys, toy_dir):
    from geo_heart.cli.main import main

    t = pd.DataFrame(
        {
            "ADDRESS": ["100 OAK ST", "100 OAK ST", "100 OAK ST"],
            "WHEN": ["2022-08-15 14:00:00+00", "2024-03-10 18:00:00+00", "2021-01-01 10:00:00+00"],
        }
    )
    lib = dated.geocode(t, address="ADDRESS", at_column="WHEN")
    assert lib["rules"].tolist() == ["pilot", "citywide", "none"]
    beat = lib["beat"].iloc[0]
    assert beat is not None
    in_pilot = beat == "11"
    assert lib["in_service_area"].tolist() == [in_pilot, True, False]
    monkeypatch.setenv("GEO_HEART_DATA", str(toy_dir))
    monkeypatch.setenv("GEO_HEART_AREA", str(dated.config.path))
    monkeypatch.setenv("GEO_HEART_CACHE", str(tmp_path / "cache"))
    f = tmp_path / "a.csv"
    t.to_csv(f, index=False)
    for name in ("g.csv", "g.gpkg"):
        with pytest.raises(SystemExit) as info:
            main(["geocode", str(f), "-o", str(tmp_path / name), "--address-column", "ADDRESS",
                  "--at-column", "WHEN", "-q"])  # fmt: skip
        assert info.value.code == 0, capsys.readouterr().err
        from geo_heart.io.tables import read_table

        cli = read_table(tmp_path / name)
        assert cli["rules"].tolist() == ["pilot", "citywide", "none"]
        assert [str(v).lower() == "true" for v in cli["in_service_area"]] == [in_pilot, True, False]
        assert cli["programs"].fillna("").tolist() == lib["programs"].fillna("").tolist()


def test_durham_eras(workspace):
    """Durham's dated rules: 2022-08 pilot (beat 121 outside, 111 inside), 2024 citywide, 2021
    before HEART; times as in the incident table (UTC with an offset)."""
    t = pd.DataFrame(
        {
            "lon": [-78.80696, -78.89055, -78.80696, -78.89055],
            "lat": [36.03556, 36.00169, 36.03556, 36.00169],
            "DATE_REPT": ["2022/08/15 14:00:00+00", "2022/08/15 14:00:00+00",
                          "2024/03/10 12:00:00+00", "2021/05/01 10:00:00+00"],
        }
    )  # fmt: skip
    out = workspace.assign(t, at_column="DATE_REPT", census=False)
    assert out["beat"].tolist() == ["121", "111", "121", "111"]
    assert out["in_service_area"].tolist() == [False, True, True, False]
    assert out["rules"].tolist() == ["pilot", "pilot", "citywide", "none"]
    assert out["service_area"].tolist() == ["pilot", "pilot", "citywide", ""]
    assert out["programs"].tolist()[0] == "CCD"  # CCD was citywide in the pilot era
    assert out["programs"].tolist()[3] == ""

"""Coverage: internally consistent shares, scenarios from the area file, options and a file."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geo_heart.analysis.calls import load_calls
from geo_heart.analysis.coverage import (
    coverage_table,
    coverage_text,
    hours_from_text,
    resolve_what_ifs,
    what_if_from_options,
    what_if_from_scenario,
    what_ifs_from_file,
)
from geo_heart.errors import ConfigError, InputError


@pytest.fixture(scope="module")
def durham_calls(workspace):
    # every call judged under the pilot's rules (the retrospective the what-ifs compare against)
    return load_calls(workspace, rules="pilot")


@pytest.fixture(scope="module")
def table(workspace, durham_calls):
    wis = resolve_what_ifs(workspace, scenarios=["citywide_12h"], rules="pilot")
    return coverage_table(durham_calls, wis)


@pytest.mark.slow
def test_coverage_is_internally_consistent(table):
    assert set(table["scenario"]) == {"current", "citywide_12h"}
    for r in table.itertuples():
        assert r.covered <= min(r.in_area, r.in_hours), r
        assert max(r.in_area, r.in_hours) <= r.eligible, r
        if r.eligible:
            assert r.share_covered == pytest.approx(r.covered / r.eligible, abs=1e-4)
            assert r.share_covered <= min(r.share_in_area, r.share_in_hours)


@pytest.mark.slow
def test_current_coverage_matches_the_call_frame(table, durham_calls):
    f = durham_calls.frame
    cur = table[table["scenario"] == "current"].set_index("program")
    for p in ("CCD", "CRT", "CoR"):
        assert cur.loc[p, "eligible"] == int(f[f"{p}_type"].sum())
        assert cur.loc[p, "covered"] == int(f[p].sum())
        assert cur.loc[p, "in_area"] == int((f[f"{p}_type"] & f[f"{p}_area"]).sum())
    # CCD is citywide: every placed CCD-type call is in its area
    placed_ccd = int((f["CCD_type"] & f["beat"].notna()).sum())
    assert cur.loc["CCD", "in_area"] == placed_ccd


@pytest.mark.slow
def test_citywide_12h_widens_crt(table):
    t = table.set_index(["scenario", "program"])
    cur, wide = t.loc[("current", "CRT")], t.loc[("citywide_12h", "CRT")]
    assert wide["eligible"] == cur["eligible"]
    assert wide["in_area"] > cur["in_area"]
    # citywide: only unplaced calls are outside the area
    assert wide["share_in_area"] > 0.99
    assert wide["covered"] > cur["covered"]
    # CCD is not part of the scenario: unchanged
    assert t.loc[("citywide_12h", "CCD"), "covered"] == t.loc[("current", "CCD"), "covered"]
    assert "CRT" in coverage_text(table) and "citywide_12h" in coverage_text(table)


def _tiny(workspace, tmp_path):
    pd.DataFrame(
        {
            "REPORTEDAS": ["TRESPASS", "TRESPASS", "TRESPASS", "ATTEMPTED SUICI"],
            # Mon 11:00, Mon 22:00, Sat 12:00, Mon 11:00 local (Durham's DATE_REPT: local clock)
            "DATE_REPT": ["2023/06/05 11:00:00+00", "2023/06/05 22:00:00+00",
                          "2023/06/10 12:00:00+00", "2023/06/05 11:00:00+00"],
            "BEAT": ["111", "121", "111", "421"],
        }
    ).to_csv(tmp_path / "c.csv", index=False)  # fmt: skip
    return load_calls(workspace, tmp_path / "c.csv")


def test_what_if_from_options(workspace, tmp_path):
    data = _tiny(workspace, tmp_path)
    base = coverage_table(data, [what_if_from_scenario(workspace.config, "current", "pilot")])
    crt = base.set_index("program").loc["CRT"]
    assert (crt["eligible"], crt["in_area"], crt["in_hours"], crt["covered"]) == (3, 2, 2, 2)
    wi = what_if_from_options(
        workspace, beats="121", hours="Mon-Sun 20:00-23:00", programs=["CRT"], rules="pilot"
    )
    t = coverage_table(data, [wi]).set_index("program")
    assert (t.loc["CRT", "in_area"], t.loc["CRT", "in_hours"], t.loc["CRT", "covered"]) == (1, 1, 1)
    # CoR unchanged by a CRT-only what-if: attempted suicide in 421 is outside the pilot
    assert t.loc["CoR", "in_area"] == 0 and t.loc["CoR", "eligible"] == 1
    wi = what_if_from_options(workspace, beats="citywide", rules="pilot")
    assert coverage_table(data, [wi]).set_index("program").loc["CoR", "covered"] == 1


def test_scenario_file(workspace, tmp_path):
    data = _tiny(workspace, tmp_path)
    f = tmp_path / "whatif.toml"
    f.write_text(
        '[scenarios.north]\nlabel = "Pilot plus 121"\nprograms = ["CRT"]\n'
        'beats = ["111", "121"]\nhours = [{ days = "Mon-Sun", start = "00:00", end = "24:00" }]\n'
    )
    (wi,) = what_ifs_from_file(workspace, f, rules="pilot")
    t = coverage_table(data, [wi]).set_index("program")
    assert wi.label == "Pilot plus 121" and t.loc["CRT", "covered"] == 3
    f.write_text('[scenarios.bad]\nbeats = ["777"]\n')
    with pytest.raises(ConfigError, match="777"):
        what_ifs_from_file(workspace, f)
    f.write_text('[scenarios.bad]\nbeats = ["111"]\ncolour = "red"\n')
    with pytest.raises(ConfigError, match="scenarios.bad.colour: unknown key"):
        what_ifs_from_file(workspace, f)


def test_bad_options(workspace):
    with pytest.raises(InputError, match="unknown scenario 'nope'"):
        what_if_from_scenario(workspace.config, "nope")
    with pytest.raises(InputError, match="not beats of the layer"):
        what_if_from_options(workspace, beats="111,777")
    with pytest.raises(InputError, match="expected DAYS START-END"):
        hours_from_text("all day")
    with pytest.raises(InputError, match="unknown program"):
        what_if_from_options(workspace, hours="24/7", programs=["XYZ"])
    assert hours_from_text("Mon-Fri 09:00-17:00").describe() == "Mon-Fri 09:00-17:00"


def test_coverage_cli_json_and_files(cli_env, tmp_path):
    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    _tiny_csv = tmp_path / "c.csv"
    pd.DataFrame(
        {"REPORTEDAS": ["TRESPASS"], "DATE_REPT": ["2023/06/05 15:00:00+00"], "BEAT": ["111"]}
    ).to_csv(_tiny_csv, index=False)
    r = CliRunner().invoke(
        cli,
        ["coverage", str(_tiny_csv), "--scenario", "citywide_12h", "--beats", "pilot,121",
         "--hours", "Mon-Sun 08:00-22:00", "-o", str(tmp_path / "o"), "--json"],
        catch_exceptions=False,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    scen = {row["scenario"] for row in doc["coverage"]}
    assert scen == {"current", "citywide_12h", "custom"}
    crt = [row for row in doc["coverage"] if row["program"] == "CRT"]
    assert all(row["covered"] == 1 for row in crt)
    assert (tmp_path / "o" / "coverage.csv").exists() and (
        tmp_path / "o" / "coverage.json"
    ).exists()

"""Demand tables: the per-beat counts reproduce an independent hand count with plain pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from geo_heart.analysis.calls import load_calls
from geo_heart.analysis.demand import (
    beat_demand,
    hour_of_week_demand,
    monthly_demand,
    population_by_beat,
)
from geo_heart.render.tables import write_demand_tables

# Raw REPORTEDAS values of the 2021-2024 file that name a HEART-relevant type, written out by hand
# from the call-type table of boundaries/durham.toml: raw code -> (type, weapon/violence flag).
HAND = {
    "ABUSE": ("abuse", False),
    "ABUSE / ABANDON": ("abuse", False),
    "ATTEMPTED SUICI": ("attempted_suicide", False),
    "CARELESS AND RE": ("reckless_activity", False),
    "CCD - CRISIS CA": ("mental_health_crisis", False),
    "CCD - MENTAL HE": ("mental_health_crisis", False),
    "CCD - SUICIDE T": ("suicide_threat", False),
    "COR - ABUSE / N": ("abuse", True),
    "COR - ABUSE OR": ("abuse", True),
    "COR - ATTEMPTED": ("attempted_suicide", True),
    "COR - CRISIS -": ("mental_health_crisis", True),
    "COR - CRISIS WI": ("mental_health_crisis", True),
    "COR - CUSTODY I": ("custody_issue", True),
    "COR - DISTURBAN": ("disturbance", True),
    "COR - DOMESTIC": ("domestic_violence", True),
    "COR - HARASSMEN": ("harassment", True),
    "COR - INDECENT": ("public_indecency", True),
    "COR - INVOLUNTA": ("involuntary_commitment", True),
    "COR - SUICIDE T": ("suicide_threat", True),
    "COR - URGENT WE": ("welfare_check_urgent", True),
    "CRISIS": ("mental_health_crisis", False),
    "CRISIS - VIOLEN": ("mental_health_crisis", True),
    "CRISIS WITH WEA": ("mental_health_crisis", True),
    "CRT - FAMILY DI": ("disturbance", False),
    "CRT - HARASSMEN": ("harassment", False),
    "CRT - INDECENT": ("public_indecency", False),
    "CRT - LOST PERS": ("lost_person", False),
    "CRT - MENTAL HE": ("mental_health_crisis", False),
    "CRT - NON URG W": ("welfare_check_non_urgent", False),
    "CRT - NUISANCE": ("nuisance", False),
    "CRT - SUICIDE T": ("suicide_threat", False),
    "CRT - TRESPASS": ("trespass", False),
    "CRT - URGENT WE": ("welfare_check_urgent", False),
    "DISTURBANCE": ("disturbance", False),
    "DISTURBANCE WIT": ("disturbance", True),
    "DOMESTIC DIST /": ("domestic_violence", False),
    "DOMESTIC VIOLEN": ("domestic_violence", True),
    "DOMESTIC WITH A": ("domestic_violence", True),
    "FIGHT": ("disturbance", True),
    "HARASS /  STALK": ("harassment", False),
    "HARASSMENT": ("harassment", False),
    "HEART ASSIST": ("behavioral_health_other", False),
    "INDECENCY OR  L": ("public_indecency", False),
    "INDECENT": ("public_indecency", False),
    "INTOXICATED PER": ("intoxicated_person", False),
    "INVOLUNTARY COM": ("involuntary_commitment", False),
    "MENTAL DISORDER": ("mental_health_crisis", False),
    "PANHANDLING OR": ("panhandling", False),
    "PARENTAL OR CUS": ("custody_issue", False),
    "PROSTITUTION": ("prostitution", False),
    "PSYCHIATRIC": ("mental_health_crisis", False),
    "SUICIDAL /  ATT": ("suicide_threat", False),
    "SUICIDE THREAT": ("suicide_threat", False),
    "THREATS": ("threat", False),
    "TRESPASS OR UNW": ("trespass", False),
    "URGENT WELFARE": ("welfare_check_urgent", False),
    "WELFARE CHECK": ("welfare_check_non_urgent", False),
}
CCD_TYPES = {"suicide_threat", "mental_health_crisis", "behavioral_health_other"}
CRT_TYPES = {
    "suicide_threat", "mental_health_crisis", "trespass", "welfare_check_urgent",
    "welfare_check_non_urgent", "intoxicated_person", "panhandling", "nuisance", "prostitution",
    "public_indecency", "lost_person",
}  # fmt: skip
COR_TYPES = {"attempted_suicide", "custody_issue", "involuntary_commitment"}
COR_RISK_TYPES = {
    "trespass", "intoxicated_person", "panhandling", "nuisance", "public_indecency",
    "prostitution", "disturbance", "harassment", "threat", "reckless_activity", "abuse",
    "domestic_violence",
}  # fmt: skip
PILOT = {"111", "112", "113", "114", "122", "214", "223", "411", "413", "511", "512", "513"}


@pytest.fixture(scope="module")
def durham_calls(workspace):
    return load_calls(workspace)


@pytest.fixture(scope="module")
def beat_table(workspace, durham_calls):
    return beat_demand(workspace, durham_calls)


@pytest.fixture(scope="module")
def hand(data_dir):
    """Eligibility by hand, with plain pandas only."""
    df = pd.read_csv(data_dir / "incidents_2021_2024.csv", dtype=str, keep_default_na=False)
    typ = df["REPORTEDAS"].map(lambda c: HAND.get(c, (None, False))[0])
    risk = df["REPORTEDAS"].map(lambda c: HAND.get(c, (None, False))[1]).astype(bool)
    # DATE_REPT's clock is local wall time despite its '+00' (SOURCES.md); a stamp of exactly
    # 00:00:00 is a date only, whose time of day is HOUR_REPT (HHMM)
    local = pd.to_datetime(
        df["DATE_REPT"].str.replace("+00", "", regex=False), format="%Y/%m/%d %H:%M:%S"
    )
    hhmm = pd.to_numeric(df["HOUR_REPT"], errors="coerce")
    stamp = local.dt.strftime("%H:%M:%S") == "00:00:00"
    fill = stamp & hhmm.notna() & (hhmm > 0)
    local = local.where(
        ~fill,
        local.dt.normalize()
        + pd.to_timedelta((hhmm // 100).fillna(0), unit="h")
        + pd.to_timedelta((hhmm % 100).fillna(0), unit="m"),
    )
    weekday, hour = local.dt.day_of_week, local.dt.hour
    weekdays_9_17 = (weekday <= 4) & (hour >= 9) & (hour < 17)
    daily_10_21 = (hour >= 10) & (hour < 21)
    daily_9_21 = (hour >= 9) & (hour < 21)
    daily_6_21 = (hour >= 6) & (hour < 21)
    # each call under the rules of its own local date (boundaries/durham.toml [[rules]])
    day = local.dt.strftime("%Y-%m-%d")
    pilot = (day >= "2022-06-27") & (day < "2023-10-23")
    cor_started = day >= "2022-09-26"
    citywide = day >= "2023-10-23"
    in_pilot = df["BEAT"].isin(PILOT)
    in_city = df["BEAT"] != ""
    out = pd.DataFrame({"beat": df["BEAT"]})
    out["CCD_type"] = typ.isin(CCD_TYPES)
    out["CRT_type"] = typ.isin(CRT_TYPES) & ~risk
    out["CoR_type"] = typ.isin(COR_TYPES) | (typ.isin(COR_RISK_TYPES) & risk)
    out["CCD"] = out["CCD_type"] & in_city & (pilot & weekdays_9_17 | citywide & daily_9_21)
    out["CRT"] = out["CRT_type"] & (
        pilot & in_pilot & daily_10_21 | citywide & in_city & daily_9_21
    )
    out["CoR"] = out["CoR_type"] & (
        pilot & cor_started & in_pilot & weekdays_9_17 | citywide & in_city & daily_6_21
    )
    out = out[out["beat"] != ""]
    return out.groupby("beat").sum()


@pytest.mark.slow
@pytest.mark.parametrize("program", ["CCD", "CRT", "CoR"])
def test_eligible_per_beat_matches_hand_count(beat_table, hand, program):
    t = beat_table.set_index("beat")
    expected_type = hand[f"{program}_type"].reindex(t.index, fill_value=0)
    expected_cov = hand[program].reindex(t.index, fill_value=0)
    assert (t[f"eligible_{program}"] == expected_type).all(), program
    assert (t[f"covered_{program}"] == expected_cov).all(), program
    assert t[f"eligible_{program}"].sum() > 100


@pytest.mark.slow
def test_beat_table_columns_and_totals(beat_table, durham_calls, workspace):
    t = beat_table
    assert len(t) == len(workspace.beat_index.beats)
    placed = durham_calls.frame["beat"].notna()
    assert t["total_calls"].sum() == int(placed.sum()) == 125_364 - 517
    assert t.loc[t["beat"] == "223", "total_calls"].item() == 6267
    assert t["share_of_city_eligible"].sum() == pytest.approx(1.0, abs=1e-3)
    assert set(t.loc[t["in_pilot"], "beat"]) == PILOT
    r = t.set_index("beat").loc["513"]
    assert r["eligible_per_1000"] == pytest.approx(
        r["eligible_any"] / r["population"] * 1000, rel=1e-3
    )
    assert r["eligible_per_sq_mi"] == pytest.approx(r["eligible_any"] / r["area_sq_mi"], rel=1e-3)
    assert (
        t["eligible_any"] >= t[["eligible_CCD", "eligible_CRT", "eligible_CoR"]].max(axis=1)
    ).all()


def test_population_apportioned_by_area(workspace, data_dir):
    import geopandas as gpd

    pop = population_by_beat(workspace)
    tracts = gpd.read_file(data_dir / "census_tracts_acs2024.geojson")
    total = tracts["total_population"].sum()
    # beats cover the city, not the whole county: a share of the county's residents
    assert 0.5 * total < pop.sum() < total
    assert (pop >= 0).all() and pop.index.tolist() == workspace.beat_index.beats
    # a beat entirely inside one tract gets that tract's density times its area
    beats = workspace.beat_index.to_geodataframe().to_crs(workspace.config.projected_crs)
    tp = tracts.to_crs(workspace.config.projected_crs)
    for b, geom in zip(beats["beat"], beats.geometry, strict=True):
        inside = tp[tp.geometry.buffer(1).contains(geom)]
        if len(inside) == 1:
            tr = inside.iloc[0]
            expected = tr["total_population"] * geom.area / tr.geometry.area
            assert pop[b] == pytest.approx(expected, rel=1e-3)
            break
    else:
        pytest.fail("no beat lies inside a single tract; pick another check")


@pytest.mark.slow
def test_hour_and_month_tables(workspace, durham_calls):
    h = hour_of_week_demand(workspace, durham_calls)
    assert len(h) == 168 and h["total_calls"].sum() == 125_364
    # program hours of the latest rules (citywide: 09:00-21:00 every day, CoR from 06:00)
    assert h.loc[h["hour"] == 10, "open_CRT"].eq(1).all()
    assert h.loc[h["hour"] == 21, "open_CRT"].eq(0).all()
    assert h.loc[(h["day"] == "Sat") & (h["hour"] == 12), "open_CCD"].item() == 1
    assert (
        h.loc[h["hour"] == 6, "open_CoR"].eq(1).all()
        and h.loc[h["hour"] == 3].filter(like="open_").eq(0).all().all()
    )
    m = monthly_demand(durham_calls)
    assert m["month"].iloc[0] <= "2021-01" and m["month"].iloc[-1] == "2024-12"
    assert m["total_calls"].sum() == 125_364
    assert m["eligible_CRT"].sum() == h["eligible_CRT"].sum()


def test_write_demand_tables(workspace, tmp_path):
    pd.DataFrame(
        {
            "REPORTEDAS": ["CRT - TRESPASS", "LARCENY"],
            "DATE_REPT": ["2023/06/05 15:00:00+00"] * 2,
            "BEAT": ["111", "421"],
        }
    ).to_csv(tmp_path / "calls.csv", index=False)
    data = load_calls(workspace, tmp_path / "calls.csv")
    written = write_demand_tables(workspace, data, tmp_path / "out")
    beat = pd.read_csv(written["by_beat"], dtype={"beat": str}).set_index("beat")
    assert beat.loc["111", "eligible_CRT"] == 1 and beat.loc["111", "covered_CRT"] == 1
    assert beat.loc["421", "total_calls"] == 1 and beat.loc["421", "eligible_any"] == 0
    unknown = pd.read_csv(written["unknown"])
    assert unknown.to_dict("records") == [{"raw_call_type": "LARCENY", "calls": 1}]


def test_demand_cli(cli_env, tmp_path, capsys):
    from click.testing import CliRunner

    from geo_heart.cli.main import cli, main

    pd.DataFrame(
        {"code": ["URGENT WE", "URGENT WE"], "t": ["2023-06-05 11:00"] * 2, "b": ["511", ""]}
    ).to_csv(tmp_path / "c.csv", index=False)
    r = CliRunner().invoke(
        cli,
        ["demand", str(tmp_path / "c.csv"), "--call-type-column", "code", "--time-column", "t",
         "--time-zone", "America/New_York", "--beat-column", "b", "-o", str(tmp_path / "o"), "--json"],
        catch_exceptions=False,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    beat = pd.read_csv(tmp_path / "o" / "demand_by_beat.csv", dtype={"beat": str}).set_index("beat")
    assert beat.loc["511", "covered_CRT"] == 1
    with pytest.raises(SystemExit) as info:
        main(["demand", str(tmp_path / "nope.csv"), "-o", str(tmp_path)])
    err = capsys.readouterr().err
    assert info.value.code == 1 and err.startswith("Error: input file") and "Traceback" not in err

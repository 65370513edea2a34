"""Loading call tables: classification, time zones, placement and clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo_heart.analysis.calls import load_calls, local_times_from_text
from geo_heart.errors import DataSourceError, InputError

INCIDENTS = "incidents_2021_2024.csv"


@pytest.fixture(scope="module")
def durham_calls(workspace):
    return load_calls(workspace)


@pytest.fixture(scope="module")
def raw_incidents(data_dir):
    return pd.read_csv(data_dir / INCIDENTS, dtype=str, keep_default_na=False)


@pytest.mark.slow
def test_full_file_counts_every_row(durham_calls, raw_incidents):
    d = durham_calls
    f = d.frame
    assert len(f) == len(raw_incidents) == 125_364
    # nothing dropped: classified + unknown = all rows
    assert int(f["call_type"].notna().sum()) + d.unknown_calls == len(f)
    # unknown codes are listed with their counts, most frequent first
    expected_tow = int((raw_incidents["REPORTEDAS"] == "PRIVATE TOW").sum())
    assert d.unknown_codes["PRIVATE TOW"] == expected_tow
    assert list(d.unknown_codes)[0] == "PRIVATE TOW"
    # rows without a beat are counted with a reason
    empty_beat = int((raw_incidents["BEAT"].str.strip() == "").sum())
    assert d.unplaced == empty_beat == 517
    assert d.unplaced_reasons == {"empty BEAT": 517}
    assert (f.loc[f["beat"].isna(), "placed_by"] == "unplaced").all()
    # input order kept
    assert f["call_id"].tolist()[:3] == raw_incidents["INCI_ID"].tolist()[:3]
    # the DPD beat is kept as is where valid
    ok = raw_incidents["BEAT"].str.strip() != ""
    assert (
        f.loc[ok.to_numpy(), "beat"].to_numpy() == raw_incidents.loc[ok, "BEAT"].to_numpy()
    ).all()


@pytest.mark.slow
def test_durham_local_clock_is_kept(durham_calls, raw_incidents):
    f = durham_calls.frame
    # row 0: "2022/04/15 09:15:00+00" is 09:15 local (offsets = "local"; HOUR_REPT 0915), a Friday
    assert raw_incidents.loc[0, "DATE_REPT"] == "2022/04/15 09:15:00+00"
    assert raw_incidents.loc[0, "HOUR_REPT"] == "0915"
    assert f.loc[0, "local_time"] == pd.Timestamp("2022-04-15 09:15")
    assert f.loc[0, "minute_of_week"] == 4 * 1440 + 9 * 60 + 15
    assert f.loc[0, "month"] == "2022-04"
    assert durham_calls.bad_times == 0


def test_local_time_parsing_zones_and_dst():
    s = pd.Series(["2024-01-10 15:00", "2024-07-10 15:00", "not a time", ""])
    out = local_times_from_text(s, time_zone="UTC", area_zone="America/New_York")
    assert out.iloc[0] == pd.Timestamp("2024-01-10 10:00")  # EST, UTC-5
    assert out.iloc[1] == pd.Timestamp("2024-07-10 11:00")  # EDT, UTC-4
    assert pd.isna(out.iloc[2]) and pd.isna(out.iloc[3])
    same = local_times_from_text(
        pd.Series(["2024-07-10 15:00"]), time_zone="America/New_York", area_zone="America/New_York"
    )
    assert same.iloc[0] == pd.Timestamp("2024-07-10 15:00")


def _inside_point(workspace, beat):
    p = workspace.beat_index.geometry_of(beat).representative_point()
    return p.x, p.y


def test_coordinates_beats_and_bad_rows(workspace, tmp_path):
    x111, y111 = _inside_point(workspace, "111")
    x421, y421 = _inside_point(workspace, "421")
    df = pd.DataFrame(
        {
            "code": ["CRT - TRESPASS", "TRESPASS", "BOGUS CODE", "MENTAL HE", "TRESPASS"],
            "when": [
                "2023-06-05 11:00",  # Monday, local
                "2023-06-05 11:00",
                "2023-06-05 11:00",
                "2023-06-05 23:30",
                "garbage",
            ],
            "x": [x111, x421, x111, "", -78.0],
            "y": [y111, y421, y111, "", 10.0],
        }
    )
    path = tmp_path / "calls.csv"
    df.to_csv(path, index=False)
    d = load_calls(
        workspace,
        path,
        call_type_column="code",
        time_column="when",
        time_zone="America/New_York",
        lon_column="x",
        lat_column="y",
    )
    f = d.frame
    assert f["beat"].tolist()[:3] == ["111", "421", "111"]
    assert f["placed_by"].tolist() == ["coordinates"] * 3 + ["unplaced"] * 2
    assert d.unplaced == 2
    assert "invalid coordinates" in f.loc[3, "place_reason"]
    assert "outside every beat" in f.loc[4, "place_reason"]
    assert d.unknown_codes == {"BOGUS CODE": 1}
    assert d.bad_times == 1 and f.loc[4, "minute_of_week"] == -1
    # CRT: trespass in the pilot (111) at Monday 11:00 is covered; in 421 only by type
    assert f["CRT"].tolist() == [True, False, False, False, False]
    assert f["CRT_type"].tolist() == [True, True, False, True, True]  # MENTAL HE is CRT type
    assert f["CRT_hours"].tolist()[:4] == [True, True, True, False]
    assert d.has_points


def test_beat_column_unknown_codes_are_unplaced_with_reason(workspace, tmp_path):
    path = tmp_path / "calls.parquet"
    pd.DataFrame(
        {"t": ["DISTURBANCE WIT", "CRISIS"], "d": ["2023/06/05 15:00:00+00"] * 2, "b": ["777", 512]}
    ).astype(str).to_parquet(path)
    d = load_calls(workspace, path, call_type_column="t", time_column="d", beat_column="b")
    f = d.frame
    assert pd.isna(f.loc[0, "beat"]) and f.loc[1, "beat"] == "512"
    assert "'777' is not a beat" in f.loc[0, "place_reason"]
    assert d.unplaced_reasons == {"beat code not in the layer": 1}
    assert f["risk"].tolist() == [True, False]
    assert f.loc[1, "district"] == "D5"


def test_geojson_input(workspace, tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    x, y = _inside_point(workspace, "223")
    gdf = gpd.GeoDataFrame(
        {"code": ["URGENT WE"], "ts": ["2023-06-05T15:00:00Z"], "lon": [x], "lat": [y]},
        geometry=[Point(x, y)],
        crs="EPSG:4326",
    )
    path = tmp_path / "calls.geojson"
    gdf.to_file(path)
    d = load_calls(
        workspace,
        path,
        call_type_column="code",
        time_column="ts",
        lon_column="lon",
        lat_column="lat",
    )
    assert d.frame.loc[0, "beat"] == "223"
    assert d.frame.loc[0, "local_time"] == pd.Timestamp("2023-06-05 11:00")
    assert bool(d.frame.loc[0, "CRT"]) is True


def test_clear_errors(workspace, tmp_path):
    with pytest.raises(DataSourceError, match="does not exist"):
        load_calls(workspace, tmp_path / "missing.csv")
    path = tmp_path / "c.csv"
    pd.DataFrame({"a": ["x"], "b": ["2024-01-01"]}).to_csv(path, index=False)
    with pytest.raises(InputError, match="no column 'REPORTEDAS'"):
        load_calls(workspace, path)
    with pytest.raises(InputError, match="no location column"):
        load_calls(workspace, path, call_type_column="a", time_column="b")
    with pytest.raises(InputError, match="time zone 'Mars/Base'"):
        load_calls(
            workspace,
            path,
            call_type_column="a",
            time_column="b",
            beat_column="a",
            time_zone="Mars/Base",
        )



def test_address_column_uses_the_geocoder(workspace, tmp_path):
    pytest.importorskip("geo_heart.geocode.match", reason="geocoder module not in this checkout")
    path = tmp_path / "c.csv"
    pd.DataFrame(
        {
            "a": ["TRESPASS", "CRISIS", "THREATS"],
            "b": ["2024-01-01 10:00"] * 3,
            "addr": ["200 PACIFIC AVE", "", "200 PACIFIC AVE"],
        }
    ).to_csv(path, index=False)
    d = load_calls(workspace, path, call_type_column="a", time_column="b", address_column="addr")
    f = d.frame
    assert f["placed_by"].tolist() == ["geocoder", "unplaced", "geocoder"]
    # 200 Pacific Ave is in beat 223 (the DPD beat of that block in the incident table)
    assert f.loc[0, "beat"] == f.loc[2, "beat"] == "223"
    assert d.unplaced == 1


def test_calls_layer_is_validated(tmp_path):
    from geo_heart.analysis.calls import calls_layer
    from geo_heart.config.areafile import load_area
    from geo_heart.errors import ConfigError

    durham = Path(__file__).resolve().parents[2] / "boundaries" / "durham.toml"
    assert calls_layer(load_area(durham))["time_column"] == "DATE_REPT"
    text = durham.read_text().replace(
        'offsets = "local"', 'offsets = "local"\ntime_zone = "Nowhere/City"'
    )
    text = text.replace(
        'beat_column = "BEAT"\naddress_column = "ADDRESS2"\nid',
        'beat_colum = "BEAT"\naddress_column = "ADDRESS2"\nid',
    )
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_area(tmp_path / "bad.toml")
    msg = str(info.value)
    assert "layers.calls.time_zone = 'Nowhere/City'" in msg
    assert "layers.calls.beat_colum: unknown key" in msg

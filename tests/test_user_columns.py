"""The batch rule, as a property: a user's columns come out exactly as they went in.

``assign`` and ``geocode`` (CLI and library, with every option that adds a column) write one
output row per input row, in input order, and never overwrite, rename, re-type or reorder a
column of the input, whatever its name: a result whose name the input already has (compared
ignoring case, and on 10 characters as a Shapefile does) is written as ``gh_<name>``; when the
``gh_`` name is taken too, the run is refused in one line naming both columns, before any work
(docs/outputs.md, "Your columns and ours").

The inputs are built on the toy area (plus two census layers) with user columns named after
every result column (in any case), and after the ``gh_`` names.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_heart.errors import InputError
from geo_heart.io.tables import read_parquet

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: every column a batch run may add, by the option that adds it
ASSIGN_RESULTS = ("beat", "district", "in_service_area", "status", "reason")
GEOCODE_RESULTS = (
    "lon", "lat", "beat", "district", "in_service_area", "match_type", "score",
    "matched_address", "status", "reason", "straddle_beats", "beat_source", "uncertainty_m",
)  # fmt: skip
CENSUS = ("tract_geoid", "blockgroup_geoid")
XY = ("lon", "lat")  # assign with a projected --input-crs
AT = ("rules", "service_area", "programs")  # --at-column
POINT_KIND = ("point_kind",)  # --point-for-beat-only
OVERRIDES = ("override", "override_note")  # --overrides / --retry-failed
GEOMETRY = ("geometry",)  # the library's point geometry; every vector output's
GPKG = ("geom", "fid")  # GDAL's geometry and feature-id columns of a GeoPackage
EVERY = tuple(
    dict.fromkeys(
        ASSIGN_RESULTS + GEOCODE_RESULTS + CENSUS + AT + POINT_KIND + OVERRIDES + GEOMETRY + GPKG
    )
)
#: what GDAL's Arrow writer would take as feature ids: a user column like any other
NAMES = (*EVERY, "OGC_FID")
#: columns each output format adds
FORMAT_COLUMNS = {".csv": (), ".parquet": GEOMETRY, ".fgb": GEOMETRY, ".gpkg": GEOMETRY + GPKG}

ADDRESSES = ["100 OAK ST", "202 OAK ST", "OAK ST", "99 NOWHERE RD", "", "200 OAK ST"]
#: toy points (WGS84) in, near and outside the beats
POINTS = [(-99.9995, 40.0049), (-99.98, 40.01), (-99.5, 40.5), (-99.9984474, 40.0051)]
TIMES = ["2022-03-01 10:00", "2024-06-01 11:00", "not a time", ""]


# --------------------------------------------------------------------------- the toy area
def _square(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def _layer(features):
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"GEOID": g}, "geometry": _square(*b)}
            for g, b in features
        ],
    }


@pytest.fixture(scope="module")
def census_town(toy_dir, tmp_path_factory):
    """The toy area plus a tract layer and a block-group layer (made here)."""
    from geo_heart.area import Area

    d = tmp_path_factory.mktemp("census-town")
    for f in toy_dir.iterdir():
        if f.is_file():
            shutil.copy(f, d / f.name)
    tracts = [("T1", (-100.0, 39.99, -99.985, 40.02)), ("T2", (-99.985, 39.99, -99.975, 40.02))]
    groups = [("G1", (-100.0, 39.99, -99.99, 40.02)), ("G2", (-99.99, 39.99, -99.975, 40.02))]
    (d / "tracts.geojson").write_text(json.dumps(_layer(tracts)))
    (d / "groups.geojson").write_text(json.dumps(_layer(groups)))
    (d / "toy.toml").write_text(
        (toy_dir / "toy.toml").read_text()
        + '\n[layers.tracts]\nfile = "tracts.geojson"\ngeoid_field = "GEOID"\n'
        + '\n[layers.blockgroups]\nfile = "groups.geojson"\ngeoid_field = "GEOID"\n'
    )
    return Area.load(d / "toy.toml", data_dir=d, cache_dir=d / "cache")


@pytest.fixture()
def town_env(census_town, monkeypatch):
    for k, v in {
        "GEO_HEART_DATA": str(census_town.settings.data_dir),
        "GEO_HEART_AREA": str(census_town.config.path),
        "GEO_HEART_CACHE": str(census_town.settings.cache_dir),
    }.items():
        monkeypatch.setenv(k, v)


# ----------------------------------------------------------------------- the documented rule
def _keys(name: str) -> tuple[str, str]:
    low = name.lower()
    return low, low[:10]


def _clashes(name: str, columns) -> list[str]:
    """The user's columns a name clashes with (ignoring case, or on 10 characters)."""
    low, cut = _keys(name)
    return [c for c in columns if _keys(c)[0] == low or _keys(c)[1] == cut]


def _taken(name: str, columns) -> str | None:
    found = _clashes(name, columns)
    return found[0] if found else None


def refused_pairs(columns, results) -> list[tuple[str, str]]:
    """Every (user's column, user's gh_ column) of a result that has no free name."""
    return [
        (mine, other)
        for r in results
        for mine in _clashes(r, columns)
        for other in _clashes(f"gh_{r}", columns)
    ]


def _names_a_pair(message: str, pairs) -> bool:
    """The refusal names both columns of one of the refused pairs."""
    return any(repr(a) in message and repr(b) in message for a, b in pairs)


# ------------------------------------------------------------------------ input strategies
def _variant(name: str, case: int) -> str:
    return [name, name.upper(), name.title()][case]


@st.composite
def user_names(draw, results):
    """User column names: some result names (any case), some ``gh_`` names, a few plain."""
    taken = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=len(NAMES)))
    names = [_variant(n, draw(st.integers(0, 2))) for n in taken]
    prefixed = draw(st.lists(st.sampled_from(EVERY), unique=True, max_size=6))
    names += [_variant(f"gh_{n}", draw(st.integers(0, 2))) for n in prefixed]
    names += draw(st.lists(st.sampled_from(["id", "Note", "x_ft"]), unique=True, max_size=2))
    seen, out = set(), []
    for n in draw(st.permutations(names)):
        if n.lower() not in seen:  # a table never has two names equal ignoring case
            seen.add(n.lower())
            out.append(n)
    return out


#: a column's values by kind (each kind keeps its dtype through every output format used)
KINDS = ("text", "int", "float", "bool")


def _values(kind: str, n: int, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    if kind == "int":
        return pd.Series(rng.integers(-(10**9), 10**9, n), dtype="int64")
    if kind == "float":
        v = rng.normal(0, 1e3, n)
        v[rng.random(n) < 0.3] = np.nan
        return pd.Series(v, dtype="float64")
    if kind == "bool":
        return pd.Series(rng.random(n) < 0.5, dtype=bool)
    words = np.array(["", "a", "OK", " spaced ", "ünï", "x,y", '"q"', "12", "True", "ok"])
    return pd.Series(words[rng.integers(0, len(words), n)], dtype=object)


@st.composite
def tables(draw, *, results, kinds=KINDS, geocode=False):
    """A user table: its own columns (named by :func:`user_names`) and the working columns."""
    names = draw(user_names(results))
    n = draw(st.integers(1, 9))
    seed = draw(st.integers(0, 2**16))
    cols = {}
    for i, name in enumerate(names):
        cols[name] = _values(draw(st.sampled_from(kinds)), n, seed + i)
    rows = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    if geocode:
        cols["addr"] = pd.Series([ADDRESSES[(r + i) % len(ADDRESSES)] for i, r in enumerate(rows)])
    else:
        cols["px"] = pd.Series([POINTS[r][0] for r in rows], dtype="float64")
        cols["py"] = pd.Series([POINTS[r][1] for r in rows], dtype="float64")
    cols["when"] = pd.Series([TIMES[r] for r in rows], dtype=object)
    order = draw(st.permutations(list(cols)))
    return pd.DataFrame({c: cols[c] for c in order})


def _check_kept(out: pd.DataFrame, df: pd.DataFrame) -> None:
    """The user's columns first, in order, with their values and dtypes; one row per row."""
    assert list(out.columns[: df.shape[1]]) == list(df.columns)
    assert len(out) == len(df)
    pd.testing.assert_frame_equal(
        # select from a plain frame: a GeoDataFrame selection that holds a column named
        # "geometry" but not the active geometry makes geopandas convert that column when
        # it can (an all-missing float one), which is geopandas' doing, not the output's
        pd.DataFrame(out)[list(df.columns)].reset_index(drop=True),
        df.reset_index(drop=True),
        check_exact=True,
    )


# ------------------------------------------------------------------------------- library
@SETTINGS
@given(df=tables(results=ASSIGN_RESULTS), projected=st.booleans(), at=st.booleans())
def test_area_assign_keeps_the_users_columns(census_town, df, projected, at):
    crs = None
    if projected:  # x/y in UTM 14N: lon and lat are results too
        from pyproj import Transformer

        tr = Transformer.from_crs(4326, "EPSG:32614", always_xy=True)
        x, y = tr.transform(df["px"].to_numpy(), df["py"].to_numpy())
        df = df.assign(px=x, py=y)
        crs = "EPSG:32614"
    df.index = pd.RangeIndex(len(df)) * 3 + 7  # the input's index is kept too
    results = ASSIGN_RESULTS + CENSUS + (XY if projected else ()) + (AT if at else ()) + GEOMETRY
    pair = refused_pairs(df.columns, results)
    options = {"lon": "px", "lat": "py", "crs": crs, "at_column": "when" if at else None}
    import inspect

    if "geometry" in inspect.signature(type(census_town).assign).parameters:
        options["geometry"] = True  # points asked for where they are optional
    if pair:
        with pytest.raises(InputError) as err:
            census_town.assign(df, **options)
        assert _names_a_pair(str(err.value), pair)
        return
    out = census_town.assign(df, **options)
    _check_kept(out, df)
    assert out.index.equals(df.index)
    for r in set(results) - set(GEOMETRY):
        name = f"gh_{r}" if _taken(r, df.columns) else r
        assert name in out.columns, (r, list(out.columns))
    beat = "gh_beat" if _taken("beat", df.columns) else "beat"
    # the answers are there: the first toy point is in a beat, the far one outside every beat
    located = df["px"].round(4).eq(-99.9995).to_numpy() if not projected else None
    if located is not None and located.any():
        assert out.loc[located, beat].notna().all()
    assert out.attrs["geo_heart_input_columns"] == list(df.columns)


@SETTINGS
@given(df=tables(results=GEOCODE_RESULTS, geocode=True), at=st.booleans())
def test_area_geocode_keeps_the_users_columns(census_town, df, at):
    results = GEOCODE_RESULTS + (AT if at else ()) + GEOMETRY
    pair = refused_pairs(df.columns, results)
    options = {"address": "addr", "at_column": "when" if at else None}
    if pair:
        with pytest.raises(InputError) as err:
            census_town.geocode(df, **options)
        assert _names_a_pair(str(err.value), pair)
        return
    out = census_town.geocode(df, **options)
    _check_kept(out, df)
    status = "gh_status" if _taken("status", df.columns) else "status"
    found = (df["addr"] == "100 OAK ST").to_numpy()
    assert (out.loc[found, status] == "ok").all()
    assert (out.loc[(df["addr"] == "").to_numpy(), status] == "empty").all()
    assert out.attrs["geo_heart_input_columns"] == list(df.columns)


# ---------------------------------------------------------------------------- command line
class _Run:
    def __init__(self, exit_code: int, output: str) -> None:
        self.exit_code, self.output = exit_code, output


def _invoke(args) -> _Run:
    """``geo-heart ARGS`` in this process, through the entry point that turns errors into one
    line (stdout and stderr together)."""
    import contextlib
    import io

    from geo_heart.cli.main import main

    buf = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try:
            main(["-q", *map(str, args)])
        except SystemExit as exc:
            code = exc.code or 0
    return _Run(code, buf.getvalue())


def _paths(tmp, fmt: str, out_fmt: str):
    """Input and output paths; a CSV output (text, no types) is made from a CSV input."""
    return tmp / f"in{'.csv' if out_fmt == '.csv' else fmt}", tmp / f"out{out_fmt}"


def _write_input(df: pd.DataFrame, path) -> pd.DataFrame:
    """Write the input; returns it as a reader of that format gives it back."""
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    df.to_parquet(path, index=False)
    return read_parquet(path)


def _read_output(path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    if path.suffix == ".parquet":
        return read_parquet(path)  # the table as stored (pandas types)
    import pyogrio

    # the fields as GDAL stores them (a user's field named geometry is a field)
    return pyogrio.read_dataframe(path, read_geometry=False)


def _check_refused(res, pairs, out) -> None:
    assert res.exit_code == 1, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), res.output
    assert _names_a_pair(lines[0], pairs), (lines[0], pairs)
    assert not out.exists()  # refused before any work


@SETTINGS
@given(
    df=tables(results=ASSIGN_RESULTS),
    fmt=st.sampled_from([".csv", ".parquet"]),
    out_fmt=st.sampled_from(list(FORMAT_COLUMNS)),
    projected=st.booleans(),
    at=st.booleans(),
)
def test_cli_assign_keeps_the_users_columns(census_town, town_env, tmp_path_factory, df, fmt,
                                            out_fmt, projected, at):  # fmt: skip
    tmp = tmp_path_factory.mktemp("assign")
    src, out = _paths(tmp, fmt, out_fmt)
    if projected:
        from pyproj import Transformer

        tr = Transformer.from_crs(4326, "EPSG:32614", always_xy=True)
        x, y = tr.transform(df["px"].to_numpy(), df["py"].to_numpy())
        df = df.assign(px=x, py=y)
    given_df = _write_input(df, src)
    args = ["assign", src, "-o", out, "--lon-column", "px", "--lat-column", "py"]
    args += ["--input-crs", "EPSG:32614"] if projected else []
    args += ["--at-column", "when"] if at else []
    res = _invoke(args)
    results = ASSIGN_RESULTS + CENSUS + (XY if projected else ()) + (AT if at else ())
    pair = refused_pairs(df.columns, results + FORMAT_COLUMNS[out_fmt])
    if pair:
        _check_refused(res, pair, out)
        return
    assert res.exit_code == 0, res.output
    got = _read_output(out)
    _check_kept(got, given_df)
    tract = "gh_tract_geoid" if _taken("tract_geoid", df.columns) else "tract_geoid"
    first = np.isclose(df["px"], POINTS[0][0]) if not projected else np.zeros(len(df), bool)
    assert (got.loc[first, tract] == "T1").all()


@SETTINGS
@given(
    df=tables(results=GEOCODE_RESULTS, geocode=True),
    fmt=st.sampled_from([".csv", ".parquet"]),
    out_fmt=st.sampled_from(list(FORMAT_COLUMNS)),
    at=st.booleans(),
    beat_points=st.booleans(),
    review=st.booleans(),
    overrides=st.booleans(),
    retry=st.booleans(),
)
def test_cli_geocode_keeps_the_users_columns(census_town, town_env, tmp_path_factory, df, fmt,
                                             out_fmt, at, beat_points, review, overrides,
                                             retry):  # fmt: skip
    tmp = tmp_path_factory.mktemp("geocode")
    src, out = _paths(tmp, fmt, out_fmt)
    given_df = _write_input(df, src)
    common = ["--address-column", "addr"]
    common += ["--at-column", "when"] if at else []
    common += ["--point-for-beat-only"] if beat_points else []
    if overrides:
        fixes = tmp / "fixes.csv"
        fixes.write_text("address,corrected_address,lon,lat,note\n99 NOWHERE RD,,-99.98,40.01,x\n")
        common += ["--overrides", fixes]
    args = ["geocode", src, "-o", out, *common]
    args += ["--review", tmp / "review.csv"] if review else []
    res = _invoke(args)
    results = GEOCODE_RESULTS + CENSUS + (AT if at else ()) + (POINT_KIND if beat_points else ())
    results += (OVERRIDES if overrides else ()) + FORMAT_COLUMNS[out_fmt]
    pair = refused_pairs(df.columns, results)
    if pair:
        _check_refused(res, pair, out)
        return
    assert res.exit_code == 0, res.output
    got = _read_output(out)
    _check_kept(got, given_df)
    status = "gh_status" if _taken("status", df.columns) else "status"
    assert (got.loc[(given_df["addr"] == "100 OAK ST").to_numpy(), status] == "ok").all()
    if overrides:
        ov = "gh_override" if _taken("override", df.columns) else "override"
        assert (got.loc[(given_df["addr"] == "99 NOWHERE RD").to_numpy(), ov] == "point").all()
    if retry:  # again, only the failed rows, from the first output
        again = tmp / f"again{out_fmt}"
        res = _invoke(["geocode", src, "-o", again, *common, "--retry-failed", out])
        pair = refused_pairs(df.columns, results + OVERRIDES)  # it may add override columns
        if pair:
            _check_refused(res, pair, again)
            return
        assert res.exit_code == 0, res.output
        _check_kept(_read_output(again), given_df)


# ------------------------------------------------------------- every name at once, each path
def _every_name_table(n: int = 8) -> pd.DataFrame:
    """A table holding a user column of every result name (cycling through the kinds)."""
    cols = {name: _values(KINDS[i % len(KINDS)], n, i) for i, name in enumerate(NAMES)}
    cols["addr"] = pd.Series([ADDRESSES[i % len(ADDRESSES)] for i in range(n)])
    cols["px"] = pd.Series([POINTS[i % len(POINTS)][0] for i in range(n)])
    cols["py"] = pd.Series([POINTS[i % len(POINTS)][1] for i in range(n)])
    cols["when"] = pd.Series([TIMES[i % len(TIMES)] for i in range(n)], dtype=object)
    return pd.DataFrame(cols)


def test_every_option_at_once_keeps_every_named_column(census_town, town_env, tmp_path):
    df = _every_name_table()
    src = tmp_path / "in.parquet"
    given_df = _write_input(df, src)
    fixes = tmp_path / "fixes.csv"
    fixes.write_text("address,corrected_address,lon,lat,note\n99 NOWHERE RD,,-99.98,40.01,x\n")
    out = tmp_path / "out.gpkg"
    res = _invoke(["geocode", src, "-o", out, "--address-column", "addr", "--at-column", "when",
                   "--point-for-beat-only", "--overrides", fixes,
                   "--review", tmp_path / "review.csv"])  # fmt: skip
    assert res.exit_code == 0, res.output
    got = _read_output(out)
    _check_kept(got, given_df)
    # every result is there under its gh_ name, with its answer
    assert (got["gh_status"][given_df["addr"] == "100 OAK ST"] == "ok").all()
    assert (got["gh_override"][given_df["addr"] == "99 NOWHERE RD"] == "point").all()
    assert (
        set(got["gh_tract_geoid"].dropna()) <= {"T1", "T2"} and got["gh_tract_geoid"].notna().any()
    )
    assert {"gh_rules", "gh_point_kind", "gh_override_note", "gh_blockgroup_geoid"} <= set(got)
    again = tmp_path / "again.gpkg"
    res = _invoke(["geocode", src, "-o", again, "--address-column", "addr", "--at-column", "when",
                   "--retry-failed", out])  # fmt: skip
    assert res.exit_code == 0, res.output
    _check_kept(_read_output(again), given_df)
    out = tmp_path / "points.gpkg"
    res = _invoke(["assign", src, "-o", out, "--lon-column", "px", "--lat-column", "py",
                   "--at-column", "when"])  # fmt: skip
    assert res.exit_code == 0, res.output
    got = _read_output(out)
    _check_kept(got, given_df)
    assert got["gh_beat"].iloc[0] == "11" and got["gh_tract_geoid"].iloc[0] == "T1"


@pytest.mark.parametrize("name", ["tract_geoid", "Blockgroup_GEOID", "override", "point_kind"])
def test_a_taken_gh_name_is_refused_in_one_line_before_any_work(census_town, town_env, tmp_path,
                                                                name):  # fmt: skip
    src = tmp_path / "in.csv"
    pd.DataFrame({"addr": ["100 OAK ST"], name: ["mine"], f"gh_{name}": ["mine too"]}).to_csv(
        src, index=False
    )
    out = tmp_path / "out.csv"
    fixes = tmp_path / "fixes.csv"
    fixes.write_text("address,corrected_address,lon,lat,note\n")
    res = _invoke(["geocode", src, "-o", out, "--address-column", "addr", "--overrides", fixes,
                   "--point-for-beat-only"])  # fmt: skip
    _check_refused(res, [(name, f"gh_{name}")], out)
    assert not (tmp_path / "out.csv.parts").exists()


def test_census_geoids_never_overwrite_the_users_columns(census_town):
    from geo_heart.geo.census import add_census_geoids

    df = pd.DataFrame({"tract_geoid": [7, 8], "lon": [-99.9995, -99.98], "lat": [40.0049, 40.01]})
    out = add_census_geoids(census_town, df)
    assert out["tract_geoid"].tolist() == [7, 8]  # the colleague's case: kept, not overwritten
    assert out["gh_tract_geoid"].tolist() == ["T1", "T2"]
    assert out["blockgroup_geoid"].tolist() == ["G1", "G2"]  # a free name is not prefixed
    with pytest.raises(InputError, match="'tract_geoid' and 'GH_TRACT_GEOID'"):
        add_census_geoids(census_town, df.assign(GH_TRACT_GEOID=1))


def test_library_results_know_the_users_columns_for_a_shapefile(census_town, tmp_path):
    from geo_heart.io.vector import write_vector

    df = pd.DataFrame({"beat": ["mine"], "District": ["D9"], "addr": ["100 OAK ST"]})
    out = census_town.geocode(df, address="addr")
    assert out.attrs["geo_heart_input_columns"] == ["beat", "District", "addr"]
    info = write_vector(out, tmp_path / "g.shp")  # no input_columns=: read from attrs
    import pyogrio

    got = pyogrio.read_dataframe(tmp_path / "g.shp", read_geometry=False)
    # the user's beat and District stay as they were; the results have their fixed fields
    assert got["beat"].tolist() == ["mine"] and got["District"].tolist() == ["D9"]
    assert got["gh_beat"].tolist() == ["11"] and got["gh_dist"].tolist() == ["D1"]
    assert got["in_service"].tolist() == [1] and got["match_addr"].tolist() == ["100 OAK ST"]
    assert info["fields"]["matched_address"] == ["match_addr"]
    # without the record, the long result names would be a loss the writer refuses
    plain = pd.DataFrame(out)
    plain.attrs = {}
    from geo_heart.errors import GeoHeartError

    with pytest.raises(GeoHeartError, match="10 characters"):
        write_vector(gpd_frame(plain), tmp_path / "h.shp")
    pts = census_town.assign(pd.DataFrame({"lon": [-99.9995], "lat": [40.0049], "note": ["n"]}))
    info = write_vector(pts, tmp_path / "p.shp")
    got = pyogrio.read_dataframe(tmp_path / "p.shp", read_geometry=False)
    assert got["tractgeoid"].tolist() == ["T1"] and got["bg_geoid"].tolist() == ["G1"]
    assert got["in_service"].tolist() == [1] and got["note"].tolist() == ["n"]


def gpd_frame(frame: pd.DataFrame):
    import geopandas as gpd

    return gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)


def test_dask_engine_keeps_every_named_column(census_town, town_env, tmp_path):
    pytest.importorskip("distributed")
    pytest.importorskip("dask_geopandas")
    from distributed import LocalCluster

    df = _every_name_table(40)
    parts = tmp_path / "parts"
    parts.mkdir()
    for i in range(0, len(df), 15):  # three Parquet partitions
        df.iloc[i : i + 15].to_parquet(parts / f"p{i:03d}.parquet", index=False)
    given_df = read_parquet(parts)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cluster:  # fmt: skip
        engine = ["--engine", "dask", "--scheduler", cluster.scheduler_address]
        out = tmp_path / "geo.parquet"
        res = _invoke(["geocode", parts, "-o", out, "--address-column", "addr", *engine])
        assert res.exit_code == 0, res.output
        got = _read_output(out)
        _check_kept(got, given_df)
        assert (got["gh_status"][given_df["addr"] == "100 OAK ST"] == "ok").all()
        out = tmp_path / "points.parquet"
        res = _invoke(["assign", parts, "-o", out, "--lon-column", "px", "--lat-column", "py",
                       *engine])  # fmt: skip
        assert res.exit_code == 0, res.output
        got = _read_output(out)
        _check_kept(got, given_df)
        assert got["gh_tract_geoid"].iloc[0] == "T1" and got["gh_beat"].iloc[0] == "11"
        dataset = tmp_path / "points_dataset"  # a partitioned GeoParquet dataset, in order
        res = _invoke(["assign", parts, "-o", f"{dataset}/", "--lon-column", "px", "--lat-column",
                       "py", *engine])  # fmt: skip
        assert res.exit_code == 0, res.output
        _check_kept(read_parquet(dataset), given_df)
        # a taken gh_ name: one line, before any partition is read
        bad = tmp_path / "bad.csv"
        pd.DataFrame(
            {"lon": [1.0], "lat": [2.0], "tract_geoid": [1], "gh_tract_geoid": [2]}
        ).to_csv(bad, index=False)
        res = _invoke(["assign", bad, "-o", tmp_path / "bad_out.parquet", *engine])
        _check_refused(res, [("tract_geoid", "gh_tract_geoid")], tmp_path / "bad_out.parquet")


@pytest.mark.parametrize("out_name", ["out.gpkg", "out.csv", "out.parquet"])
def test_geocode_of_a_layer_keeps_its_attributes(census_town, town_env, tmp_path, out_name):
    """A layer's attributes are the user's columns; its geometry is replaced by the geocoded
    point (never written as bytes, never a crash)."""
    import geopandas as gpd
    import shapely

    layer = gpd.GeoDataFrame(
        {"beat": ["mine", "m2"], "addr": ["100 OAK ST", "NOWHERE"], "n": [1.5, np.nan]},
        geometry=[shapely.Point(0, 0), None],
        crs=4326,
    )
    src = tmp_path / "in.gpkg"
    layer.to_file(src, layer="in")
    out = tmp_path / out_name
    res = _invoke(["geocode", src, "-o", out, "--address-column", "addr"])
    assert res.exit_code == 0, res.output
    got = _read_output(out)
    assert list(got.columns[:3]) == ["beat", "addr", "n"]
    assert got["beat"].tolist() == ["mine", "m2"] and got["gh_beat"].iloc[0] == "11"
    assert "geometry" not in got.columns[:4] and len(got) == 2
    if out.suffix != ".csv":
        assert got["n"].iloc[0] == 1.5 and np.isnan(got["n"].iloc[1])


# ------------------------------------------------------------- typed Parquet inputs' columns
#: Arrow types a Parquet input may hold beyond text, numbers and booleans
TYPED = ("binary", "date", "datetime_tz", "decimal", "category", "int_null", "list", "text")


def _typed_values(kind: str, n: int, seed: int):
    import datetime as dt
    import decimal

    import pyarrow as pa

    rng = np.random.default_rng(seed)
    k = rng.integers(0, 1000, n).tolist()
    none = (rng.random(n) < 0.3).tolist()

    def nulls(values):
        return [None if z else v for v, z in zip(values, none, strict=True)]

    if kind == "binary":  # any bytes, not UTF-8 text
        return pa.array(nulls([bytes([v % 256, 0, 255]) for v in k]), pa.binary())
    if kind == "date":
        return pa.array(nulls([dt.date(2020, 1, 1) + dt.timedelta(days=v) for v in k]),
                        pa.date32())  # fmt: skip
    if kind == "datetime_tz":
        t0 = dt.datetime(2022, 3, 13, 6, tzinfo=dt.timezone.utc)  # a DST change in Chicago
        return pa.array(nulls([t0 + dt.timedelta(minutes=17 * v) for v in k]),
                        pa.timestamp("ms", tz="America/Chicago"))  # fmt: skip
    if kind == "decimal":
        return pa.array(nulls([decimal.Decimal(v - 500) / 100 for v in k]), pa.decimal128(8, 2))
    if kind == "category":
        return pa.array(nulls([["N", "S", "E"][v % 3] for v in k]), pa.string()).dictionary_encode()
    if kind == "int_null":
        return pa.array(nulls([v * 10**6 for v in k]), pa.int64())
    if kind == "list":
        return pa.array(nulls([list(range(v % 3)) for v in k]), pa.list_(pa.int32()))
    return pa.array(nulls([f"t{v}" for v in k]), pa.large_string())


@st.composite
def typed_tables(draw, *, results, geocode=False):
    """A Parquet input (``pyarrow.Table``) with typed user columns and the working columns."""
    import pyarrow as pa

    df = draw(tables(results=results, kinds=("text",), geocode=geocode))
    seed = draw(st.integers(0, 2**16))
    work = {"addr", "px", "py", "when"}
    cols = {}
    for i, name in enumerate(df.columns):
        if name in work:
            cols[name] = pa.array(df[name].tolist())
        else:
            cols[name] = _typed_values(draw(st.sampled_from(TYPED)), len(df), seed + i)
    return pa.table(cols)


def _check_typed(got, given, fmt: str) -> None:
    """The user's columns: exactly as given (GeoParquet), or as a GeoPackage holds them."""
    import datetime as dt

    import pyarrow as pa

    assert got.column_names[: given.num_columns] == given.column_names
    assert got.num_rows == given.num_rows
    for name in given.column_names:
        t, want, have = given.schema.field(name).type, given[name].to_pylist(), got[name]
        if fmt == ".parquet":
            assert have.type == t, (name, have.type, t)
            assert have.to_pylist() == want, name
        elif pa.types.is_timestamp(t):  # the same instants, in UTC
            utc = [None if v is None else v.astimezone(dt.timezone.utc) for v in want]
            assert have.to_pylist() == utc, name
        elif pa.types.is_decimal(t):
            assert have.to_pylist() == [None if v is None else float(v) for v in want], name
        elif pa.types.is_list(t):
            assert have.to_pylist() == [None if v is None else json.dumps(v) for v in want]
        else:  # binary, date, integers, text and categories' values kept
            assert have.to_pylist() == want, (name, have.type)


@SETTINGS
@given(
    table=typed_tables(results=ASSIGN_RESULTS),
    out_fmt=st.sampled_from([".parquet", ".gpkg"]),
    command=st.sampled_from(["assign", "geocode"]),
)
def test_cli_typed_parquet_columns_keep_their_types(census_town, town_env, tmp_path_factory,
                                                    table, out_fmt, command):  # fmt: skip
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = tmp_path_factory.mktemp("typed")
    src, out = tmp / "in.parquet", tmp / f"out{out_fmt}"
    if command == "geocode":  # the same rows, with addresses
        addr = [ADDRESSES[i % len(ADDRESSES)] for i in range(table.num_rows)]
        table = table.drop_columns(["px", "py"]).append_column("addr", pa.array(addr))
        args = ["geocode", src, "-o", out, "--address-column", "addr"]
        results = GEOCODE_RESULTS + CENSUS
    else:
        args = ["assign", src, "-o", out, "--lon-column", "px", "--lat-column", "py"]
        results = ASSIGN_RESULTS + CENSUS
    pq.write_table(table, src)
    res = _invoke(args)
    pair = refused_pairs(table.column_names, results + FORMAT_COLUMNS[out_fmt])
    if pair:
        _check_refused(res, pair, out)
        return
    assert res.exit_code == 0, res.output
    if out_fmt == ".parquet":
        got = pq.read_table(out)
    else:
        import pyogrio

        got = pyogrio.read_arrow(out, read_geometry=False)[1]
    _check_typed(got, table, out_fmt)

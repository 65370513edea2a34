"""``--engine dask`` on the toy area: the same rows, in the same order, as the local engine."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from geo_heart.io.tables import read_parquet

pytest.importorskip("distributed")
pytest.importorskip("dask_geopandas")

from geo_heart.geo.assign import assign_chunk  # noqa: E402
from geo_heart.geocode.batch import geocode_file  # noqa: E402
from geo_heart.io.vector import OutputSpec  # noqa: E402
from geo_heart.scale.run import (  # noqa: E402
    DatasetTarget,
    assign_dask,
    check_output_target,
    geocode_dask,
)


@pytest.fixture(scope="module")
def cluster():
    """One small in-process cluster (two single-threaded workers) for the module."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as c:
        yield c.scheduler_address


def _calls(toy_dir, tmp_path, n=300):
    """A call table made from the toy calls, repeated, with a blank and a junk address."""
    calls = pd.read_csv(toy_dir / "calls.csv", dtype=str, keep_default_na=False)
    big = pd.concat([calls] * (n // len(calls) + 1), ignore_index=True).iloc[:n].copy()
    big["rid"] = np.arange(len(big)).astype(str)
    big.loc[7, "ADDRESS"] = ""
    big.loc[11, "ADDRESS"] = "NOWHERE AT ALL 99999"
    path = tmp_path / "calls.csv"
    big.to_csv(path, index=False)
    return path, big


def test_geocode_csv_same_rows_in_order(toy, toy_dir, tmp_path, cluster):
    src, big = _calls(toy_dir, tmp_path)
    geocode_file(toy, src, tmp_path / "local.csv", address_column="ADDRESS", census=True)
    spec = check_output_target(src, tmp_path / "dask.csv")
    s, _info = geocode_dask(
        toy, src, spec, address_column="ADDRESS", partitions=7, scheduler=cluster
    )
    local = pd.read_csv(tmp_path / "local.csv", dtype=str, keep_default_na=False)
    dask = pd.read_csv(tmp_path / "dask.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(local, dask)
    assert list(dask["rid"]) == list(big["rid"])
    assert dask.loc[7, "status"] == "empty" and dask.loc[11, "status"] != "ok"
    assert s["rows"] == len(big) and s["status"]["empty"] == 1


# dask-geopandas 0.5 still calls reset_index(inplace=True) when reading (not ours to fix)
@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_geocode_partition_folder_to_dataset(toy, toy_dir, tmp_path, cluster):
    import dask_geopandas

    src, big = _calls(toy_dir, tmp_path)
    parts = tmp_path / "in"
    parts.mkdir()
    for i, start in enumerate(range(0, len(big), 70)):  # Parquet partitions, small row groups
        big.iloc[start : start + 70].to_parquet(parts / f"p{i:02d}.parquet", row_group_size=20)
    geocode_file(toy, src, tmp_path / "local.csv", address_column="ADDRESS", census=True)
    target = check_output_target(parts, str(tmp_path / "out") + "/")
    assert isinstance(target, DatasetTarget)
    s, info = geocode_dask(toy, parts, target, address_column="ADDRESS", scheduler=cluster,
                           chunk_rows=40)  # fmt: skip
    got = dask_geopandas.read_parquet(target.path).compute()
    local = pd.read_csv(tmp_path / "local.csv", dtype=str, keep_default_na=False)
    assert info["partitions"] > 1 and len(got) == len(big) == s["rows"]
    assert list(got["rid"]) == list(big["rid"])
    for col in ("gh_beat", "status", "match_type"):  # the input has BEAT: the result is gh_beat
        assert list(got[col].fillna("").astype(str)) == list(local[col])
    ok = local["lon"] != ""
    assert np.allclose(got.geometry.x[ok.to_numpy()], local.loc[ok, "lon"].astype(float))
    assert got.crs.to_epsg() == 4326


def test_assign_same_beats_and_bad_rows_kept(toy, tmp_path, cluster):
    rng = np.random.default_rng(3)
    bounds = toy.beat_index.to_geodataframe().total_bounds
    n = 5_000
    pts = pd.DataFrame(
        {
            "pid": np.arange(n),
            "lon": rng.uniform(bounds[0] - 0.01, bounds[2] + 0.01, n).round(6).astype(str),
            "lat": rng.uniform(bounds[1] - 0.01, bounds[3] + 0.01, n).round(6).astype(str),
        }
    )
    pts.loc[5, "lon"] = "east"
    pts.loc[9, "lat"] = ""
    src = tmp_path / "pts.csv"
    pts.to_csv(src, index=False)
    local, ls = assign_chunk(toy, pd.read_csv(src, dtype=str, keep_default_na=False))
    spec = check_output_target(src, tmp_path / "pts_beats.parquet")
    assert isinstance(spec, OutputSpec)
    s, info = assign_dask(toy, src, spec, partitions=6, scheduler=cluster)
    got = read_parquet(tmp_path / "pts_beats.parquet")
    assert s == ls and info["features"] == n
    assert list(got["pid"].astype(int)) == list(range(n))
    assert list(got["beat"].fillna("")) == list(local["beat"].fillna(""))
    assert list(got["status"]) == list(local["status"])
    assert got.loc[5, "status"] == "invalid" and "east" in got.loc[5, "reason"]
    assert 0 < s["ok"] < n and s["outside"] > 0  # the test can fail both ways


def test_cli_engine_dask_matches_local(toy_env, toy_dir, tmp_path, cluster):
    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    src, _big = _calls(toy_dir, tmp_path, n=120)
    r = CliRunner()
    a = r.invoke(cli, ["geocode", str(src), "-o", str(tmp_path / "l.parquet"),
                       "--address-column", "ADDRESS"])  # fmt: skip
    b = r.invoke(cli, ["geocode", str(src), "-o", str(tmp_path / "d.parquet"), "--address-column",
                       "ADDRESS", "--engine", "dask", "--scheduler", cluster, "--blocksize", "2kB"])  # fmt: skip
    assert a.exit_code == 0, a.output
    assert b.exit_code == 0, b.output
    import geopandas as gpd

    la, da = gpd.read_parquet(tmp_path / "l.parquet"), gpd.read_parquet(tmp_path / "d.parquet")
    assert la.drop(columns="geometry").equals(da.drop(columns="geometry"))
    assert la.geometry.equals(da.geometry)


def _run(capsys, *args):
    from geo_heart.cli.main import main

    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return info.value.code, out.err


def test_dask_options_need_the_dask_engine(toy_env, tmp_path, toy_dir, capsys):
    code, err = _run(capsys, "assign", str(toy_dir / "address_points.csv"), "-o",
                     str(tmp_path / "o.csv"), "--partitions", "3")  # fmt: skip
    assert code == 2 and "--engine dask" in err


def test_missing_dask_is_one_line_naming_the_extra(toy_env, tmp_path, toy_dir, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    code, err = _run(capsys, "assign", str(toy_dir / "address_points.csv"), "-o",
                     str(tmp_path / "o.csv"), "--engine", "dask")  # fmt: skip
    assert code == 1 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "geo-heart[dask]" in lines[0]
    assert not (tmp_path / "o.csv").exists()


def test_folder_output_must_be_new_or_empty(toy, toy_dir, tmp_path):
    from geo_heart.errors import InputError

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x.txt").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        check_output_target(toy_dir / "calls.csv", tmp_path / "out")
    with pytest.raises(InputError, match="holds the input"):
        check_output_target(toy_dir, toy_dir.parent)


def test_demand_counts_sum_exactly(toy, toy_dir, tmp_path, cluster):
    from geo_heart.analysis import demand as dm
    from geo_heart.analysis.calls import load_calls
    from geo_heart.scale.demand import demand_dask

    calls = pd.read_csv(toy_dir / "calls.csv", dtype=str, keep_default_na=False)
    big = pd.concat([calls] * 5, ignore_index=True)
    big.loc[3, "WHEN"] = "not a time"
    big.loc[4, "BEAT"] = "77"  # not a beat of the layer: unplaced, still counted
    parts = tmp_path / "calls"
    parts.mkdir()
    for i, start in enumerate(range(0, len(big), 50)):
        big.iloc[start : start + 50].to_csv(parts / f"part-{i}.csv", index=False)
    whole = tmp_path / "whole.csv"
    big.to_csv(whole, index=False)
    data = load_calls(toy, whole)
    got = demand_dask(toy, str(parts / "part-*.csv"), scheduler=cluster, chunk_rows=17,
                      population=False)  # fmt: skip
    local = dm.beat_demand(toy, data, population=False)
    pd.testing.assert_frame_equal(got["beat"], local)
    assert got["beat"].attrs["notes"] == local.attrs["notes"]
    pd.testing.assert_frame_equal(got["hour"], dm.hour_of_week_demand(toy, data))
    pd.testing.assert_frame_equal(got["month"], dm.monthly_demand(data))
    pd.testing.assert_frame_equal(got["unknown"], dm.unknown_codes_table(data))
    s = data.summary()
    assert {k: v for k, v in got["summary"].items() if k != "source"} == {
        k: v for k, v in s.items() if k != "source"
    }
    assert s["bad_times"] == 1 and s["unplaced"] >= 1 and sum(s["eligible"].values()) > 0


@pytest.mark.slow  # starts worker processes and kills one
def test_a_lost_worker_is_rerun_without_duplicate_rows(toy, toy_dir, tmp_path):
    import os
    import signal

    from distributed import Client, LocalCluster

    from geo_heart.geocode.batch import _add_counts, _empty_summary
    from geo_heart.scale.cluster import DaskExecutor
    from geo_heart.scale.run import _geocode_part, run_partitions

    src, big = _calls(toy_dir, tmp_path, n=400)
    geocode_file(toy, src, tmp_path / "local.csv", address_column="ADDRESS", census=True)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        ex = DaskExecutor(client, toy, in_flight=6)
        victim = sorted(client.scheduler_info()["workers"])[0]
        pid = client.run(os.getpid, workers=[victim])[victim]
        killed = []

        def progress(_rows):  # after the first partition: the worker process dies
            if not killed:
                killed.append(pid)
                os.kill(pid, signal.SIGKILL)

        summary = _empty_summary()
        run_partitions(
            ex, src, check_output_target(src, tmp_path / "dask.csv"), func=_geocode_part,
            options={"address_column": "ADDRESS", "min_score": 0.0, "source": str(src)},
            points=lambda cols: ("lon", "lat"), rows=10, add=_add_counts, summary=summary,
            progress=progress,
        )  # fmt: skip
    local = pd.read_csv(tmp_path / "local.csv", dtype=str, keep_default_na=False)
    dask = pd.read_csv(tmp_path / "dask.csv", dtype=str, keep_default_na=False)
    assert killed and summary["rows"] == len(big)
    pd.testing.assert_frame_equal(local, dask)


def test_cli_folder_in_folder_out(toy, toy_env, toy_dir, tmp_path, cluster, capsys):
    import geopandas as gpd

    pts = pd.read_csv(toy_dir / "address_points.csv", dtype=str, keep_default_na=False)
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()  # an existing empty folder is a dataset target
    for i, start in enumerate(range(0, len(pts), 20)):
        pts.iloc[start : start + 20].to_csv(tmp_path / "in" / f"p{i}.csv", index=False)
    code, err = _run(capsys, "assign", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
                     "--engine", "dask", "--scheduler", cluster)  # fmt: skip
    assert code in (0, None), err
    parts = sorted((tmp_path / "out").glob("part-*.parquet"))
    got = pd.concat([gpd.read_parquet(p) for p in parts], ignore_index=True)
    local, _ = assign_chunk(toy, pts)
    assert len(parts) == 3 and list(got["address"]) == list(pts["address"])
    assert list(got["beat"].fillna("")) == list(local["beat"].fillna(""))
    code, err = _run(capsys, "assign", str(tmp_path / "in"), "-o", str(tmp_path / "o2"))
    assert code == 1 and "folder" in err  # the local engine reads one file


def test_assign_input_crs_same_as_local(toy, toy_env, toy_dir, tmp_path, cluster, capsys):
    from pyproj import Transformer

    pts = pd.read_csv(toy_dir / "address_points.csv", dtype=str, keep_default_na=False)
    tr = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    x, y = tr.transform(pts["lon"].astype(float).to_numpy(), pts["lat"].astype(float).to_numpy())
    table = pd.DataFrame({"pid": range(len(pts)), "x_m": x.round(2), "y_m": y.round(2)})
    src = tmp_path / "xy.csv"
    table.to_csv(src, index=False)
    common = ["--input-crs", "EPSG:3857", "--x-column", "x_m", "--y-column", "y_m"]
    code, err = _run(capsys, "assign", str(src), "-o", str(tmp_path / "l.csv"), *common)
    assert code in (0, None), err
    code, err = _run(capsys, "assign", str(src), "-o", str(tmp_path / "d.csv"), *common,
                     "--engine", "dask", "--scheduler", cluster, "--partitions", "3")  # fmt: skip
    assert code in (0, None), err
    local = pd.read_csv(tmp_path / "l.csv", dtype=str, keep_default_na=False)
    dask = pd.read_csv(tmp_path / "d.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(local, dask)
    assert (dask["status"] == "ok").all() and dask["beat"].nunique() > 1


@pytest.mark.parametrize("target", ["one.parquet", "one.gpkg", "dataset/"])
def test_typed_parquet_columns_keep_their_types(toy, tmp_path, cluster, target):
    """A Parquet input's binary, date-time with a zone, decimal, dictionary and list columns,
    and an integer column with nulls, come out of the dask engine with their Arrow types."""
    import datetime as dt
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 60
    t0 = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    given = pa.table({
        "px": [-99.9995 if i % 3 else -99.5 for i in range(n)],
        "py": [40.0049 if i % 3 else 40.5 for i in range(n)],
        "blob": pa.array([bytes([i, 255]) if i % 4 else None for i in range(n)], pa.binary()),
        "tsz": pa.array([t0 + dt.timedelta(hours=i) for i in range(n)],
                        pa.timestamp("us", tz="America/New_York")),
        "dec": pa.array([decimal.Decimal(i) / 4 for i in range(n)], pa.decimal128(7, 2)),
        "cat": pa.array(["ab"[i % 2] for i in range(n)]).dictionary_encode(),
        "lst": pa.array([list(range(i % 3)) for i in range(n)], pa.list_(pa.int16())),
        "n8": pa.array([i if i % 5 else None for i in range(n)], pa.int8()),
    })  # fmt: skip
    src = tmp_path / "typed.parquet"
    pq.write_table(given, src, row_group_size=10)  # partitions of whole row groups
    out = str(tmp_path / target) + ("/" if target.endswith("/") else "")  # a folder: a dataset
    spec = check_output_target(src, out)
    s, _info = assign_dask(toy, src, spec, lon_column="px", lat_column="py", partitions=3,
                           scheduler=cluster)  # fmt: skip
    assert s["rows"] == n and s["ok"] == 40
    if target.endswith(".gpkg"):
        import pyogrio

        got = pyogrio.read_arrow(tmp_path / target)[1]
        assert got["blob"].to_pylist() == given["blob"].to_pylist()
        assert got["tsz"].to_pylist() == [v.astimezone(dt.timezone.utc)
                                          for v in given["tsz"].to_pylist()]  # fmt: skip
        assert got["n8"].to_pylist() == given["n8"].to_pylist()
        return
    path = tmp_path / target
    parts = sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]
    got = pa.concat_tables([pq.read_table(p) for p in parts])
    for c in given.column_names:
        assert got.schema.field(c).type == given.schema.field(c).type, c
        assert got[c].to_pylist() == given[c].to_pylist(), c

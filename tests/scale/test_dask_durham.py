"""``--engine dask`` against the local engine on Durham samples (slow: real data, a cluster)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_heart.io.tables import read_parquet

pytest.importorskip("distributed")

from geo_heart.geo.assign import assign_chunk  # noqa: E402
from geo_heart.geocode.batch import geocode_file  # noqa: E402
from geo_heart.scale.run import assign_dask, check_output_target, geocode_dask  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as c:
        yield c.scheduler_address


def test_geocode_durham_sample_same_rows(workspace, data_dir, tmp_path, cluster):
    inc = pd.read_csv(data_dir / "incidents_2021_2024.csv", dtype=str, keep_default_na=False)
    sample = inc.sample(n=20_000, random_state=5).reset_index(drop=True)
    sample.insert(0, "rid", np.arange(len(sample)).astype(str))
    src = tmp_path / "sample.csv"
    sample.to_csv(src, index=False)
    geocode_file(workspace, src, tmp_path / "local.csv", address_column="ADDRESS2", census=True)
    spec = check_output_target(src, tmp_path / "dask.csv")
    s, _ = geocode_dask(
        workspace, src, spec, address_column="ADDRESS2", partitions=6, scheduler=cluster
    )
    local = pd.read_csv(tmp_path / "local.csv", dtype=str, keep_default_na=False)
    dask = pd.read_csv(tmp_path / "dask.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(local, dask)
    assert list(dask["rid"]) == list(sample["rid"])
    assert s["with_beat"] > 0.9 * len(sample)  # a real answer, not empty columns
    assert dask["tract_geoid"].ne("").mean() > 0.7


def test_assign_durham_random_points_same_beats(workspace, tmp_path, cluster):
    rng = np.random.default_rng(1)
    x0, y0, x1, y1 = workspace.beat_index.to_geodataframe().total_bounds
    n = 200_000
    pts = pd.DataFrame(
        {"pid": np.arange(n), "lon": rng.uniform(x0, x1, n), "lat": rng.uniform(y0, y1, n)}
    )
    src = tmp_path / "pts.parquet"
    pts.to_parquet(src, row_group_size=25_000)  # read on the workers, row group by row group
    local, ls = assign_chunk(workspace, read_parquet(src))
    out = tmp_path / "beats"
    s, info = assign_dask(workspace, src, check_output_target(src, str(out) + "/"),
                          scheduler=cluster, chunk_rows=50_000)  # fmt: skip
    got = pd.concat([read_parquet(p) for p in sorted(out.glob("part-*.parquet"))])
    assert info["partitions"] == 4 and s == ls
    assert list(got["pid"]) == list(range(n))
    assert list(got["beat"].fillna("")) == list(local["beat"].fillna(""))
    assert (got["status"] == "ok").mean() > 0.3 and (got["status"] == "outside").any()


def test_demand_durham_same_tables(workspace, cluster):
    from geo_heart.analysis import demand as dm
    from geo_heart.analysis.calls import load_calls
    from geo_heart.analysis.coverage import rules_coverage_table
    from geo_heart.scale.demand import demand_dask

    data = load_calls(workspace)
    got = demand_dask(workspace, scheduler=cluster, partitions=4)
    local = dm.beat_demand(workspace, data)
    pd.testing.assert_frame_equal(got["beat"], local)
    # every note the local engine gives, word for word: how DATE_REPT was read (offsets read as
    # local, its clock hour's agreement with HOUR_REPT, date-only stamps filled) from the
    # partitions' summed counts
    assert any("HOUR_REPT" in n for n in local.attrs["notes"])
    assert got["beat"].attrs["notes"] == local.attrs["notes"]
    assert got["summary"]["notes"] == data.summary()["notes"]
    pd.testing.assert_frame_equal(got["hour"], dm.hour_of_week_demand(workspace, data))
    pd.testing.assert_frame_equal(got["month"], dm.monthly_demand(data))
    pd.testing.assert_frame_equal(got["periods"], rules_coverage_table(data, workspace.config))
    assert got["month"]["rule_change"].any()  # a month under two rule sets combines in order

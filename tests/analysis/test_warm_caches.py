"""The per-area constants `map` keeps on disk, and the library code that replaced heavy imports
(issue 31 item 4): each gives exactly what it replaced."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from geo_heart.area import Area


def _fresh(area: Area) -> Area:
    """The same area and cache folder, with nothing in memory."""
    return Area(settings=area.settings, config=area.config)


def test_population_by_beat_read_back_from_disk(town, monkeypatch):
    from geo_heart.analysis import demand

    first = demand.population_by_beat(_fresh(town))
    files = list(town.settings.cache_dir.glob("population-*.json"))
    assert len(files) == 1
    assert first.sum() > 0

    def fail(*a, **k):
        raise AssertionError("apportioned again despite the disk cache")

    monkeypatch.setattr(demand, "_population", fail)
    again = demand.population_by_beat(_fresh(town))
    pd.testing.assert_series_equal(again, first, check_exact=True)


def test_population_cache_keyed_by_content(town, tmp_path):
    import shutil

    from geo_heart.analysis.demand import population_by_beat

    d = tmp_path / "town"
    shutil.copytree(town.settings.data_dir, d, ignore=shutil.ignore_patterns("cache"))
    moved = Area.load(d / "toy.toml", data_dir=d, cache_dir=town.settings.cache_dir)
    before = population_by_beat(moved)
    tracts = json.loads((d / "tracts.geojson").read_text())
    for f in tracts["features"]:
        f["properties"]["pop"] *= 2
    (d / "tracts.geojson").write_text(json.dumps(tracts))
    after = population_by_beat(
        Area.load(d / "toy.toml", data_dir=d, cache_dir=town.settings.cache_dir)
    )
    assert after.sum() == pytest.approx(2 * before.sum())


def test_equity_pieces_read_back_from_disk(town, monkeypatch):
    from geo_heart.analysis import equity

    first = equity.tract_pieces(_fresh(town))
    assert list(town.settings.cache_dir.glob("equity-pieces-*.parquet"))
    import geo_heart.geo.interpolate as interp

    monkeypatch.setattr(interp, "apportion", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    again = equity.tract_pieces(_fresh(town))
    pd.testing.assert_frame_equal(again, first, check_exact=True)


def test_queen_neighbors_cached_and_symmetric(toy, monkeypatch):
    from geo_heart.analysis.hotspots import city_beats, queen_neighbors

    gdf = city_beats(toy)
    nb = queen_neighbors(toy, gdf)
    assert len(nb) == len(gdf)
    for i, row in enumerate(nb):
        assert i not in row
        for j in row:
            assert i in nb[j]
    monkeypatch.setitem(sys.modules, "libpysal.weights", None)  # a rebuild would fail to import
    assert queen_neighbors(_fresh(toy), gdf) == nb


def _lattice(rows, cols, rook):
    from libpysal.weights import lat2W

    return lat2W(rows, cols, rook=rook)


@pytest.mark.parametrize("rook", [True, False])
def test_gi_star_z_and_normal_p_match_esda(rook):
    import warnings

    from esda.getisord import G_Local

    from geo_heart.analysis.hotspots import _gi_star

    rng = np.random.default_rng(7)
    for y in (rng.poisson(6, 48).astype(float), rng.gamma(2.0, 3.0, 48)):
        z, _p, pn = _gi_star(y, _lattice(6, 8, rook))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = G_Local(y, _lattice(6, 8, rook), transform="B", permutations=0, star=True)
        assert np.array_equal(z, np.nan_to_num(g.Zs))
        assert np.array_equal(pn, g.p_norm)


ESDA_P_SIM = """
import sys, json, warnings
sys.modules["numba"] = None  # esda's NumPy path: no 35 s compile in a test
import numpy as np
from libpysal.weights import lat2W
from esda.getisord import G_Local
warnings.simplefilter("ignore")
y = np.array(json.loads(sys.argv[1]))
g = G_Local(y, lat2W(5, 6, rook=False), transform="B", permutations=999, star=True,
            seed=12345, n_jobs=1)
print(json.dumps([float(v) for v in g.p_sim]))
"""


def test_gi_star_permutation_p_match_esda():
    from geo_heart.analysis.hotspots import PERMUTATIONS, SEED, _gi_star

    assert (PERMUTATIONS, SEED) == (999, 12345)
    y = np.random.default_rng(11).poisson(8, 30).astype(float)
    y[[0, 1, 6, 7]] += 25  # a hot corner
    out = subprocess.run(
        [sys.executable, "-c", ESDA_P_SIM, json.dumps(y.tolist())],
        capture_output=True,
        text=True,
        check=True,
    )
    expected = np.array(json.loads(out.stdout))
    _z, p, _pn = _gi_star(y, _lattice(5, 6, False))
    assert np.array_equal(p, expected)
    assert p[0] <= 0.05  # the corner is a hot spot


def test_class_breaks_are_mapclassify_quantiles():
    import warnings

    import mapclassify

    from geo_heart.render.maps import class_breaks

    rng = np.random.default_rng(3)
    checked = 0
    for t in range(300):
        v = rng.gamma(2.0, 3.0, int(rng.integers(6, 150))) * 10
        if t % 3 == 0:
            v = np.round(v)
        if t % 4 == 0:
            v[: len(v) // 2] = 0
        for k in (4, 5):
            if len(np.unique(v)) <= k:
                assert np.array_equal(class_breaks(v, k=k), np.unique(v))
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = np.asarray(mapclassify.Quantiles(v, k=k).bins, dtype=float)
            assert np.array_equal(class_breaks(v, k=k), expected)
            checked += 1
    assert checked > 400


def test_beat_texts_match_the_per_row_rule():
    from geo_heart.dispatch.eligibility import _beat_texts

    v = np.array(["513", None, np.nan, 513, pd.NA, "111", "513", 2.5, float("nan")], dtype=object)
    assert list(_beat_texts(v)) == ["513", None, None, "513", "<NA>", "111", "513", "2.5", None]


def test_coded_membership_matches_isin():
    from geo_heart.dispatch.eligibility import _beat_texts, _Coded

    rng = np.random.default_rng(5)
    pool = np.array(["a", "b", "c", "dd", None, np.nan, pd.NA, "513", 513], dtype=object)
    for _ in range(50):
        v = pool[rng.integers(0, len(pool), int(rng.integers(0, 300)))]
        keep = list(rng.choice(["a", "c", "513", "zz"], int(rng.integers(0, 4)), replace=False))
        coded = _Coded.of(v)
        expected = pd.Series(v, dtype=object).isin(keep).to_numpy()
        assert np.array_equal(coded.member(keep), expected)
        assert np.array_equal(coded.member(set(keep).__contains__), expected)
        rows = np.flatnonzero(rng.random(len(v)) < 0.5)
        assert np.array_equal(coded.take(rows).member(keep), expected[rows])
        # beats coded in one pass read as the per-row text rule does (513 and "513" alike)
        texts = pd.Series(_beat_texts(v), dtype=object)
        assert np.array_equal(_Coded.of_beats(v).member(keep), texts.isin(keep).to_numpy())


def test_eligibility_frame_unchanged_by_coded_columns(toy):
    """Each program's columns equal the per-call rule written out with pandas ``isin``."""
    from geo_heart.dispatch.eligibility import eligibility_for_calls, programs_for

    data = toy.load_calls(cache=False)
    f = data.frame.copy()
    f.loc[f.index[::7], "beat"] = None
    f.loc[f.index[::5], "call_type"] = None
    progs = programs_for(toy.config)
    got = eligibility_for_calls(toy.config, f, programs=progs)
    risk = f["risk"].to_numpy(dtype=bool)
    for code, p in progs.items():
        direct = f["call_type"].isin(list(p.call_types)).to_numpy()
        direct = direct & ~risk if p.risk == "exclude" else direct
        typ = direct | (f["call_type"].isin(list(p.risk_call_types)).to_numpy() & risk)
        sa = toy.config.service_areas[p.service_area]
        area = f["beat"].map(lambda b, sa=sa: b is not None and sa.contains(b)).to_numpy(bool)
        assert np.array_equal(got[f"{code}_type"].to_numpy(), typ), code
        assert np.array_equal(got[f"{code}_area"].to_numpy(), area & bool(p.active)), code
    assert got["CRT_area"].any() and (~got["CRT_area"]).any()


def test_markov_chain_on_one_blas_thread_is_unchanged():
    from threadpoolctl import threadpool_info

    from geo_heart.staffing import markov

    before = [i["num_threads"] for i in threadpool_info()]
    plain = markov._hour_matrices.__wrapped__(3.7, 4, 1.0, 7)
    with markov.one_blas_thread():
        one = markov._hour_matrices.__wrapped__(3.7, 4, 1.0, 7)
    assert all(np.array_equal(x, y) for x, y in zip(plain, one, strict=True))
    assert [i["num_threads"] for i in threadpool_info()] == before  # the limit is lifted after


def test_kernel_spectrum_memoised_read_only():
    from geo_heart.staffing.erlang import ServiceTime, _kernel_spectrum

    s = ServiceTime(mean_minutes=45.0, distribution="lognormal", cv=0.8, travel_minutes=10.0)
    k = _kernel_spectrum(s)
    assert np.array_equal(k, np.fft.rfft(s.minute_kernel()))
    assert _kernel_spectrum(ServiceTime(45.0, "lognormal", 0.8, 10.0)) is k
    assert not k.flags.writeable


def test_tight_layout_once_saves_the_same_png():
    import io

    from matplotlib.figure import Figure

    from geo_heart.render.static import tight_layout_once

    def fig():
        f = Figure(figsize=(5, 3), dpi=80)
        ax = f.add_subplot()
        ax.bar(range(24), np.arange(24) % 7, label="calls")
        ax.set_title("hour of day")
        ax.legend()
        return f

    pngs = []
    for once in (False, True):
        f = fig()
        tight_layout_once(f) if once else f.tight_layout()
        buf = io.BytesIO()
        f.savefig(buf, format="png")
        pngs.append(buf.getvalue())
    assert pngs[0] == pngs[1]
    f = fig()
    tight_layout_once(f)
    assert f.get_layout_engine() is None


def test_no_sqlite_sync_restores_the_setting():
    import pyogrio

    from geo_heart.io.ogr import no_sqlite_sync

    key = "OGR_SQLITE_SYNCHRONOUS"
    for prior in (None, "FULL"):
        pyogrio.set_gdal_config_options({key: prior})
        with no_sqlite_sync():
            assert pyogrio.get_gdal_config_option(key) is False  # pyogrio reads "OFF" as False
        assert pyogrio.get_gdal_config_option(key) == prior
    pyogrio.set_gdal_config_options({key: None})


def test_first_page_reuses_the_report_equity(town, monkeypatch):
    """The reach row read from the report's equity result (with bootstrap intervals) says what
    the row computed on its own (no intervals) says, without running the analysis again."""
    from geo_heart.analysis import equity
    from geo_heart.render.council import reach_row
    from geo_heart.render.equity import results_by_rule_set

    data = town.load_calls(cache=False)
    alone = reach_row(town, data)
    results = results_by_rule_set(town, data)
    assert list(results) == [rs.name for rs in town.config.timeline.rule_sets if not rs.synthetic]
    today = results[town.config.rule_set().name]
    assert today.groups["in_service_area_share_ratio_low"].notna().any()  # bootstrapped
    monkeypatch.setattr(equity, "equity_analysis", lambda *a, **k: 1 / 0)
    assert reach_row(town, data, result=today) == alone
    assert "live in the service area" in alone["value"]

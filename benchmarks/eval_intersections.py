"""Intersections against official coordinates (issue 11, item 4, "How it will be measured").

Truth: the crossings of two differently named OpenStreetMap roads in ``osm_major_roads_2018.geojson``
(at-grade road types; no motorways, links, bridges or tunnels; a pair that crosses at points more
than 100 m apart is left out as ambiguous). These coordinates are used ONLY as the truth here.

"A & B" is geocoded twice: with the road layer DISABLED (the index built without
``[layers.roads]``, so the answer must come from the streets' address points and their extension)
and with it enabled. Also the ``A/B`` rows of ``incidents_2025_eval.csv`` (beat vs DPD ``BEAT``).

    .venv/bin/python benchmarks/eval_intersections.py [--data ../shared/data/durham]

Figures: a point for (target >= 70%); of those within 150 m (>= 85%); the right beat away from
beat boundaries (no other beat within 150 m of the truth; >= 97%); the true beat named (beat,
``straddle_beats`` or a candidate's beat) on boundary crossings (>= 90%); and how often the truth
lies within the stated ``uncertainty_m``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo_heart.area import Area  # noqa: E402
from geo_heart.config.settings import Settings  # noqa: E402
from geo_heart.geocode.address import parse_address, street_key_from_text  # noqa: E402
from geo_heart.geocode.match import Geocoder, geocoder_for  # noqa: E402
from geo_heart.geocode.reference import build_index  # noqa: E402

_AT_GRADE = {"primary", "secondary", "tertiary", "trunk"}
BOUNDARY_M = 150.0


def truth_crossings(path: Path, projected_crs: str) -> pd.DataFrame:
    """One row per pair of named roads that cross once: name_a, name_b, lon, lat."""
    import geopandas as gpd
    import shapely

    g = gpd.read_file(path)
    g = g[g["name"].notna() & g["type"].isin(_AT_GRADE)]
    g = g[(g["bridge"].astype(str) != "1") & (g["tunnel"].astype(str) != "1")].to_crs(projected_crs)
    names = sorted(g["name"].unique())
    lines = np.array(
        [shapely.union_all(g.geometry[g["name"] == n].to_numpy()) for n in names], dtype=object
    )
    tree = shapely.STRtree(lines)
    left, right = tree.query(lines, predicate="intersects")
    rows = []
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        pts = shapely.get_coordinates(lines[i].intersection(lines[j]))
        if len(pts) == 0 or np.ptp(pts, axis=0).max() > 100 / 0.3048:
            continue
        x, y = pts.mean(axis=0)
        rows.append((names[i], names[j], x, y))
    df = pd.DataFrame(rows, columns=["name_a", "name_b", "x", "y"])
    # one road changing its name (T W / T.W., North / South, Street / Road) is not a crossing
    same = [
        street_key_from_text(a) is not None
        and street_key_from_text(b) is not None
        and street_key_from_text(a).name.replace(" ", "")
        == street_key_from_text(b).name.replace(" ", "")
        for a, b in zip(df["name_a"], df["name_b"], strict=True)
    ]
    df = df[~np.array(same, dtype=bool)].reset_index(drop=True)
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(projected_crs, "EPSG:4326", always_xy=True).transform(
        df["x"].to_numpy(), df["y"].to_numpy()
    )
    df["lon"], df["lat"] = lon, lat
    return df


def _haversine_m(lon1, lat1, lon2, lat2):
    r = 6371008.8
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(a))


def _named(r) -> set[str]:
    """Every beat the answer names: its beat, straddle beats and candidates' beats."""
    out = {r.beat} if r.beat else set()
    out |= set((r.straddle_beats or "").split(";")) - {""}
    out |= {c["beat"] for c in r.candidates if c.get("beat")}
    return out


def _point(r):
    if r.lon is not None:
        return r.lon, r.lat
    pts = [(c["lon"], c["lat"]) for c in r.candidates if c.get("lon") is not None]
    return pts[0] if pts else (None, None)


def run(g: Geocoder, truth: pd.DataFrame, ws, label: str, verbose: bool = False) -> dict:
    t = time.perf_counter()
    res = [
        g.geocode_one(f"{a} & {b}") for a, b in zip(truth["name_a"], truth["name_b"], strict=True)
    ]
    if verbose:
        for r, (_, row) in zip(res, truth.iterrows(), strict=True):
            pl = _point(r)
            e = _haversine_m(pl[0], pl[1], row.lon, row.lat) if pl[0] is not None else None
            print(
                f"{row.name_a} & {row.name_b} | {r.match_type} {r.status} err={e} "
                f"unc={r.uncertainty_m} beat={r.beat}/{row.beat} {r.reason}"
            )
    dt = time.perf_counter() - t
    pt = [_point(r) if r.match_type == "intersection" else (None, None) for r in res]
    has = np.array([p[0] is not None for p in pt])
    lon = np.array([np.nan if p[0] is None else p[0] for p in pt])
    lat = np.array([np.nan if p[1] is None else p[1] for p in pt])
    err = _haversine_m(lon, lat, truth["lon"].to_numpy(), truth["lat"].to_numpy())
    unc = np.array([np.nan if r.uncertainty_m is None else r.uncertainty_m for r in res])
    for i, r in enumerate(res):
        if np.isnan(unc[i]) and r.candidates:
            unc[i] = r.candidates[0].get("uncertainty_m") or np.nan
    tb = truth["beat"].to_numpy(object)
    inside = np.array([isinstance(b, str) for b in tb])
    boundary = truth["boundary"].to_numpy(bool)
    right = np.array([r.beat == b for r, b in zip(res, tb, strict=True)])
    named = np.array([b in _named(r) for r, b in zip(res, tb, strict=True)])
    away = inside & ~boundary
    near = inside & boundary
    out = {
        "crossings": len(truth),
        "a point for the crossing (%)": 100 * has.mean(),
        "any point (incl. one street's) (%)": 100
        * np.mean([_point(r)[0] is not None for r in res]),
        "of those within 150 m (%)": 100 * (err[has] <= 150).mean(),
        "median error (m)": float(np.median(err[has])),
        "p90 error (m)": float(np.percentile(err[has], 90)),
        "truth within uncertainty_m (%)": 100 * (err[has] <= unc[has]).mean(),
        "median uncertainty_m": float(np.nanmedian(unc[has])),
        f"away from boundaries (n={away.sum()}): right beat (%)": 100 * right[away].mean(),
        "  of those with a beat (%)": 100
        * right[away & np.array([r.beat is not None for r in res])].mean(),
        f"boundary crossings (n={near.sum()}): true beat named (%)": 100 * named[near].mean(),
        "  status ambiguous (%)": 100
        * np.mean([res[i].status == "ambiguous" for i in np.flatnonzero(near)]),
        "ms per crossing": 1000 * dt / max(len(truth), 1),
    }
    print(f"\n== {label} ==")
    for k, v in out.items():
        print(f"{k:<52}{v:9.2f}" if isinstance(v, float) else f"{k:<52}{v:9d}")
    mt = pd.Series([r.match_type for r in res]).value_counts().to_dict()
    print("match types:", mt)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "durham"))
    ap.add_argument("--cache", default=None)
    ap.add_argument("--verbose", action="store_true", help="one line per crossing")
    args = ap.parse_args()
    data = Path(args.data)
    kw = {"data_dir": data, "area": "durham"}
    if args.cache:
        kw["cache_dir"] = Path(args.cache)
    ws = Area.from_settings(Settings(**kw))
    crs = str(ws.config.projected_crs)
    truth = truth_crossings(data / "osm_major_roads_2018.geojson", crs)
    bi = ws.beat_index
    truth["beat"] = bi.assign(truth["lon"].to_numpy(), truth["lat"].to_numpy())["beat"]
    # a boundary crossing: another beat within BOUNDARY_M of the truth point
    import shapely
    from pyproj import Transformer

    to_p = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    geoms = shapely.transform(
        bi.geoms, lambda xy: np.column_stack(to_p.transform(xy[:, 0], xy[:, 1]))
    )
    tree = shapely.STRtree(geoms)
    pts = shapely.points(truth["x"].to_numpy(), truth["y"].to_numpy())
    li, gi = tree.query(pts, predicate="dwithin", distance=BOUNDARY_M / 0.3048)
    nbeats = np.bincount(li, minlength=len(truth))
    truth["boundary"] = nbeats > 1
    truth = truth[truth["beat"].notna()].reset_index(drop=True)  # the area's beats only
    print(
        f"truth: {len(truth)} OSM crossings of named at-grade roads "
        f"({truth['beat'].notna().sum()} inside a beat, {int(truth['boundary'].sum())} within "
        f"{BOUNDARY_M:.0f} m of another beat)"
    )

    t = time.perf_counter()
    idx = build_index(ws, without=("roads",))
    g_off = Geocoder(idx, bi, ws.config.service_area)
    print(f"index without road lines built in {time.perf_counter() - t:.1f} s")
    both = 0
    for a, b in zip(truth["name_a"], truth["name_b"], strict=True):
        ka, kb = parse_address(f"{a} & {b}").street_key, parse_address(f"{a} & {b}").street2_key
        ca, cb = g_off.resolve_street(ka)[0], g_off.resolve_street(kb)[0]
        both += bool(
            any(idx.streets[k].path_parts for k in ca)
            and any(idx.streets[k].path_parts for k in cb)
        )
    print(f"both streets have known address points (without roads): {100 * both / len(truth):.1f}%")
    run(
        g_off,
        truth,
        ws,
        "road layer DISABLED: address points and their extension only",
        args.verbose,
    )
    run(geocoder_for(ws), truth, ws, "road layer enabled")

    # incidents 2025: the A/B rows, beat vs DPD BEAT
    inc = pd.read_csv(data / "incidents_2025_eval.csv", dtype=str, keep_default_na=False)
    rows = inc[[parse_address(a).kind == "intersection" for a in inc["ADDRESS2"]]]
    g = geocoder_for(ws)
    res = [g.geocode_one(a) for a in rows["ADDRESS2"]]
    dpd = rows["BEAT"].str.strip().to_numpy(object)
    has_beat = np.array([r.beat is not None for r in res])
    agree = np.array([r.beat == b for r, b in zip(res, dpd, strict=True)])
    named = np.array([b in _named(r) for r, b in zip(res, dpd, strict=True)])
    has_pt = np.array([_point(r)[0] is not None for r in res])
    print(f"\n== incidents_2025_eval.csv intersection rows ({len(rows)}) ==")
    print(f"a point:                       {100 * has_pt.mean():6.2f}%")
    print(f"a beat:                        {100 * has_beat.mean():6.2f}%")
    print(f"agreeing with DPD, of those:   {100 * agree[has_beat].mean():6.2f}%")
    print(f"DPD's beat named (any):        {100 * named.mean():6.2f}%")
    print("status:", pd.Series([r.status for r in res]).value_counts().to_dict())
    print("match types:", pd.Series([r.match_type for r in res]).value_counts().to_dict())


if __name__ == "__main__":
    main()

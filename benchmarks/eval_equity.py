"""Equity: residents in the service area by group, against an independent apportionment.

    .venv/bin/python benchmarks/eval_equity.py

For each rule set's service area (Durham: before HEART, the 2022-23 pilot, citywide) prints each
group's share living in it as ``geo-heart equity`` computes it (tobler, area weights) next to an
independent area-weighted apportionment (a plain ``geopandas.overlay`` of the tracts with the
dissolved beats, every beat not flagged outside the city), the largest difference (target: within
1.5 points), the dasymetric (address-point) figures beside them, and the time each apportionment
takes in this process. Reads the data folder (GEO_HEART_DATA or ../shared/data/durham).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo_heart.analysis.equity import equity_analysis, equity_groups, tract_layer  # noqa: E402
from geo_heart.area import Area  # noqa: E402
from geo_heart.config.settings import Settings  # noqa: E402


def overlay_shares(ws, service_beats: list[str]) -> tuple[dict[str, float], float]:
    """The independent computation: geopandas overlay, area shares, no geo-heart code."""
    import geopandas as gpd

    cfg = ws.config
    groups = equity_groups(cfg)
    tracts = tract_layer(ws).to_crs(cfg.projected_crs)
    beats = gpd.read_file(ws.data_path(cfg.beats.file)).to_crs(cfg.projected_crs)
    beats["beat"] = beats[cfg.beats.id_field].astype(str)
    outside = {c for c, s in cfg.beats.special.items() if s.outside_city}
    beats = beats[~beats["beat"].isin(outside)].dissolve("beat").reset_index()
    tracts["tract_area"] = tracts.area
    fields = [g.field for g in groups]
    pieces = gpd.overlay(
        tracts[[*fields, "tract_area", "geometry"]], beats[["beat", "geometry"]], how="intersection"
    )
    share = pieces.area / pieces["tract_area"]
    out = {}
    for g in groups:
        v = pieces[g.field] * share
        total = v.sum()
        out[g.key] = float(v[pieces["beat"].isin(service_beats)].sum() / total) if total else 0.0
    return out, float((pieces[groups[0].field] * share).sum())


def main() -> None:
    data = Path(os.environ.get("GEO_HEART_DATA", ROOT.parent / "shared" / "data" / "durham"))
    ws = Area.from_settings(
        Settings(data_dir=data, cache_dir=Path(tempfile.gettempdir()) / "gh-eval-equity")
    )
    worst = 0.0
    for rs in ws.config.timeline.rule_sets:
        r = equity_analysis(ws, None, rules=rs, bootstrap=0)
        d = equity_analysis(ws, None, rules=rs, bootstrap=0, weights="address_points")
        want, residents = overlay_shares(ws, r.service_beats)
        print(f"{rs.label} ({rs.span()}): {len(r.service_beats)} beats")
        print(f"  {'group':<30}{'geo-heart':>10}{'overlay':>10}{'diff pts':>10}{'dasymetric':>12}")
        for g in r.groups.itertuples():
            diff = 100 * (g.in_service_area_share - want[g.group])
            worst = max(worst, abs(diff))
            das = d.groups.set_index("group").loc[g.group, "in_service_area_share"]
            print(
                f"  {g.label:<30}{g.in_service_area_share:>10.1%}{want[g.group]:>10.1%}"
                f"{diff:>10.3f}{das:>12.1%}"
            )
        print(
            f"  residents: geo-heart {r.tracts['residents'].sum():,.0f}, overlay {residents:,.0f}"
        )
    print(f"largest difference: {worst:.3f} points (target: within 1.5)")
    t_tobler, t_overlay = _timings(ws)
    print(
        f"time (best of 3, same process): tobler apportionment to tract x beat pieces, all groups "
        f"{t_tobler:.3f} s; the independent overlay {t_overlay:.3f} s "
        f"(ratio {t_tobler / t_overlay:.2f})"
    )


def _timings(ws) -> tuple[float, float]:
    """Best of 3: geo-heart's apportionment (overlay + tobler) and the plain overlay."""
    import geopandas as gpd

    from geo_heart.geo.interpolate import apportion

    groups = equity_groups(ws.config)
    tracts = tract_layer(ws)
    b = ws.beat_index.to_geodataframe()
    beats = gpd.GeoDataFrame({"beat": b["beat"]}, geometry=b.geometry.to_numpy(), crs=4326)
    fields = [g.field for g in groups]
    crs = ws.config.projected_crs

    def best(fn) -> float:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    t_tobler = best(
        lambda: apportion(tracts, beats, fields, crs=crs, source_id="tract_geoid", target_id="beat")
    )
    t_overlay = best(lambda: overlay_shares(ws, []))
    return t_tobler, t_overlay


if __name__ == "__main__":
    main()

"""Per-beat reference table (district, area, service-area membership, special codes)."""

from __future__ import annotations

import pandas as pd

from geo_heart.geo.workspace import Workspace


def beats_table(ws: Workspace) -> pd.DataFrame:
    """One row per beat: ``beat``, ``district``, ``area_sq_mi``, ``in_<service area>`` per area,
    ``note`` (label of special codes such as 999)."""
    idx = ws.beat_index
    areas = idx.area_sq_mi()
    rows = []
    for b in idx.beats:
        row = {"beat": b, "district": idx.district_of(b), "area_sq_mi": round(areas[b], 3)}
        for key, sa in ws.config.service_areas.items():
            row[f"in_{key}"] = sa.contains(b)
        special = ws.config.beats.special.get(b)
        row["note"] = special.label if special else ""
        rows.append(row)
    return pd.DataFrame(rows)

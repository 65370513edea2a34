"""Per-beat reference table (district, area, service-area membership, special codes)."""

from __future__ import annotations

import pandas as pd

from geo_heart.config.areafile import AreaConfig
from geo_heart.geo.beats import BeatIndex


def beats_table(beat_index: BeatIndex, config: AreaConfig) -> pd.DataFrame:
    """One row per beat of ``beat_index``: ``beat``, ``district``, ``area_sq_mi``,
    ``in_<service area>`` for each service area of ``config``, ``note`` (label of special codes
    such as 999)."""
    areas = beat_index.area_sq_mi()
    rows = []
    for b in beat_index.beats:
        row = {"beat": b, "district": beat_index.district_of(b), "area_sq_mi": round(areas[b], 3)}
        for key, sa in config.service_areas.items():
            row[f"in_{key}"] = sa.contains(b)
        special = config.beats.special.get(b)
        row["note"] = special.label if special else ""
        rows.append(row)
    return pd.DataFrame(rows)

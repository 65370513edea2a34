"""Reference coordinates are validated at index build (issue 12 #15)."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from geo_heart.area import Area
from geo_heart.config.settings import Settings
from geo_heart.geocode.reference import build_index


def test_out_of_range_reference_points_are_rejected_and_counted(workspace, tmp_path):
    pts = pd.DataFrame(
        {
            "house": [100, 110, 120, 130],
            "street": ["Bad Coord St"] * 4,
            "lon": [-78.9001, -78.9002, 500.0, "x"],
            "lat": [35.995, 1e308, 35.995, 35.995],
        }
    )
    pts.to_csv(tmp_path / "points.csv", index=False)
    layers = {
        "address_points": {
            "file": str(tmp_path / "points.csv"),
            "number_column": "house",
            "street_column": "street",
            "lon_column": "lon",
            "lat_column": "lat",
        }
    }
    area = dataclasses.replace(workspace.config, layers=layers)
    ws = Area(
        settings=Settings(data_dir=workspace.settings.data_dir, cache_dir=tmp_path / "c"),
        config=area,
    )
    index = build_index(ws)
    info = index.sources["address_points"]
    assert info["bad_coordinates"] == 3 and info["addresses"] == 1
    for street in index.streets.values():
        if street.lat is not None:
            assert all(math.isfinite(v) and abs(v) <= 90 for v in street.lat)

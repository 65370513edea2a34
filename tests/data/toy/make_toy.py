"""Regenerate the toy area's data files (run from anywhere: ``python tests/data/toy/make_toy.py``).

A made-up town on a 0.02° x 0.02° square near (-100.0, 40.0): four beats in two districts, a
sheriff code outside the town, two streets with address points, and a small call table. Everything
is synthetic; the files are committed so tests do not depend on this script.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
X0, Y0, D = -100.0, 40.0, 0.01  # south-west corner, beat size in degrees


def square(x, y, w, h):
    return [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]]


def beats() -> dict:
    feats = []
    for beat, dist, (i, j) in (("11", "D1", (0, 0)), ("12", "D1", (1, 0)),
                               ("21", "D2", (0, 1)), ("22", "D2", (1, 1))):
        feats.append({"type": "Feature", "properties": {"BEAT": beat, "DIST": dist},
                      "geometry": {"type": "Polygon",
                                   "coordinates": square(X0 + i * D, Y0 + j * D, D, D)}})
    # beat 22 is multi-part: a second small piece east of the town
    feats.append({"type": "Feature", "properties": {"BEAT": "22", "DIST": "D2"},
                  "geometry": {"type": "Polygon",
                               "coordinates": square(X0 + 2 * D, Y0 + D, D / 2, D / 2)}})
    # sheriff territory south of the town
    feats.append({"type": "Feature", "properties": {"BEAT": "99", "DIST": "SO"},
                  "geometry": {"type": "Polygon", "coordinates": square(X0, Y0 - D, 2 * D, D)}})
    return {"type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
            "features": feats}


def address_points() -> list[dict]:
    rows = []
    # OAK ST runs west-east along lat Y0 + 0.005 through beats 11 and 12: numbers 100..1900
    for n in range(100, 2000, 100):
        for side in (0, 1):
            num = n + side * 2
            lon = X0 + 0.0005 + (n - 100) / 1900 * 2 * D
            rows.append({"address": f"{num} OAK ST", "unit": "", "lon": round(lon, 7),
                         "lat": round(Y0 + 0.005 + (0.0001 if side else -0.0001), 7)})
    # ELM AVE runs south-north along lon X0 + 0.015 through beats 12 and 22: numbers 100..1900
    for n in range(100, 2000, 200):
        lat = Y0 + 0.0005 + (n - 100) / 1900 * 2 * D
        rows.append({"address": f"{n} ELM AVE", "unit": "", "lon": X0 + 0.015,
                     "lat": round(lat, 7)})
    return rows


def calls() -> list[dict]:
    rows = []
    kinds = ["TRESPASS", "MENTAL HE", "CRT - TRESPASS", "DISTURBAN", "LARCENY", "COR - DISTURBAN"]
    beats_ = ["11", "12", "21", "22", "11", "12"]
    for k in range(48):
        day = 1 + k % 28
        hour = (6 + 3 * k) % 24
        year = 2022 if k < 16 else 2024
        rows.append({
            "ID": f"C{k:03d}",
            "TYPE": kinds[k % len(kinds)],
            "WHEN": f"{year}/03/{day:02d} {hour:02d}:15:00+00",
            "BEAT": beats_[k % len(beats_)],
            "ADDRESS": f"{100 * (1 + k % 18)} OAK ST",
        })
    return rows


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    (HERE / "beats.geojson").write_text(json.dumps(beats(), indent=1) + "\n")
    write_csv(HERE / "address_points.csv", address_points())
    write_csv(HERE / "calls.csv", calls())

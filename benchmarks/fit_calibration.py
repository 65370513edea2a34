"""Fit the geocoder's calibration table (90% radii, beat probabilities) from held-out measurements.

    GEO_HEART_CACHE=… PYTHONPATH=. .venv/bin/python benchmarks/fit_calibration.py \\
        [--data ../shared/data/durham] [--out boundaries/durham_calibration.json]

Writes the JSON table the area file names in ``[calibration] file`` (see
:mod:`geo_heart.geocode.calibration`); review the diff before committing it. The geocoder never
reads the evaluation files: only this table. Data:

- **addresses**: ``address_points_eval.csv`` (addresses the reference index never saw, with the
  County's coordinates): per match type, the 90th percentile of the distance to the truth
  (``radius_m``; match types with at least ``MIN_N`` answers);
- **crossings**: every row of ``intersections_eval.csv`` (``--crossings fit|report`` fits on one
  half, split by a hash of the crossing's text, :func:`eval_intersections.half_of`; the
  figures of a table fitted on every row are reported cross-fitted, each half scored with a table
  fitted on the other: ``eval_intersections.py --cross-fit``): per crossing
  class (its geometry × the band of its geometric radius), the conformal 90% radius of the
  distance from the crossing's point to the stop (:func:`conformal_radius`; a class with fewer
  than ``MIN_CLASS_N`` answers takes its geometry's pooled radius) (``crossing_radius_m``), made
  non-decreasing across bands;
  the same for crossings placed from past records and one street's points
  (``radius_m.history_intersection``);
  the crossing beat probabilities from the same rows (and those of answers the incidents leave
  unfitted, such as one street of a crossing that was not found);
- **beats**: ``incidents_2025_eval.csv`` (DPD's ``BEAT``): per family (match type, and whether the
  beat came from past records) a monotone map raw score → share of answers whose beat agrees
  (isotonic regression; families with at least ``MIN_N`` answers).

``ok_crossing_radius_m`` and ``ok_crossing_geometries`` are a policy, not a fit
(``--ok-crossing-radius 450 --ok-crossing-geometries lines``): a crossing is ``ok`` only when two
drawn street lines meet there (not a crossing estimated from address points or lines passing
apart or extended), one beat lies within its 90% radius, that radius is at most 450 m and the
past records of the crossing (if any) neither split between beats nor name another beat; otherwise the call-taker is asked to
confirm (``approximate`` or ``ambiguous``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_geocode import _haversine_m  # noqa: E402
from eval_intersections import load_truth  # noqa: E402

from geo_heart.area import Area  # noqa: E402
from geo_heart.config.settings import Settings  # noqa: E402
from geo_heart.geocode.address import parse_address  # noqa: E402
from geo_heart.geocode.calibration import IDENTITY, Calibration, score_family  # noqa: E402
from geo_heart.geocode.match import Geocoder, new_geocoder  # noqa: E402

MIN_N = 15
QUANTILE = 0.9
#: a crossing class with fewer fitted answers takes its geometry's pooled radius
MIN_CLASS_N = 8


def conformal_radius(err: np.ndarray, level: float = QUANTILE) -> float:
    """The radius that holds ``level`` of *new* answers: the ceil((n+1)·level)-th smallest error.

    The plain 90th percentile of n fitted errors covers the next answer less than 90% of the
    time (split-conformal); with the (n+1) rank it holds at least ``level`` for exchangeable
    answers. When the rank exceeds n (n < 9 at 90%) the largest error is used.
    """
    e = np.sort(np.asarray(err, dtype=float))
    k = math.ceil((len(e) + 1) * level)
    return float(e[min(k, len(e)) - 1])


def _geocoder(ws, cal: Calibration) -> Geocoder:
    return new_geocoder(ws, calibration=cal)


def address_radii(g: Geocoder, data: Path) -> dict[str, float]:
    ev = pd.read_csv(data / "address_points_eval.csv", dtype=str, keep_default_na=False)
    res = g.geocode_many(ev["address"])
    err = _haversine_m(
        res["lon"].to_numpy(float), res["lat"].to_numpy(float),
        ev["lon"].astype(float).to_numpy(), ev["lat"].astype(float).to_numpy(),
    )  # fmt: skip
    t = pd.DataFrame({"mt": res["match_type"], "err": err, "s": res["score"]}).dropna()
    out = {}
    for mt, grp in t.groupby("mt"):
        if len(grp) >= MIN_N:
            out[str(mt)] = round(float(np.quantile(grp["err"], QUANTILE)), 1)
        print(f"  address {mt:<20} n={len(grp):4d} p90 error {np.quantile(grp['err'], 0.9):7.1f} m")
        for sc, sub in grp.groupby(grp["s"].round(2)):
            if len(sub) >= MIN_N and grp["s"].round(2).nunique() > 1:
                out[f"{mt}@{sc:.2f}"] = round(float(np.quantile(sub["err"], QUANTILE)), 1)
                print(f"    @{sc:.2f} n={len(sub):4d} p90 error {out[f'{mt}@{sc:.2f}']:7.1f} m")
    return out


def crossing_radii(g: Geocoder, truth: pd.DataFrame) -> tuple[dict[str, float], float | None]:
    """(radius per crossing class, radius of crossings placed from past records)."""
    rows = []
    for text, lon, lat in zip(truth["text"], truth["lon"], truth["lat"], strict=True):
        m = g._match(parse_address(text))
        if m.lon is None:
            continue
        err = float(_haversine_m(m.lon, m.lat, lon, lat))
        if m.cal_class is None:  # placed another way (past records and one street's points)
            if m.match_type == "history_intersection":
                rows.append(("history/0", err, m.uncertainty_m))
            continue
        rows.append((m.cal_class, err, m.raw_radius_m))
    t = pd.DataFrame(rows, columns=["cls", "err", "raw"])
    t["src"] = t["cls"].str.split("/").str[0]
    out: dict[str, float] = {}
    hist = t[t["src"] == "history"]
    t = t[t["src"] != "history"]
    from_records = None
    if len(hist) >= MIN_CLASS_N:
        from_records = round(conformal_radius(hist["err"].to_numpy()), 1)
        print(f"  crossing from past records n={len(hist):4d} 90% radius {from_records:7.1f} m")
    for src, grp in t.groupby("src"):
        pooled = conformal_radius(grp["err"].to_numpy())
        out[f"{src}/*"] = round(pooled, 1)
        print(f"  crossing {src:<8} n={len(grp):4d} 90% radius {pooled:7.1f} m")
        last = 0.0
        for cls, sub in sorted(grp.groupby("cls"), key=lambda kv: kv[0]):
            q = conformal_radius(sub["err"].to_numpy()) if len(sub) >= MIN_CLASS_N else pooled
            last = max(last, q)  # a wider geometric radius never gets a smaller fitted one
            out[str(cls)] = round(last, 1)
            print(f"    {cls:<10} n={len(sub):4d} 90% {q:7.1f} m → {last:7.1f} m")
    return out, from_records


def isotonic_knots(x: np.ndarray, y: np.ndarray, min_n: int = MIN_N) -> list[list[float]]:
    """Knots of a monotone map raw score → share right: raw values with fewer than ``min_n``
    answers are merged into their neighbour (lower first), so no knot rests on a handful; each
    group's share is smoothed by the rule of succession."""
    from sklearn.isotonic import IsotonicRegression

    xs, inv = np.unique(np.round(x, 3), return_inverse=True)
    n = np.bincount(inv)
    right = np.bincount(inv, weights=y.astype(float))
    groups: list[list[int]] = []
    for i in range(len(xs)):
        if groups and sum(n[j] for j in groups[-1]) < min_n:
            groups[-1].append(i)
        else:
            groups.append([i])
    if len(groups) > 1 and sum(n[j] for j in groups[-1]) < min_n:
        groups[-2].extend(groups.pop())
    gx = np.array([float(np.average(xs[g], weights=n[g])) for g in groups])
    gn = np.array([n[g].sum() for g in groups], dtype=float)
    # the rule of succession, (right + 1) / (n + 2): a probability is never 1 (or 0) because the
    # few answers it rests on were all right (23 of 23 → 0.96, not 1.00)
    gy = (np.array([right[g].sum() for g in groups]) + 1.0) / (gn + 2.0)
    if len(gx) == 1:
        return [[round(float(gx[0]), 3), round(float(gy[0]), 3)]]
    iso = IsotonicRegression(increasing=True, y_min=0.0, y_max=1.0, out_of_bounds="clip")
    p = iso.fit(gx, gy, sample_weight=gn).predict(gx)
    return [[round(float(a), 3), round(float(b), 3)] for a, b in zip(gx, p, strict=True)]


def dump(cal: Calibration) -> str:
    """The table as JSON, one score map per line (easy to review in a diff)."""
    d = cal.to_json()
    score = d.pop("score")
    text = json.dumps(d, indent=1)[:-2]
    lines = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in score.items()]
    return text + ',\n "score": {\n' + ",\n".join(lines) + "\n }\n}\n"


def score_maps(g: Geocoder, data: Path, truth: pd.DataFrame) -> dict[str, list[list[float]]]:
    out: dict[str, list[list[float]]] = {}
    inc = pd.read_csv(data / "incidents_2025_eval.csv", dtype=str, keep_default_na=False)
    res = g.geocode_many(inc["ADDRESS2"])
    fam = [score_family(m, s) for m, s in zip(res["match_type"], res["beat_source"], strict=True)]
    t = pd.DataFrame({
        "fam": fam, "score": res["score"].to_numpy(float),
        "right": (res["beat"].to_numpy(object) == inc["BEAT"].str.strip().to_numpy(object)),
        "has": res["beat"].notna().to_numpy(),
    })  # fmt: skip
    t = t[t["has"] & ~t["fam"].str.startswith("intersection")]
    for f, grp in t.groupby("fam"):
        if len(grp) >= MIN_N:
            out[str(f)] = isotonic_knots(grp["score"].to_numpy(), grp["right"].to_numpy())
            print(f"  beats {f:<28} n={len(grp):5d} share right {grp['right'].mean():.3f}")
    # crossings: the rows given, beat of the stop's point
    rows = []
    for text, beat in zip(truth["text"], truth["beat"], strict=True):
        r = g.geocode_one(text)
        if r.beat is not None and isinstance(beat, str):
            rows.append((score_family(r.match_type, r.beat_source), r.score, r.beat == beat))
    c = pd.DataFrame(rows, columns=["fam", "score", "right"])
    # crossings located as such, and the families the incidents left unfitted (one street)
    c = c[c["fam"].str.startswith("intersection") | ~c["fam"].isin(list(out))]
    for f, grp in c.groupby("fam"):
        if len(grp) >= 8:
            out[str(f)] = isotonic_knots(grp["score"].to_numpy(), grp["right"].to_numpy())
            print(f"  crossings {f:<24} n={len(grp):5d} share right {grp['right'].mean():.3f}")
    return out


def fit_table(
    ws,
    data: Path,
    crossings: pd.DataFrame,
    ok_radius: float | None,
    label: str,
    ok_geometries: tuple[str, ...] | None = ("lines",),
) -> Calibration:
    """The whole table: address radii and beat score maps from their eval files, crossing radii
    and crossing score maps from the rows ``crossings`` of ``intersections_eval.csv``."""
    raw = _geocoder(ws, IDENTITY)
    radius_m = address_radii(raw, data)
    crossing_m, from_records = crossing_radii(raw, crossings)
    if from_records is not None:
        radius_m["history_intersection"] = from_records
    radii = Calibration(
        radius_m=radius_m, crossing_radius_m=crossing_m, ok_crossing_radius_m=ok_radius,
        ok_crossing_geometries=ok_geometries,
    )  # fmt: skip
    score = score_maps(_geocoder(ws, radii), data, crossings)
    source = (
        f"fitted {date.today().isoformat()} by benchmarks/fit_calibration.py: radius_m from "
        "address_points_eval.csv (p90 error per match type); crossing_radius_m and the "
        f"intersection score maps from {label} of intersections_eval.csv; other score maps from "
        "incidents_2025_eval.csv (share of answers whose beat agrees with DPD's BEAT, isotonic "
        "in the raw score); ok_crossing_radius_m and ok_crossing_geometries are a policy"
    )
    return Calibration(
        radius_m=radius_m, crossing_radius_m=crossing_m, ok_crossing_radius_m=ok_radius,
        ok_crossing_geometries=ok_geometries,
        score={k: tuple(tuple(p) for p in v) for k, v in score.items()}, source=source,
    )  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "durham"))
    ap.add_argument("--out", default=str(ROOT / "boundaries" / "durham_calibration.json"))
    ap.add_argument("--ok-crossing-radius", type=float, default=450.0)
    ap.add_argument(
        "--ok-crossing-geometries", default="lines",
        help="comma-separated crossing geometries that may be ok (lines, mixed, points, near; "
        "'any': all)",
    )  # fmt: skip
    ap.add_argument(
        "--crossings", choices=("all", "fit", "report"), default="all",
        help="rows of intersections_eval.csv to fit the crossing radii and scores on (default: "
        "all; the figures are then reported cross-fitted: eval_intersections.py --cross-fit)",
    )  # fmt: skip
    args = ap.parse_args()
    data = Path(args.data)
    ws = Area.from_settings(Settings(data_dir=data, area="durham"))
    truth = load_truth(data, ws)
    rows = truth if args.crossings == "all" else truth[truth["half"] == args.crossings]
    rows = rows.reset_index(drop=True)
    print(f"crossings: {len(rows)} of {len(truth)} stops ({args.crossings})")
    label = "every row" if args.crossings == "all" else f"the {args.crossings!r} half"
    geoms = (
        None
        if args.ok_crossing_geometries == "any"
        else tuple(g.strip() for g in args.ok_crossing_geometries.split(",") if g.strip())
    )
    cal = fit_table(ws, data, rows, args.ok_crossing_radius, label, geoms)
    Path(args.out).write_text(dump(cal), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

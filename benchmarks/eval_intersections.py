"""Crossings against the City's own coordinates (issue 18, "How it will be measured").

Truth: ``intersections_eval.csv`` — GoDurham stops named ``A at B`` with the stop pole's
coordinates (usually within a few tens of metres of the crossing's centre). EVALUATION ONLY: the
geocoder never reads it; this script geocodes ``A & B`` and compares. Some stops name a place
instead of a second street; they stay in (an honest answer for them is "not found").

The file is split in two halves by a hash of the crossing's text (:func:`half_of`). The shipped
crossing calibration (``benchmarks/fit_calibration.py``) is fitted on every row, so the honest
figures are **cross-fitted** (``--cross-fit``): each half is answered with a table fitted on the
other half only, and the two halves are pooled. ``--half report|fit|all`` answers with the
shipped table (in sample for its radii and scores).

    .venv/bin/python benchmarks/eval_intersections.py --cross-fit [--data ../shared/data/durham]

Figures (targets of issue 18): of ``ok`` answers, the truth within the stated ``uncertainty_m``
(>= 90%) and within 150 m (>= 85%); ``ok`` with the wrong beat, of crossings away from beat
boundaries (<= 1%); where ``ok``, the right beat (>= 97%); the true beat named on boundary
crossings (>= 90%); crossings given coordinates, any status (>= 70%). Then a reliability table
(score band, count, observed share with the right beat) and the radius coverage per match type.
A boundary crossing has another beat within ``BOUNDARY_M`` of the truth point.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_geocode import _haversine_m  # noqa: E402

from geo_heart.area import Area  # noqa: E402
from geo_heart.config.settings import Settings  # noqa: E402
from geo_heart.geocode.match import geocoder_for  # noqa: E402

BOUNDARY_M = 150.0
BANDS = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0001)


def crossing_text(stop_name: str) -> str | None:
    """``"Erwin Rd at Downing St (WB)"`` → ``"Erwin Rd & Downing St"`` (None: no ``at``)."""
    name = re.sub(r"\s*\([^)]*\)\s*$", "", str(stop_name)).strip()
    parts = re.split(r"\s+at\s+", name, maxsplit=1, flags=re.IGNORECASE)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    return f"{parts[0]} & {parts[1]}"


def half_of(text: str) -> str:
    """``fit`` or ``report``: a stable split by a hash of the crossing's text."""
    h = hashlib.sha1(text.upper().encode()).digest()[0]
    return "fit" if h % 2 == 0 else "report"


def load_truth(data: Path, ws) -> pd.DataFrame:
    """One row per stop: ``text``, ``lon``, ``lat``, ``beat`` (of the truth point), ``boundary``,
    ``half``."""
    import shapely
    from pyproj import Transformer

    df = pd.read_csv(data / "intersections_eval.csv")
    df["text"] = [crossing_text(s) for s in df["stop_name"]]
    df = df[df["text"].notna()].reset_index(drop=True)
    bi = ws.beat_index
    df["beat"] = bi.assign(df["lon"].to_numpy(), df["lat"].to_numpy())["beat"]
    crs = str(ws.config.projected_crs)
    to_p = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    geoms = shapely.transform(
        bi.geoms, lambda xy: np.column_stack(to_p.transform(xy[:, 0], xy[:, 1]))
    )
    x, y = to_p.transform(df["lon"].to_numpy(), df["lat"].to_numpy())
    unit = ws.config.projected_crs_unit_m if hasattr(ws.config, "projected_crs_unit_m") else None
    if unit is None:
        from pyproj import CRS

        unit = float(CRS.from_user_input(crs).axis_info[0].unit_conversion_factor)
    li, _ = shapely.STRtree(geoms).query(
        shapely.points(x, y), predicate="dwithin", distance=BOUNDARY_M / unit
    )
    df["boundary"] = np.bincount(li, minlength=len(df)) > 1
    df["half"] = [half_of(t) for t in df["text"]]
    return df


def named_beats(r) -> set[str]:
    """Every beat the answer names: its beat, straddle beats and candidates' beats."""
    out = {r.beat} if r.beat else set()
    out |= set((r.straddle_beats or "").split(";")) - {""}
    out |= {c["beat"] for c in r.candidates if c.get("beat")}
    return out


def point_of(r) -> tuple[float | None, float | None]:
    if r.lon is not None:
        return r.lon, r.lat
    pts = [(c["lon"], c["lat"]) for c in r.candidates if c.get("lon") is not None]
    return pts[0] if pts else (None, None)


def answers(g, truth: pd.DataFrame) -> pd.DataFrame:
    """The geocoder's answer per truth row, with its error and whether the beat is right."""
    rows = []
    for r, (_, t) in zip((g.geocode_one(x) for x in truth["text"]), truth.iterrows(), strict=True):
        lon, lat = point_of(r)
        err = float(_haversine_m(lon, lat, t.lon, t.lat)) if lon is not None else np.nan
        unc = r.uncertainty_m
        if unc is None and r.candidates:
            unc = r.candidates[0].get("uncertainty_m")
        rows.append({
            "status": r.status, "match_type": r.match_type, "score": r.score,
            "uncertainty_m": np.nan if unc is None else unc, "err_m": err,
            "beat": r.beat, "right": r.beat is not None and r.beat == t.beat,
            "named": isinstance(t.beat, str) and t.beat in named_beats(r),
            "has_point": lon is not None, "reason": r.reason,
            "single": bool(r.beat) and named_beats(r) == {r.beat},
            "located": lon is not None or bool(named_beats(r)),
        })  # fmt: skip
    return pd.DataFrame(rows, index=truth.index)


def figures(a: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    inside = truth["beat"].notna().to_numpy()
    boundary = truth["boundary"].to_numpy(bool)
    ok = (a["status"] == "ok").to_numpy()
    away = inside & ~boundary
    near = inside & boundary
    ok_pt = ok & a["has_point"].to_numpy()
    err = a["err_m"].to_numpy()
    unc = a["uncertainty_m"].to_numpy()
    right = a["right"].to_numpy(bool)
    xing = (a["match_type"] == "intersection").to_numpy() & a["has_point"].to_numpy()

    def pct(hit: np.ndarray) -> float:
        """Share in %, NaN (no warning) when there is nothing to count (no ``ok`` answer)."""
        return 100 * float(np.mean(hit)) if len(hit) else np.nan

    return {
        "crossings": len(truth),
        "given coordinates, any status (%) [>=70]": 100 * a["has_point"].mean(),
        "located as a crossing (%)": 100 * (a["match_type"] == "intersection").mean(),
        "status ok (%)": 100 * ok.mean(),
        "ok: truth within uncertainty_m (%) [>=90]": pct(err[ok_pt] <= unc[ok_pt]),
        "ok: within 150 m (%) [>=85]": pct(err[ok_pt] <= 150),
        "ok: median error (m)": float(np.nanmedian(err[ok_pt])) if ok_pt.any() else np.nan,
        f"ok with the wrong beat, of {away.sum()} away from boundaries (%) [<=1]": 100
        * np.mean(ok[away] & ~right[away]),
        "where ok, right beat (%) [>=97]": pct(right[ok & inside]),
        "located crossings, any status: truth within uncertainty_m (%)": pct(
            err[xing] <= unc[xing]
        ),
        f"true beat named, {near.sum()} boundary crossings (%) [>=90]": 100
        * a["named"].to_numpy()[near].mean(),
        "  of those with any answer (%)": 100
        * a["named"].to_numpy()[near & (a["status"] != "unmatched").to_numpy()].mean(),
        # issue 33 #7: an answer naming one beat (no other within its radius or among its
        # candidates) is right; where it cannot be, the other beats are named
        f"answers naming a single beat, of {inside.sum()} inside (%)": pct(
            a["single"].to_numpy(bool)[inside]
        ),
        "  of those, right beat (%) [>=98]": pct(
            right[inside & a["single"].to_numpy(bool)]
        ),
        "located (a point or a beat named): true beat named (%) [>=97]": pct(
            a["named"].to_numpy(bool)[inside & a["located"].to_numpy(bool)]
        ),
        "located, of inside (%)": pct(a["located"].to_numpy(bool)[inside]),
    }


def reliability(a: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Score band → answers with a beat, observed share with the right beat."""
    has = a["beat"].notna() & truth["beat"].notna()
    s = a.loc[has, "score"].to_numpy()
    band = pd.cut(s, BANDS, right=False)
    t = pd.DataFrame({"band": band, "right": a.loc[has, "right"].to_numpy(), "score": s})
    out = t.groupby("band", observed=True).agg(
        count=("right", "size"), mean_score=("score", "mean"), share_right=("right", "mean")
    )
    return out


def coverage(a: pd.DataFrame) -> pd.DataFrame:
    """Per match type (answers with a point and a radius): how often the truth is inside."""
    has = a["has_point"] & a["uncertainty_m"].notna()
    t = a[has].assign(inside=lambda d: d["err_m"] <= d["uncertainty_m"])
    return t.groupby(["match_type", "status"]).agg(
        count=("inside", "size"),
        within_radius=("inside", "mean"),
        median_radius_m=("uncertainty_m", "median"),
        median_error_m=("err_m", "median"),
    )


def cross_fitted(ws, data: Path, truth: pd.DataFrame) -> pd.DataFrame:
    """Answers for every row, each half scored with a table fitted on the other half only."""
    import contextlib
    import io

    from fit_calibration import fit_table

    from geo_heart.geocode.match import new_geocoder

    out = []
    for h, other in (("fit", "report"), ("report", "fit")):
        rows = truth[truth["half"] == other].reset_index(drop=True)
        with contextlib.redirect_stdout(io.StringIO()):
            shipped = _shipped()
            cal = fit_table(ws, data, rows, shipped.ok_crossing_radius_m, f"the {other!r} half",
                            shipped.ok_crossing_geometries)  # fmt: skip
        on = truth[truth["half"] == h]
        out.append(answers(new_geocoder(ws, calibration=cal), on))
    return pd.concat(out).loc[truth.index]


def _shipped():
    """The shipped table (its ``ok`` policy is kept when cross-fitting)."""
    from geo_heart.geocode.calibration import load_calibration

    return load_calibration(ROOT / "boundaries" / "durham_calibration.json")


def print_floor(a: pd.DataFrame) -> None:
    """What the truth itself allows: the stop pole's distance from the crossing of the two road
    lines, where both streets are in the road layer and their lines meet. A stop pole stands
    down the block from the crossing it is named after; no answer at the crossing can be
    closer to the pole than this."""
    both = a["reason"].str.match(r"crossing of the road line( \(|,)") & a["has_point"]
    e = a.loc[both, "err_m"].to_numpy()
    if not len(e):
        return
    q = np.percentile(e, [50, 75, 90])
    print(
        f"\nfloor: {len(e)} crossings of two road lines that meet: stop pole to crossing "
        f"median {q[0]:.0f} m, p75 {q[1]:.0f} m, p90 {q[2]:.0f} m; within 150 m "
        f"{100 * np.mean(e <= 150):.1f}%"
    )


def print_figures(label: str, f: dict[str, float]) -> None:
    print(f"\n== {label} ==")
    for k, v in f.items():
        print(f"{k:<68}{v:9.1f}" if isinstance(v, float) else f"{k:<68}{v:9d}")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "durham"))
    ap.add_argument("--cache", default=None)
    ap.add_argument("--half", choices=("report", "fit", "all"), default="all")
    ap.add_argument("--verbose", action="store_true", help="one line per crossing")
    ap.add_argument(
        "--cross-fit", action="store_true",
        help="score each half with a calibration table fitted on the other half only "
        "(benchmarks/fit_calibration.py --crossings <other half>), then every row pooled: "
        "out-of-sample figures for a table fitted on every row",
    )  # fmt: skip
    args = ap.parse_args()
    data = Path(args.data)
    kw = {"data_dir": data, "area": "durham"}
    if args.cache:
        kw["cache_dir"] = Path(args.cache)
    ws = Area.from_settings(Settings(**kw))
    truth = load_truth(data, ws)
    if args.half != "all" and not args.cross_fit:
        truth = truth[truth["half"] == args.half].reset_index(drop=True)
    print(
        f"truth: {len(truth)} stops ({'every row' if args.cross_fit else args.half + ' half'}) "
        "with a crossing name; "
        f"{int(truth['beat'].notna().sum())} inside a beat, {int(truth['boundary'].sum())} "
        f"within {BOUNDARY_M:.0f} m of another beat"
    )
    t0 = time.perf_counter()
    if args.cross_fit:
        a = cross_fitted(ws, data, truth)
    else:
        a = answers(geocoder_for(ws), truth)
    dt = time.perf_counter() - t0
    if args.verbose:
        for (_, r), (_, t) in zip(a.iterrows(), truth.iterrows(), strict=True):
            print(
                f"{t.text} | {r.status} {r.match_type} s={r.score:.2f} err={r.err_m:.0f} "
                f"unc={r.uncertainty_m:.0f} beat={r.beat}/{t.beat}{' B' if t.boundary else ''} "
                f"| {r.reason}"
            )
    label = "every row, cross-fitted" if args.cross_fit else f"{args.half} half"
    if args.cross_fit:
        for h in ("fit", "report"):
            on = (truth["half"] == h).to_numpy()
            sub = truth[on].reset_index(drop=True)
            print_figures(f"{h} half, table fitted on the other half",
                          figures(a[on].reset_index(drop=True), sub))  # fmt: skip
    print_figures(label, figures(a, truth))
    print_floor(a)
    print(f"{'ms per crossing':<68}{1000 * dt / max(len(truth), 1):9.2f}")
    print("status:", a["status"].value_counts().to_dict())
    print("match types:", a["match_type"].value_counts().to_dict())
    with pd.option_context("display.width", 160):
        print("\nreliability (answers with a beat): score band, count, observed share right")
        print(reliability(a, truth).round(3).to_string())
        print("\nradius coverage per match type (answers with a point)")
        print(coverage(a).round(3).to_string())


if __name__ == "__main__":
    main()

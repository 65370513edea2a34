"""Accuracy of the offline geocoder on held-out Durham data (issue 6, "How it will be measured").

Reads the *_eval files ONLY to measure; the reference index is built from the configured layers
(address_points.csv, roads, landmarks, incidents_2021_2024.csv history), never from *_eval files.

    .venv/bin/python benchmarks/eval_geocode.py [--data ../shared/data/durham] [--seed 6]

Prints:
- incidents_2025_eval.csv ADDRESS2 → beat vs DPD BEAT: share of rows with a beat, agreement;
- address_points_eval.csv: share with coordinates, median/p90 error (m), beat correct among those,
  share with any beat; the same for a "messy" rewrite of each address (lower case, typos,
  spelled-out/abbreviated suffixes and directionals, unit numbers, BLOCK OF), and the drop in points.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo_heart.area import Area  # noqa: E402
from geo_heart.config.settings import Settings  # noqa: E402
from geo_heart.geocode.match import geocoder_for  # noqa: E402

_SPELL = {
    "ST": "Street", "AVE": "Avenue", "DR": "Drive", "RD": "Road", "LN": "Lane", "CT": "Court",
    "CIR": "Circle", "BLVD": "Boulevard", "PL": "Place", "PKWY": "Parkway", "TRL": "Trail",
    "HWY": "Highway", "TER": "Terrace", "N": "North", "S": "South", "E": "East", "W": "West",
    "WAY": "Wy",
}  # fmt: skip


def messy(address: str, rng: random.Random) -> str:
    """A plausible human rewrite of an address (deterministic given ``rng``)."""
    words = address.split()
    kind = rng.randrange(6)
    if kind == 0:  # lower case
        return address.lower()
    if kind == 1:  # spelled-out suffix/directional
        return " ".join(_SPELL.get(w, w) for w in words).title()
    if kind == 2:  # one typo in the longest name word (not the number, not the suffix)
        cand = [i for i, w in enumerate(words[1:-1], start=1) if len(w) >= 5 and w.isalpha()]
        if cand:
            i = max(cand, key=lambda j: (len(words[j]), -j))
            w = words[i]
            k = rng.randrange(1, len(w) - 1)
            op = rng.randrange(3)
            if op == 0:
                w = w[:k] + w[k + 1 :]  # deletion
            elif op == 1:
                w = w[:k] + w[k + 1] + w[k] + w[k + 2 :]  # transposition
            else:
                w = w[:k] + w[k] + w[k:]  # doubled letter
            words[i] = w
        return " ".join(words)
    if kind == 3:  # unit number
        return f"{address} Apt {rng.randrange(1, 40)}"
    if kind == 4:  # BLOCK OF (hundred-block of the number)
        m = re.match(r"^(\d+)\s+(.*)$", address)
        if m:
            return f"{int(m.group(1)) // 100 * 100} block of {m.group(2)}"
        return address
    # city/state/zip tail, mixed case
    return f"{address.title()}, Durham, NC 27701"


_STATE_FORMS = ("NC", "N.C.", "North Carolina", "NORTH CAROLINA")


def messy_incident(address: str, rng: random.Random) -> str:
    """A call-taker's rewrite of a DPD ``ADDRESS2`` (hundred-block or intersection).

    City/state/ZIP tails with or without commas, units, typos, spelled-out or missing suffix,
    spelled-out directionals, ``BLOCK OF``; deterministic given ``rng``.
    """
    words = address.split()
    kind = rng.randrange(8)
    if kind == 0:
        sep = rng.choice([", ", " "])
        tail = rng.choice(["DURHAM", "Durham", "durham"])
        state = rng.choice(_STATE_FORMS)
        zip_ = rng.choice(["", " 27701", " 27707", " 27713"])
        return f"{address}{sep}{tail}{sep}{state}{zip_}"
    if kind == 1:
        unit = rng.choice(["APT 4", "Apt 12B", "#3", "STE 200", "BLDG C", "Unit 7"])
        return f"{unit}, {address}" if rng.random() < 0.3 else f"{address} {unit}"
    if kind == 2:
        return address.lower()
    if kind == 3:  # spelled-out suffix/directional
        return " ".join(_SPELL.get(w, w) for w in words)
    if kind == 4:  # missing suffix (last word a suffix after a name)
        if (
            len(words) >= 3
            and "/" not in address
            and words[-1] in _SPELL
            and words[-1] not in "NSEW"
        ):
            return " ".join(words[:-1])
        return address
    if kind == 5:  # BLOCK OF
        m = re.match(r"^(\d+)\s+(.*)$", address)
        return f"{m.group(1)} BLOCK OF {m.group(2)}" if m else address
    if kind == 6:  # transposed letters in the longest word
        cand = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if cand:
            i = max(cand, key=lambda j: (len(words[j]), -j))
            w = words[i]
            k = rng.randrange(1, len(w) - 2)
            words[i] = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
        return " ".join(words)
    return address.title()


def _haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    r = 6371008.8
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(a))


def points_figures(g, ws, texts: pd.Series, ev: pd.DataFrame) -> dict[str, float]:
    res = g.geocode_many(texts)
    has = res["lon"].notna().to_numpy()
    err = _haversine_m(
        res["lon"].to_numpy(),
        res["lat"].to_numpy(),
        ev["lon"].to_numpy(float),
        ev["lat"].to_numpy(float),
    )
    truth = ws.beat_index.assign(ev["lon"].to_numpy(float), ev["lat"].to_numpy(float))["beat"]
    beat = res["beat"].to_numpy(object)
    with_truth = np.array([isinstance(t, str) for t in truth])
    ok_beat = np.array([isinstance(b, str) and b == t for b, t in zip(beat, truth, strict=True)])
    has_beat = pd.notna(pd.Series(beat, dtype=object)).to_numpy()
    return {
        "coords_pct": 100 * has.mean(),
        "median_err_m": float(np.nanmedian(err[has])) if has.any() else float("nan"),
        "p90_err_m": float(np.nanpercentile(err[has], 90)) if has.any() else float("nan"),
        "beat_ok_of_coords_pct": 100 * ok_beat[has & with_truth].mean(),
        "beat_pct": 100 * has_beat[with_truth].mean(),
        "located_pct": 100 * (has | has_beat).mean(),
        "beat_ok_of_beat_pct": 100 * ok_beat[has_beat & with_truth].mean(),
        "match_types": res["match_type"].value_counts().to_dict(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "durham"))
    ap.add_argument("--cache", default=None, help="cache folder (default: the settings' cache)")
    ap.add_argument("--seed", type=int, default=6)
    args = ap.parse_args()
    data = Path(args.data)
    kw = {"data_dir": data, "area": "durham"}
    if args.cache:
        kw["cache_dir"] = Path(args.cache)
    ws = Area.from_settings(Settings(**kw))
    t = time.perf_counter()
    g = geocoder_for(ws)
    print(f"reference index ready in {time.perf_counter() - t:.2f} s")

    # 1. incidents 2025: ADDRESS2 → beat vs DPD BEAT
    inc = pd.read_csv(data / "incidents_2025_eval.csv", dtype=str, keep_default_na=False)
    res = g.geocode_many(inc["ADDRESS2"])
    beat = res["beat"].to_numpy(object)
    has_beat = pd.notna(pd.Series(beat, dtype=object)).to_numpy()
    truth = inc["BEAT"].str.strip()
    agree = np.array([b == t for b, t in zip(beat, truth, strict=True)])
    dpd = (truth != "").to_numpy()
    print("\n== incidents_2025_eval.csv: ADDRESS2 -> beat vs DPD BEAT ==")
    print(f"rows: {len(inc)}")
    print(f"a beat for:            {100 * has_beat.mean():6.2f}% of rows   (target >= 97%)")
    print(f"agreeing with DPD:     {100 * agree[has_beat].mean():6.2f}% of those (target >= 96%)")
    print(
        f"agreeing, of those DPD gave a beat ({dpd.sum()} rows): {100 * agree[has_beat & dpd].mean():6.2f}%"
    )
    print(f"agreeing, of all rows: {100 * agree.mean():6.2f}%   (old TIGER geocoder baseline: 88%)")
    print("match types:", res["match_type"].value_counts().to_dict())

    # 1b. the same rows as a call-taker might type them
    rng = random.Random(args.seed)
    messy_text = pd.Series([messy_incident(a, rng) for a in inc["ADDRESS2"]])
    res_m = g.geocode_many(messy_text)
    beat_m = res_m["beat"].to_numpy(object)
    has_m = pd.notna(pd.Series(beat_m, dtype=object)).to_numpy()
    agree_m = np.array([b == t for b, t in zip(beat_m, truth, strict=True)])
    same = np.array([a == b for a, b in zip(beat_m, beat, strict=True)])
    print(
        "\n== incidents_2025_eval.csv, messy variants (city/state/ZIP, units, typos, suffixes) =="
    )
    print(f"a beat for:            {100 * has_m.mean():6.2f}% of rows   (target >= 97.5%)")
    print(f"agreeing with DPD:     {100 * agree_m[has_m].mean():6.2f}% of those (target >= 95.5%)")
    print(
        f"same beat as the clean text: {100 * same[has_beat].mean():6.2f}% of clean rows with a beat"
    )
    print("status:", res_m["status"].value_counts().to_dict())
    lost = messy_text[has_beat & ~has_m].head(12).tolist()
    print("examples that lost their beat:", lost)

    # 2. unseen address points
    ev = pd.read_csv(data / "address_points_eval.csv", dtype=str, keep_default_na=False)
    clean = points_figures(g, ws, ev["address"], ev)
    rng = random.Random(args.seed)
    mess_text = pd.Series([messy(a, rng) for a in ev["address"]])
    mess = points_figures(g, ws, mess_text, ev)
    print("\n== address_points_eval.csv (not in the index) ==")
    print(f"rows: {len(ev)}")
    rows = [
        ("given coordinates (%)", "coords_pct", ">= 80"),
        ("median error (m)", "median_err_m", "<= 60"),
        ("p90 error (m)", "p90_err_m", ""),
        ("beat correct, of those with coordinates (%)", "beat_ok_of_coords_pct", ">= 97"),
        ("a beat, of addresses inside a beat (%)", "beat_pct", ">= 90"),
        ("located: coordinates or a beat, of all (%)", "located_pct", ""),
        ("beat correct, of those with a beat (%)", "beat_ok_of_beat_pct", ""),
    ]
    print(f"{'figure':<46}{'clean':>9}{'messy':>9}{'drop':>8}  target")
    for label, k, target in rows:
        drop = clean[k] - mess[k] if k.endswith("pct") else mess[k] - clean[k]
        print(f"{label:<46}{clean[k]:9.2f}{mess[k]:9.2f}{drop:8.2f}  {target}")
    print("(drop: points lost by the messy variants; target <= 2)")
    print("match types (clean):", clean["match_types"])
    print("match types (messy):", mess["match_types"])
    print("\nmessy examples:", list(mess_text.head(8)))
    calibration_tables(g, inc, res, agree, dpd, ev)


def calibration_tables(g, inc, res, agree, dpd, ev) -> None:
    """Reliability (score band → observed share right) and radius coverage per match type.

    IN SAMPLE: the score maps were fitted on these incidents and the address radii on these
    points (``benchmarks/fit_calibration.py``); the out-of-sample check is the crossings' report
    half in ``eval_intersections.py``.
    """
    from eval_intersections import coverage, reliability

    a = pd.DataFrame({"beat": res["beat"], "score": res["score"], "right": agree})
    t = pd.DataFrame({"beat": inc["BEAT"].str.strip().where(dpd, None)})
    with pd.option_context("display.width", 160):
        print("\nreliability, 2025 incidents with a beat (in sample for the score maps):")
        print(reliability(a, t).round(3).to_string())
        pts = g.geocode_many(ev["address"])
        err = _haversine_m(
            pts["lon"].to_numpy(), pts["lat"].to_numpy(),
            ev["lon"].to_numpy(float), ev["lat"].to_numpy(float),
        )  # fmt: skip
        cov = pd.DataFrame({
            "match_type": pts["match_type"], "status": pts["status"], "err_m": err,
            "uncertainty_m": pts["uncertainty_m"], "has_point": pts["lon"].notna(),
        })  # fmt: skip
        print("\nradius coverage per match type, unseen address points (in sample for the radii):")
        print(coverage(cov).round(3).to_string())


if __name__ == "__main__":
    main()

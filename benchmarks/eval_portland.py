"""Portland: the dispatch feed's address texts → police district, against the feed's own points.

EVALUATION ONLY: ``dispatch_feed_eval.csv`` is read here to measure, never to build a reference.
The truth is the district (2016 PPB districts) containing each record's own ``lat``/``lon``; a
record whose point is in no district is "outside the city" (Gresham, Troutdale, the county, the
airport …).

    .venv/bin/python benchmarks/eval_portland.py [--data ../shared/data/portland] [--cache DIR]

Figures (issue 21 targets):

* in-city hundred-blocks (``N BLOCK OF …`` or a number on a street) given the right district:
  >= 75% of them (a row without a district counts as not right);
* in-city rows *confidently wrong* (status ``ok``, a district, not the truth): <= 5% of in-city rows;
* outside-city rows given a district: <= 10% of them.

Also the share of in-city intersections answered (a district, or candidates) and how each kind
of row was answered.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo_heart.area import Area  # noqa: E402
from geo_heart.geocode.address import parse_address  # noqa: E402


def measure(ws: Area, feed: pd.DataFrame) -> dict[str, float]:
    """The three figures (and counts) for a feed table with ``address``, ``lon``, ``lat``."""
    lon = pd.to_numeric(feed["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(feed["lat"], errors="coerce").to_numpy(float)
    ids = [str(b) for b in ws.beat_index.ids]
    pos = ws.beat_index.locate_many(np.nan_to_num(lon), np.nan_to_num(lat))
    truth = np.array([ids[p] if p >= 0 else None for p in pos.tolist()], dtype=object)
    inside = np.array([t is not None for t in truth])
    kinds = np.array([parse_address(str(a)).kind for a in feed["address"]], dtype=object)
    res = ws.geocoder().geocode_many(feed["address"].astype(str))
    beat = res["beat"].to_numpy(object)
    status = res["status"].to_numpy(object)
    has = np.array([b is not None and b == b for b in beat])
    right = np.array([h and b == t for h, b, t in zip(has, beat, truth, strict=True)])
    confident = has & (status == "ok")
    blocks = inside & np.isin(kinds, ["block", "address"])
    out = {
        "rows": len(feed),
        "in_city": int(inside.sum()),
        "in_city_blocks": int(blocks.sum()),
        "block_right_pct": 100 * right[blocks].mean() if blocks.any() else float("nan"),
        "in_city_confident_wrong_pct": 100 * (confident & ~right)[inside].mean(),
        "outside": int((~inside).sum()),
        "outside_given_district_pct": 100 * has[~inside].mean() if (~inside).any() else 0.0,
    }
    table = pd.DataFrame({"inside": inside, "kind": kinds, "status": status, "right": right})
    out["breakdown"] = table.groupby(["inside", "kind", "status"]).agg(
        rows=("right", "size"), right=("right", "sum")
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "portland"))
    ap.add_argument("--cache", default=None)
    args = ap.parse_args()
    ws = Area.load("portland", data_dir=args.data, cache_dir=args.cache)
    feed = pd.read_csv(Path(args.data) / "dispatch_feed_eval.csv", dtype=str, keep_default_na=False)
    m = measure(ws, feed)
    print(f"rows {m['rows']}: {m['in_city']} in a district, {m['outside']} outside every district")
    print(
        f"in-city hundred-blocks in the right district: {m['block_right_pct']:6.2f}% "
        f"of {m['in_city_blocks']} (target >= 75%)"
    )
    print(
        f"in-city rows confidently wrong:              {m['in_city_confident_wrong_pct']:6.2f}% "
        f"of {m['in_city']} (target <= 5%)"
    )
    print(
        f"outside-city rows given a district:          {m['outside_given_district_pct']:6.2f}% "
        f"of {m['outside']} (target <= 10%)"
    )
    print(m["breakdown"].to_string())


if __name__ == "__main__":
    main()

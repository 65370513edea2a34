"""Quality checks of a beats layer against history (how well do coordinates and DPD beats agree?).

:func:`beat_agreement_with_history` assigns beats to address points from their own coordinates and
compares them with the beats a police department recorded for the same hundred-block in its incident
table. A block that the department assigned to several beats (it straddles a boundary) agrees when the
point's beat is one of them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geo_heart.geo.coords import lonlat_from_columns
from geo_heart.geo.workspace import Workspace

_NUM_STREET = re.compile(r"^\s*(\d+)\s+(.+?)\s*$")


def hundred_block(address: pd.Series) -> pd.Series:
    """``"914 Morning Glory Ave"`` → ``"900 MORNING GLORY AVE"`` (upper-case, spaces folded);
    missing where the text does not start with a house number."""
    text = address.fillna("").astype(str).str.upper().str.split().str.join(" ")
    parts = text.str.extract(_NUM_STREET)
    num = pd.to_numeric(parts[0], errors="coerce")
    block = (num // 100 * 100).astype("Int64").astype(str)
    out = (block + " " + parts[1]).astype(object)
    out[num.isna().to_numpy()] = None
    return out


def beat_agreement_with_history(
    ws: Workspace,
    points: pd.DataFrame,
    history: pd.DataFrame,
    *,
    address_column: str = "address",
    lon_column: str = "lon",
    lat_column: str = "lat",
    history_address_column: str = "ADDRESS2",
    history_beat_column: str = "BEAT",
) -> dict[str, float | int]:
    """Agreement between point-in-beat and the historical beats of each point's hundred-block.

    Returns
    -------
    dict
        ``points``, ``compared`` (points with a beat whose block appears in history),
        ``agree`` / ``rate`` (the point's beat is one of the block's historical beats),
        ``single_beat_compared`` / ``single_beat_rate`` (blocks history gives one beat only),
        ``modal_rate`` (the point's beat is the block's most frequent historical beat).
    """
    lon, lat, _valid = lonlat_from_columns(points, lon_column, lat_column)
    beats = ws.beat_index.assign(lon, lat)["beat"]
    blocks = hundred_block(points[address_column])
    h = history[[history_address_column, history_beat_column]].copy()
    h.columns = ["address", "beat"]
    h["beat"] = h["beat"].astype(str).str.strip()
    h = h[h["beat"] != ""]
    h["address"] = h["address"].astype(str).str.upper().str.split().str.join(" ")
    counts = h.groupby(["address", "beat"]).size().rename("n").reset_index()
    sets = counts.groupby("address")["beat"].agg(frozenset)
    modal = counts.sort_values(
        ["address", "n", "beat"], ascending=[True, False, True]
    ).drop_duplicates("address")
    modal = modal.set_index("address")["beat"]
    hist_sets = blocks.map(sets)
    hist_modal = blocks.map(modal)
    mask = hist_sets.notna().to_numpy() & np.array([b is not None for b in beats])
    agree = np.array([b in s for b, s in zip(beats[mask], hist_sets[mask], strict=True)])
    single = np.array([len(s) == 1 for s in hist_sets[mask]])
    modal_agree = beats[mask] == hist_modal[mask].to_numpy()
    n = int(mask.sum())
    return {
        "points": len(points),
        "compared": n,
        "agree": int(agree.sum()),
        "rate": float(agree.mean()) if n else float("nan"),
        "single_beat_compared": int(single.sum()),
        "single_beat_rate": float(agree[single].mean()) if single.any() else float("nan"),
        "modal_rate": float(modal_agree.mean()) if n else float("nan"),
    }

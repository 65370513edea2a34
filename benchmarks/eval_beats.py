"""Beat agreement: County address-point coordinates → beat vs DPD's BEAT of the same hundred-block.

    .venv/bin/python benchmarks/eval_beats.py

Reads address_points.csv and incidents_2021_2024.csv from the data folder (GEO_HEART_DATA or
../shared/data/durham). Target (issue 2): >= 97% of addresses that have a DPD beat.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo_heart.analysis.quality import beat_agreement_with_history  # noqa: E402
from geo_heart.area import Area  # noqa: E402
from geo_heart.config.settings import Settings  # noqa: E402


def main() -> None:
    data = Path(os.environ.get("GEO_HEART_DATA", ROOT.parent / "shared" / "data" / "durham"))
    ws = Area.from_settings(
        Settings(data_dir=data, cache_dir=Path(tempfile.gettempdir()) / "gh-eval")
    )
    points = pd.read_csv(data / "address_points.csv", dtype=str, keep_default_na=False)
    history = pd.read_csv(
        data / "incidents_2021_2024.csv",
        dtype=str,
        keep_default_na=False,
        usecols=["ADDRESS2", "BEAT"],
    )
    r = beat_agreement_with_history(ws, points, history)
    print(f"address points                     {r['points']:,}")
    print(f"with a beat and a DPD block beat   {r['compared']:,}")
    print(f"agree (beat is one of the block's) {r['rate']:.2%}  (target >= 97%)")
    print(
        f"  blocks DPD gives one beat only   {r['single_beat_rate']:.2%} of {r['single_beat_compared']:,}"
    )
    print(f"agree with the block's modal beat  {r['modal_rate']:.2%}")


if __name__ == "__main__":
    main()

"""Issue 2's accuracy figure: address-point coordinates vs DPD beats of the same hundred-block."""

from __future__ import annotations

import pandas as pd
import pytest

from geo_heart.analysis.quality import beat_agreement_with_history, hundred_block


def test_hundred_block():
    s = pd.Series(["914 Morning  Glory Ave", "5 A ST", "GUESS RD/I85", None, "1200 N DUKE ST"])
    assert hundred_block(s).tolist() == [
        "900 MORNING GLORY AVE",
        "0 A ST",
        None,
        None,
        "1200 N DUKE ST",
    ]


def test_synthetic_agreement(workspace):
    points = pd.DataFrame(
        {
            "address": ["914 MORNING GLORY AVE", "1111 GILLETTE AVE", "12 LOST TREE CT"],
            "lon": [-78.88983930690928, -78.89100122250699, -78.80622804775017],
            "lat": [35.989206083070634, 35.98329670041698, 35.99586367208094],
        }
    )
    history = pd.DataFrame(
        {
            "ADDRESS2": [
                "900 MORNING GLORY AVE",
                "1100 GILLETTE AVE",
                "1100 GILLETTE AVE",
                "0 LOST TREE CT",
            ],
            "BEAT": ["111", "511", "513", "124"],
        }
    )
    r = beat_agreement_with_history(workspace, points, history)
    assert r["compared"] == 3 and r["agree"] == 2  # 121 != 124
    assert r["single_beat_compared"] == 2


@pytest.mark.slow
def test_durham_address_points_agree_with_dpd_beats(workspace, data_dir):
    points = pd.read_csv(data_dir / "address_points.csv", dtype=str, keep_default_na=False)
    history = pd.read_csv(
        data_dir / "incidents_2021_2024.csv",
        dtype=str,
        keep_default_na=False,
        usecols=["ADDRESS2", "BEAT"],
    )
    r = beat_agreement_with_history(workspace, points, history)
    assert r["compared"] > 4000
    assert r["rate"] >= 0.97, r

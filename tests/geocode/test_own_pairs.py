"""A batch on a cache without the crossing table tests only its own street pairs (issue 31 item 3):
the pairs found for a subset are the whole table's pairs restricted to that subset, and the answers
are the ones the table gives."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo_heart.area import Area
from geo_heart.geocode.crossing_pairs import crossing_pairs, pairs_meeting, street_shapes
from geo_heart.geocode.match import geocoder_for
from geo_heart.geocode.reference import StreetData

TOY = Path(__file__).resolve().parent.parent / "data" / "toy"


def _made_streets(seed: int, n: int = 60) -> dict[str, StreetData]:
    """``n`` streets of 1-3 random polylines in a 3 km square (metres), a few of them a single
    repeated point (a zero-length part: the prepared test finds no reach from it)."""
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(n):
        parts = []
        for _ in range(int(rng.integers(1, 4))):
            start = rng.uniform(0, 3000, 2)
            if rng.random() < 0.05:
                parts.append(np.array([start, start]))
                continue
            steps = rng.normal(0, 150, (int(rng.integers(1, 5)), 2))
            parts.append(np.vstack([start, start + np.cumsum(steps, axis=0)]))
        key = f"S{i:03d} ST"
        out[key] = StreetData(key=key, name=f"S{i:03d}", road_parts=parts)
    return out


def _norm(pairs) -> set[tuple[str, str]]:
    return {(a, b) if a <= b else (b, a) for a, b in pairs}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_pairs_of_a_subset_are_the_whole_table_restricted_to_it(seed):
    streets = _made_streets(seed)
    table = set(crossing_pairs(streets, 1.0))
    assert 20 < len(table) < len(streets) * (len(streets) - 1) // 2  # some meet, most do not
    shapes = street_shapes(streets, 1.0)
    keys = sorted(streets)
    rng = random.Random(seed)
    # every pair among a few streets, random pairs (either order), then the table's own pairs
    few = rng.sample(keys, 15)
    subsets = [
        [(a, b) for a in few for b in few if a < b],
        [tuple(rng.sample(keys, 2)) for _ in range(300)],
        sorted(table)[::3],
    ]
    for asked in subsets:
        got = pairs_meeting(asked, shapes, 1.0)
        assert got == table & _norm(asked)
    assert pairs_meeting([], shapes, 1.0) == set()


def test_on_the_toy_area_a_batch_leaves_the_table_and_gives_its_answers(tmp_path):
    texts = ["OAK ST & ELM AVE", "ELM AVE / OAK ST", "100 OAK ST", "OAK ST & NOWHERE RD"]
    lazy = Area.load(TOY / "toy.toml", data_dir=TOY, cache_dir=tmp_path / "lazy")
    g = geocoder_for(lazy)
    got = lazy.geocode(pd.DataFrame({"t": texts}), address="t")
    assert g.index.crossings is None and not g.index.paths_ready  # no table made
    assert list(got["beat"].astype(str)[:3]) == ["12", "12", "11"]
    # the pairs the batch tested, against the whole table of the same index
    table = set(g.index.crossing_table())
    asked = {k for k in g._crossing_memo}
    assert asked and {k for k in asked if g._crossing_memo[k] is not None} == table & asked
    assert pairs_meeting(sorted(table), g._shapes, g._projection()[2]) == table

    # with the table made first, the same answers
    eager = Area.load(TOY / "toy.toml", data_dir=TOY, cache_dir=tmp_path / "eager")
    geocoder_for(eager).prepare_crossings()
    want = eager.geocode(pd.DataFrame({"t": texts}), address="t")
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")).astype(str),
        pd.DataFrame(want.drop(columns="geometry")).astype(str),
    )


def test_a_batch_while_another_thread_makes_the_table_gives_the_same_answers(tmp_path):
    texts = ["OAK ST & ELM AVE", "ELM AVE / OAK ST", "300 ELM AVE"] * 50
    texts = [f"{t} " * (1 + i % 3) for i, t in enumerate(texts)]  # distinct texts, same places
    first = Area.load(TOY / "toy.toml", data_dir=TOY, cache_dir=tmp_path / "a")
    want = first.geocode(pd.DataFrame({"t": texts}), address="t")[["status", "beat"]]
    area = Area.load(TOY / "toy.toml", data_dir=TOY, cache_dir=tmp_path / "b")
    g = geocoder_for(area)
    maker = threading.Thread(target=g.prepare_crossings)  # as the lookup service does
    maker.start()
    got = area.geocode(pd.DataFrame({"t": texts}), address="t")[["status", "beat"]]
    maker.join()
    assert g.index.crossings is not None  # the thread made it
    pd.testing.assert_frame_equal(got, want)


def test_durham_pairs_of_a_sample_are_the_table_restricted_to_it(workspace):
    g = geocoder_for(workspace)
    table = set(g.index.crossing_table())
    unit = g._projection()[2]
    keys = sorted(g.index.streets)
    rng = random.Random(31)
    few = rng.sample(keys, 120)
    partners = [p for p in sorted(table) if p[0] in few or p[1] in few]
    asked = [(a, b) for a in few for b in few if a < b] + partners + rng.sample(sorted(table), 500)
    got = pairs_meeting(asked, g._shapes, unit)
    assert len(got) > 500 and got == table & _norm(asked)

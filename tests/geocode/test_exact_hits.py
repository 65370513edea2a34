"""A batch's exact (street, number) hits, found by one sorted-array join (issue 31).

:class:`geo_heart.geocode.exact.ExactAddresses` answers the numbered texts whose street is a
reference street spelled exactly and whose number (or hundred-block) its address points settle,
for a whole batch at once; every other text goes to the per-text matcher. Each hit must be the
very match the per-text matcher (``Geocoder._match``) gives, and the batch's rows the rows of
``geocode_one``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from answers_support import same

from geo_heart.geocode.address import clear_parse_caches, parse_address
from geo_heart.geocode.exact import ExactAddresses
from geo_heart.geocode.match import RESULT_COLUMNS, new_geocoder

ROOT = Path(__file__).resolve().parents[2]

#: numbered texts on the toy streets (no past records): known numbers, typed blocks, numbers
#: between known ones and beyond them, a street the reference does not know, messy spelling
TOY_TEXTS = [
    "102 OAK ST",
    "1902 OAK ST",
    "1900 OAK ST",
    "100 OAK ST",
    "300 ELM AVE",
    "1300 ELM AVE",
    "300 BLOCK OF OAK ST",
    "1500 BLK ELM AVE",
    "101 OAK ST",
    "150 OAK ST",
    "400 ELM AVE",
    "9000 OAK ST",
    "100 NOSUCH ST",
    "102 oak street",
    "102 OAK",
    "OAK ST & ELM AVE",
    "OAK ST",
    "",
    None,
]



def _check_hits_are_the_per_text_matches(g, texts) -> dict:
    """Every exact hit equals ``_match`` of its text (field by field); returns the hits by
    match type."""
    clear_parse_caches()
    parsed = [parse_address(t) for t in texts]
    hits = g._exact.hits(parsed)
    kinds: dict[str, int] = {}
    for i, m in hits.items():
        want = g._match(parsed[i])
        assert m == want, (texts[i], m, want)
        kinds[m.match_type] = kinds.get(m.match_type, 0) + 1
    return kinds


def _check_batch_is_one_at_a_time(ws, texts) -> None:
    batch = new_geocoder(ws).geocode_many(texts)
    single = new_geocoder(ws)  # its own memos, one text at a time
    for i, text in enumerate(texts):
        one = single.geocode_one(text)
        for name in RESULT_COLUMNS:
            got, want = batch[name].iloc[i], getattr(one, name)
            assert same(got, want), (text, name, got, want)


def test_toy_hits_are_the_points_and_blocks(toy):
    g = new_geocoder(toy)
    parsed = [parse_address(t) for t in TOY_TEXTS]
    hits = g._exact.hits(parsed)
    got = {TOY_TEXTS[i]: (m.match_type, m.lon, m.lat, m.matched) for i, m in hits.items()}
    pts = pd.read_csv(Path(toy.settings.data_dir) / "address_points.csv")
    at = {a: (x, y) for a, x, y in zip(pts["address"], pts["lon"], pts["lat"], strict=True)}
    # a known number: that point, exactly
    known = ("102 OAK ST", "1902 OAK ST", "1900 OAK ST", "100 OAK ST", "300 ELM AVE",
             "1300 ELM AVE", "102 oak street")  # fmt: skip
    for text in known:
        mtype, lon, lat, matched = got[text]
        key = text.upper().replace("STREET", "ST")
        assert mtype == "address_point"
        assert (lon, lat) == pytest.approx(at[key], abs=1e-9)
        assert matched == key
    # a typed block holding points: a block answer at the known number nearest the block's
    # middle (x50), lower on a tie
    assert got["300 BLOCK OF OAK ST"][0] == "block"
    assert got["300 BLOCK OF OAK ST"][3] == "300 block of OAK ST"
    assert got["300 BLOCK OF OAK ST"][1:3] == pytest.approx(at["302 OAK ST"], abs=1e-9)
    assert got["1500 BLK ELM AVE"][:3] == ("block", *at["1500 ELM AVE"])
    # numbers not among the points, a street not known, a street without its suffix, a
    # crossing, a street alone and empty text: left to the per-text matcher
    for text in ("101 OAK ST", "150 OAK ST", "400 ELM AVE", "9000 OAK ST", "100 NOSUCH ST",
                 "102 OAK", "OAK ST & ELM AVE", "OAK ST", "", None):  # fmt: skip
        assert text not in got, text


def test_toy_hits_equal_the_per_text_matcher(toy):
    kinds = _check_hits_are_the_per_text_matches(new_geocoder(toy), TOY_TEXTS)
    assert kinds == {"address_point": 7, "block": 2}
    _check_batch_is_one_at_a_time(toy, TOY_TEXTS)


def test_blocks_by_past_records():
    """A number ending in 00 on a block with past records is the hundred-block: the known
    number nearest x50 (lower on a tie), the beats of the block's points named; a street known
    from past records only answers from its block's records."""
    from geo_heart.geocode.reference import StreetData

    main = StreetData(
        key="MAIN ST", name="MAIN", numbers=np.array([102, 110, 190, 204]),
        lon=np.array([-1.0, -2.0, -3.0, -4.0]), lat=np.array([1.0, 2.0, 3.0, 4.0]),
        history={100: {"11": 3.0}},
    )  # fmt: skip
    old = StreetData(key="OLD RD", name="OLD", history={200: {"12": 2.0}})
    ex = ExactAddresses(
        {"MAIN ST": main, "OLD RD": old}, ["MAIN ST"], main.lon, main.lat, ["11", "12", "13", "11"]
    )
    texts = ["100 MAIN ST", "110 MAIN ST", "200 MAIN ST", "150 MAIN ST", "250 OLD RD",
             "350 OLD RD", "200 BLOCK OF MAIN ST"]  # fmt: skip
    hits = ex.hits([parse_address(t) for t in texts])
    got = {texts[i]: m for i, m in hits.items()}
    assert set(got) == {"100 MAIN ST", "110 MAIN ST", "250 OLD RD", "200 BLOCK OF MAIN ST"}
    b = got["100 MAIN ST"]  # 110 and 190 are both 40 from 150: the lower
    assert (b.match_type, b.lon, b.lat, b.score) == ("block", -2.0, 2.0, 0.8)
    assert b.block_beats == ("11", "12", "13") and b.prefer_history
    assert b.hist == {"11": 3.0} and b.matched == "100 block of MAIN ST"
    a = got["110 MAIN ST"]
    assert (a.match_type, a.lon, a.lat, a.score, a.matched) == (
        "address_point",
        -2.0,
        2.0,
        1.0,
        "110 MAIN ST",
    )
    assert a.hist == {"11": 3.0}
    h = got["250 OLD RD"]
    assert (h.match_type, h.lon, h.score, h.matched) == (
        "history_block",
        None,
        0.6,
        "200 block of OLD RD",
    )
    assert h.hist == {"12": 2.0}
    one = got["200 BLOCK OF MAIN ST"]  # one point in the block: its beat alone is not named
    assert (one.lon, one.block_beats) == (-4.0, ())


def test_no_points_no_hits():
    ex = ExactAddresses({}, [], [], [], [])
    assert ex.hits([parse_address("100 OAK ST")]) == {}


def test_area_geocode_loads_no_vector_writer(toy):
    """``Area.geocode`` names its columns without importing the vector-file writer or the
    point-assignment module (their import cost was paid on every first call)."""
    code = (
        "import sys\n"
        "from geo_heart.area import Area\n"
        f"ws = Area.load({str(Path(toy.settings.data_dir) / 'toy.toml')!r}, "
        f"data_dir={str(toy.settings.data_dir)!r}, cache_dir={str(toy.settings.cache_dir)!r})\n"
        "out = ws.geocode(['102 OAK ST', 'OAK ST & ELM AVE'])\n"
        "assert out['match_type'].tolist()[0] == 'address_point', out\n"
        "print(sorted(m for m in ('geo_heart.io.vector', 'geo_heart.io.ogr', 'geo_heart.geo.assign',"
        " 'geo_heart.geo.coords')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_durham_sample_hits_and_batch(workspace, data_dir):
    """On a seeded sample of Durham incident texts: every hit is the per-text match (points,
    blocks with points and blocks of streets known from past records only all occur), and the
    batch's rows are ``geocode_one``'s."""
    rows = pd.read_csv(
        data_dir / "incidents_2021_2024.csv", dtype=str, keep_default_na=False,
        usecols=["ADDRESS2"],
    )["ADDRESS2"]  # fmt: skip
    distinct = sorted(set(rows))
    rng = np.random.default_rng(3)
    texts = [distinct[i] for i in np.sort(rng.choice(len(distinct), 1500, replace=False))]
    kinds = _check_hits_are_the_per_text_matches(new_geocoder(workspace), texts)
    assert kinds.get("block", 0) > 200, kinds
    assert kinds.get("history_block", 0) > 200, kinds
    assert sum(kinds.values()) > 0.4 * len(texts), kinds
    _check_batch_is_one_at_a_time(workspace, texts[:600])


def test_numbers_the_key_cannot_hold_are_never_hits():
    """A point numbered beyond what the packed key holds sorts last and is never matched; the
    street's other points still are."""
    from geo_heart.geocode.reference import StreetData

    big = 1 << 32
    main = StreetData(
        key="MAIN ST", name="MAIN", numbers=np.array([5, 7, big + 5]),
        lon=np.array([-1.0, -2.0, -3.0]), lat=np.array([1.0, 2.0, 3.0]),
    )  # fmt: skip
    elm = StreetData(key="ELM ST", name="ELM", numbers=np.array([5]), lon=np.array([-9.0]),
                     lat=np.array([9.0]))  # fmt: skip
    ex = ExactAddresses({"MAIN ST": main, "ELM ST": elm}, ["MAIN ST", "ELM ST"],
                        [-1.0, -2.0, -3.0, -9.0], [1.0, 2.0, 3.0, 9.0], [None] * 4)  # fmt: skip
    assert np.all(np.diff(ex.code) >= 0)
    hits = ex.hits([parse_address(t) for t in ("5 MAIN ST", "7 MAIN ST", "5 ELM ST")])
    assert [(m.lon, m.matched) for _, m in sorted(hits.items())] == [
        (-1.0, "5 MAIN ST"),
        (-2.0, "7 MAIN ST"),
        (-9.0, "5 ELM ST"),
    ]

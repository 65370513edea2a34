"""The reference index written with its streets' point arrays packed (issue 31, item 1: the cold
build's own work) reads back as the index it was, field by field and float by float: on the toy
area, on Durham's and Portland's built indexes, and on hand-made indexes that cannot be packed
(pickled as they are)."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import numpy as np
import pytest

from geo_heart.area import Area
from geo_heart.geocode import reference
from geo_heart.geocode.index_pickle import PACKED_FIELDS, pack_streets
from geo_heart.geocode.reference import ReferenceIndex, StreetData

TOY = Path(__file__).resolve().parent.parent / "data" / "toy"


def _same(a, b, where: str) -> None:
    """Equal as stored: arrays by dtype, shape and bits; containers item by item."""
    assert type(a) is type(b), where
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert a.tobytes() == b.tobytes(), where
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _same(a[k], b[k], f"{where}[{k!r}]")
        if hasattr(a, "summary"):  # a History
            assert a.summary == b.summary, where
    elif isinstance(a, float):
        assert np.float64(a).tobytes() == np.float64(b).tobytes(), where
    else:
        assert a == b, where


def _same_index(got: ReferenceIndex, want: ReferenceIndex) -> None:
    assert list(got.streets) == list(want.streets)
    for key, sd in want.streets.items():
        for f in dataclasses.fields(StreetData):
            _same(getattr(got.streets[key], f.name), getattr(sd, f.name), f"{key}.{f.name}")
    for f in dataclasses.fields(ReferenceIndex):
        if f.name not in ("streets", "crossings_file"):  # (the file: set where it is read)
            _same(getattr(got, f.name), getattr(want, f.name), f.name)


def _plain(idx: ReferenceIndex) -> ReferenceIndex:
    """The index through pickle as it was written before the packing (object by object)."""
    state = {k: v for k, v in vars(idx).items() if k != "_street_tables"}
    copy = object.__new__(ReferenceIndex)
    copy.__dict__.update(pickle.loads(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)))
    return copy


def _round_trip(idx: ReferenceIndex) -> ReferenceIndex:
    return pickle.loads(pickle.dumps(idx, protocol=pickle.HIGHEST_PROTOCOL))


def test_toy_index_reads_back_field_by_field(tmp_path):
    area = Area.load(TOY / "toy.toml", data_dir=TOY, cache_dir=tmp_path)
    idx = reference.build_index(area)
    before = {k: dict(vars(sd)) for k, sd in idx.streets.items()}
    state = idx.__getstate__()
    assert "_packed_streets" in state and set(state["_packed_streets"]) == set(PACKED_FIELDS)
    assert all(sd.numbers is None for sd in state["streets"].values())
    assert {k: dict(vars(sd)) for k, sd in idx.streets.items()} == before  # left unchanged
    loaded = _round_trip(idx)
    _same_index(loaded, idx)
    _same_index(loaded, _plain(idx))
    with_points = [sd for sd in loaded.streets.values() if sd.numbers is not None]
    assert len(with_points) >= 2 and all(sd.numbers.flags.writeable for sd in with_points)
    # what the geocoder answers from a loaded index is what it answered before
    cached = reference.load_or_build(area)  # written to and read back from the cache folder
    cached = reference.load_or_build(area)
    _same_index(cached, idx)


def test_streets_that_cannot_be_packed_are_pickled_as_they_are():
    def street(key, numbers, lon):
        return StreetData(key=key, name=key, numbers=numbers, lon=lon, lat=lon)

    mixed = {  # int64 and int32 house numbers: not one array
        "A ST": street("A ST", np.array([1, 2], dtype=np.int64), np.array([0.5, 1.5])),
        "B ST": street("B ST", np.array([3], dtype=np.int32), np.array([2.5])),
    }
    assert pack_streets(mixed) is None
    assert pack_streets({"C ST": street("C ST", [1, 2], [0.5, 1.5])}) is None  # lists
    assert pack_streets({"D ST": StreetData(key="D ST", name="D ST")}) is None  # nothing to pack
    for streets in (mixed, {"C ST": street("C ST", [1, 2], [0.5, 1.5])}):
        idx = ReferenceIndex(streets=streets, by_name={}, intersections=None,
                             pair_history={}, places={}, sources={})  # fmt: skip
        _same_index(_round_trip(idx), idx)
    # empty arrays and streets without points between those with them keep their places
    streets = {
        "E ST": street("E ST", np.zeros(0, dtype=np.int64), np.zeros(0)),
        "F ST": StreetData(key="F ST", name="F ST", mid=(1.0, 2.0)),
        "G ST": street("G ST", np.array([7, 9]), np.array([-0.0, np.nan])),
    }
    idx = ReferenceIndex(streets=streets, by_name={}, intersections=None,
                         pair_history={}, places={}, sources={})  # fmt: skip
    assert pack_streets(streets) is not None
    loaded = _round_trip(idx)
    _same_index(loaded, idx)
    assert loaded.streets["F ST"].numbers is None and len(loaded.streets["E ST"].numbers) == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", ["durham", "portland"])
def test_city_index_reads_back_field_by_field(name, tmp_path):
    area = Area.load(name, cache_dir=tmp_path)
    idx = reference.load_or_build(area)  # built
    loaded = reference.load_or_build(area)  # read from the file written
    assert loaded is not idx
    _same_index(loaded, idx)
    _same_index(loaded, _plain(idx))
    n = sum(sd.numbers is not None for sd in loaded.streets.values())
    assert n > 2000

"""Computed crossing records are kept beside the cached index and read by the next geocoder."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pandas as pd

from geo_heart.area import Area
from geo_heart.geocode import crossrecords, intersect

TOY = Path(__file__).resolve().parent.parent / "data" / "toy"
TEXTS = ["100 OAK ST", "OAK ST & ELM AVE", "ELM AVE / OAK ST", "300 ELM AVE", "OAK ST"]
#: (status, beat, match_type) of TEXTS on the toy area
WANT = [
    ("ok", "11", "address_point"), ("ok", "12", "intersection"), ("ok", "12", "intersection"),
    ("ok", "12", "address_point"), ("approximate", "None", "street"),
]  # fmt: skip
PAIR = ("ELM AVE", "OAK ST")


def _answers(cache: Path) -> pd.DataFrame:
    """Every result column of TEXTS geocoded by a new area (a new geocoder: empty memos)."""
    area = Area.load(TOY / "toy.toml", data_dir=TOY, cache_dir=cache)
    out = area.geocode(pd.DataFrame({"t": TEXTS}), address="t")
    return pd.DataFrame(out.drop(columns="geometry")).astype(str)


def _summary(answers: pd.DataFrame) -> list[tuple[str, str, str]]:
    return list(answers[["status", "beat", "match_type"]].itertuples(index=False, name=None))


def _count_crossings(monkeypatch) -> list[int]:
    """Count the crossings the matcher computes: calls to :func:`geo_heart.geocode.lines.crossing`
    (one pair) and the pairs given to :func:`geo_heart.geocode.crossbatch.crossings_many` (a
    batch's pairs at once)."""
    from geo_heart.geocode import crossbatch

    calls = [0]
    real = intersect.crossing
    real_many = crossbatch.crossings_many

    def counted(*a, **k):
        calls[0] += 1
        return real(*a, **k)

    def counted_many(shapes, *a, **k):
        calls[0] += len(shapes)
        return real_many(shapes, *a, **k)

    monkeypatch.setattr(intersect, "crossing", counted)
    monkeypatch.setattr(crossbatch, "crossings_many", counted_many)
    return calls


def _records_file(cache: Path) -> Path:
    (path,) = sorted(cache.glob("geocode-crossrecords-*.pkl"))
    return path


def test_records_are_written_after_a_batch_and_read_back_without_computing(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    calls = _count_crossings(monkeypatch)
    cold = _answers(cache)
    assert _summary(cold) == WANT
    assert calls[0] > 0  # the crossing was computed
    path = _records_file(cache)
    # keyed like the crossing table beside it; a batch on a new cache tests only its own street
    # pairs and leaves the whole table to a single lookup or the service
    assert path.name.startswith("geocode-crossrecords-")
    table = path.with_name(path.name.replace("geocode-crossrecords-", "geocode-crossings-"))
    assert not table.exists()
    saved = pickle.loads(path.read_bytes())
    assert saved["version"] == crossrecords.RECORDS_VERSION
    rec = saved["records"][PAIR]
    assert rec[0].how and rec[3] > 0 and rec[4]  # crossing, uncertainty (m), beats within reach

    calls[0] = 0
    warm = _answers(cache)  # a new geocoder: the records come from the file
    assert calls[0] == 0
    pd.testing.assert_frame_equal(warm, cold)
    assert path.read_bytes() == pickle.dumps(saved, protocol=pickle.HIGHEST_PROTOCOL)


def test_a_damaged_records_file_is_computed_again_and_rewritten(tmp_path, monkeypatch, caplog):
    cache = tmp_path / "cache"
    first = _answers(cache)
    path = _records_file(cache)
    path.write_bytes(b"not a pickle")
    calls = _count_crossings(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="geo_heart.geocode.crossrecords"):
        again = _answers(cache)
    assert "crossing records cache" in caplog.text and "unreadable" in caplog.text
    assert calls[0] > 0
    pd.testing.assert_frame_equal(again, first)
    assert PAIR in pickle.loads(path.read_bytes())["records"]  # written again, whole


def test_a_failed_records_write_is_logged_and_the_answers_still_come(tmp_path, monkeypatch, caplog):
    import contextlib

    @contextlib.contextmanager
    def full_disk(path):
        raise OSError(28, "No space left on device")
        yield  # pragma: no cover

    monkeypatch.setattr("geo_heart.io.files.atomic_write", full_disk)
    with caplog.at_level(logging.WARNING, logger="geo_heart.geocode.crossrecords"):
        got = _answers(tmp_path / "cache")
    assert _summary(got) == WANT
    assert "cannot cache crossing records" in caplog.text
    assert list((tmp_path / "cache").glob("geocode-crossrecords-*")) == []


def test_records_written_by_two_geocoders_are_merged(tmp_path):
    path = tmp_path / "geocode-crossrecords-k.pkl"
    assert crossrecords.save_records(path, {("A", "B"): None}) == 1
    assert crossrecords.save_records(path, {("C", "D"): ("rec",)}) == 2
    assert crossrecords.load_records(path) == {("A", "B"): None, ("C", "D"): ("rec",)}
    assert crossrecords.save_records(path, {}) == 0  # nothing new: the file is left alone
    assert crossrecords.load_records(path) == {("A", "B"): None, ("C", "D"): ("rec",)}


def test_near_beats_are_kept_with_the_records_and_an_older_file_has_none(tmp_path):
    path = tmp_path / "geocode-crossrecords-k.pkl"
    near = {(10.0, 20.0, 450.0): (("11", -99.9, 40.0), ("12", -99.8, 40.1))}
    assert crossrecords.save_records(path, {("A", "B"): None}, near) == 1
    assert crossrecords.load_tables(path) == ({("A", "B"): None}, near)
    # near beats alone are written too, merged with the file's
    more = {(1.0, 2.0, 500.0): (("13", -99.7, 40.2),)}
    assert crossrecords.save_records(path, {}, more) == 1
    assert crossrecords.load_tables(path) == ({("A", "B"): None}, {**near, **more})
    # a file written before near beats were kept: its records, no near beats
    old = {"version": crossrecords.RECORDS_VERSION, "records": {("C", "D"): None}}
    path.write_bytes(pickle.dumps(old))
    assert crossrecords.load_tables(path) == ({("C", "D"): None}, {})
    path.write_bytes(pickle.dumps({**old, "near": ["not", "a", "table"]}))
    assert crossrecords.load_tables(path) == ({}, {})  # damaged: ignored, computed again


def test_an_index_made_by_hand_has_no_records_file():
    class Made:
        crossings_file = None

    assert crossrecords.records_path(Made()) is None
    assert crossrecords.load_records(None) == {}
    assert crossrecords.save_records(None, {("A", "B"): None}) == 0


def test_a_rebuilt_index_drops_the_records_of_the_old_one(tmp_path):
    from geo_heart.geocode.match import geocoder_for

    cache = tmp_path / "cache"
    _answers(cache)
    assert _records_file(cache).exists()
    area = Area.load(TOY / "toy.toml", data_dir=TOY, cache_dir=cache)
    geocoder_for(area, rebuild=True)
    assert list(cache.glob("geocode-crossrecords-*")) == []
    assert _summary(_answers(cache)) == WANT  # computed again, then kept
    assert PAIR in pickle.loads(_records_file(cache).read_bytes())["records"]

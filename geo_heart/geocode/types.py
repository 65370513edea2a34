"""Result types shared by the geocoder modules (private helpers, public result)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["GeocodeResult", "RESULT_COLUMNS"]

#: A second beat with at least this share of a block's records makes the block a straddler.
STRADDLE_SHARE = 0.10
#: An imprecise point takes its beat from a block this many hundreds away when its own is unknown.
NEIGHBOUR_BLOCKS = 1


@dataclass(frozen=True)
class GeocodeResult:
    """The answer for one address (see the module docstring for match types and scores)."""

    lon: float | None
    lat: float | None
    beat: str | None
    district: str | None
    in_service_area: bool | None
    match_type: str
    score: float
    matched_address: str | None
    status: str
    reason: str
    straddle_beats: str | None = None
    beat_source: str | None = None
    uncertainty_m: float | None = None
    #: For ``status="ambiguous"`` or ``"approximate"``: the places that fit, best first (dicts
    #: with ``matched_address``, ``lon``, ``lat``, ``beat``, ``district``, ``in_service_area``,
    #: ``match_type``, ``score``, ``uncertainty_m`` and, for approximate answers, ``share``: the
    #: share of the street that lies in that beat).
    candidates: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        d = asdict(self)
        d["candidates"] = [dict(c) for c in self.candidates]
        return d


#: Columns of batch output (every field but ``candidates``, which is per-lookup detail).
RESULT_COLUMNS = [f.name for f in fields(GeocodeResult) if f.name != "candidates"]

#: How far (metres) the point may be from the true place, by match type (a rough guide; an
#: intersection or interpolation sets its own).
UNCERTAINTY_M = {
    "address_point": 15.0, "interpolated": 40.0, "range_interpolated": 50.0, "block": 80.0,
    "block_interpolated": 100.0, "intersection": 40.0, "place": 150.0, "extrapolated": 150.0,
    "nearest_address": 250.0, "street": 1500.0,
}  # fmt: skip


@dataclass(slots=True)
class _Match:
    lon: float | None
    lat: float | None
    match_type: str
    score: float
    matched: str | None
    reason: str = ""
    hist: dict[str, int] | None = None  # beat → records for the block/intersection
    block_beats: tuple[str, ...] = ()
    prefer_history: bool = False
    invalid: bool = False
    uncertainty_m: float | None = None
    #: several places fit: the alternatives (each a _Match with a point and/or history)
    candidates: list[_Match] | None = None
    #: only part of the text was located (a street with no number, one street of a crossing):
    #: the answer's status is ``approximate`` and its candidates are the beats it may be in
    approximate: bool = False
    #: for a candidate of an approximate answer: the share of the street in its beat (0..1)
    share: float | None = None
    #: not sure enough for one confident place even with a single candidate (``ambiguous``)
    unsure: bool = False
    #: a crossing's calibration class and raw radius (m), for ``benchmarks/fit_calibration.py``
    cal_class: str | None = None
    raw_radius_m: float | None = None


def _as_text(value: Any) -> str | None:
    """Address text from a cell: strings as they are, missing values as None, others as text."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and value != value):
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _majority(hist: dict[str, int]) -> tuple[str, float, tuple[str, ...]]:
    total = sum(hist.values())
    ranked = sorted(hist.items(), key=lambda kv: (-kv[1], kv[0]))
    beat, n = ranked[0]
    straddle = tuple(sorted(b for b, c in ranked if c / total >= STRADDLE_SHARE))
    return beat, n / total, straddle


_SOURCE_ALL = f"history ({1.0:.0%} of recency-weighted records)"


def majority_summary(hist: dict[str, float]) -> tuple[str, tuple[str, ...], str]:
    """(majority beat, straddle beats, ``beat_source`` text) of a beat → records history."""
    if len(hist) == 1:
        hb = next(iter(hist))
        return hb, (hb,), _SOURCE_ALL
    hb, share, straddle = _majority(hist)
    source = _SOURCE_ALL if share == 1.0 else f"history ({share:.0%} of recency-weighted records)"
    return hb, straddle, source


class History(dict):
    """Beat → recency-weighted records of one block or crossing, with its majority computed once
    (when the index is built): ``summary`` is :func:`majority_summary` of the contents.

    Treat as read-only (the summary is not updated on change).
    """

    __slots__ = ("summary",)

    def __init__(self, counts: dict[str, float]) -> None:
        super().__init__(counts)
        self.summary = majority_summary(self)

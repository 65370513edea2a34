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
    in_service_area: bool
    match_type: str
    score: float
    matched_address: str | None
    status: str
    reason: str
    straddle_beats: str | None = None
    beat_source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


RESULT_COLUMNS = [f.name for f in fields(GeocodeResult)]


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

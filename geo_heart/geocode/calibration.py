"""Calibrated confidence: a 90% radius per kind of answer and the probability that the beat is right.

The geocoder's own numbers (the match cascade's score, a crossing's geometric uncertainty) rank
answers well but are not probabilities. A calibration table turns them into:

- ``uncertainty_m``: a radius that holds the true point for about 90% of answers of that kind —
  per match type (and raw score, ``interpolated@0.85``) for addresses (``radius_m``), per
  crossing class for crossings
  (``crossing_radius_m``: the geometry it came from × the geometric uncertainty's band);
- ``score``: the estimated probability that the answer's beat is right — a monotone map of the
  raw score per family (match type, and whether the beat came from past records), as knots
  ``[[raw, probability], ...]`` interpolated linearly and clamped at the ends.

The table is a reviewed JSON file named by the area file (``[calibration] file``), fitted from
held-out measurements by ``benchmarks/fit_calibration.py`` (which writes the file and says which
data it came from). The geocoder never reads the evaluation files: only this table. Without a
table the raw numbers are used (:data:`IDENTITY`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geo_heart.errors import ConfigError

__all__ = ["Calibration", "IDENTITY", "crossing_class", "load_calibration", "score_family"]

#: Bands of a crossing's geometric uncertainty (metres): the class is ``source/band``.
CROSSING_BANDS_M = (40.0, 100.0)


def crossing_class(how: str, raw_m: float, gap_m: float) -> str:
    """The calibration class of a crossing: its geometry and the band of its raw radius.

    ``how`` is :attr:`~geo_heart.geocode.lines.Crossing.how` (``"road line"``, ``"address
    points"``, ``"road line and address points"`` …); a crossing of two lines that only pass
    near each other (``gap_m > 0``) is ``near``.
    """
    if gap_m > 0:
        src = "near"
    elif "road line" in how and "address points" in how:
        src = "mixed"
    elif "road line" in how or "line" in how:
        src = "lines"
    else:
        src = "points"
    band = next((i for i, b in enumerate(CROSSING_BANDS_M) if raw_m <= b), len(CROSSING_BANDS_M))
    return f"{src}/{band}"


def score_family(match_type: str, beat_source: str | None) -> str:
    """The score map's family: the match type, ``+history`` when the beat came from records."""
    if isinstance(beat_source, str) and beat_source.startswith("history"):
        return f"{match_type}+history"
    return match_type


@dataclass(frozen=True)
class Calibration:
    """A fitted calibration table (see the module docstring)."""

    radius_m: Mapping[str, float] = field(default_factory=dict)
    crossing_radius_m: Mapping[str, float] = field(default_factory=dict)
    #: a crossing whose calibrated radius exceeds this is not ``ok`` (``approximate``)
    ok_crossing_radius_m: float | None = None
    #: the crossing geometries (the class before ``/``: ``lines``, ``mixed``, ``points``,
    #: ``near``) that may be ``ok``; ``None``: any. A policy: ``["lines"]`` keeps ``ok`` for
    #: crossings of two drawn street lines that meet (a found crossing); a crossing estimated
    #: from address points is ``approximate``
    ok_crossing_geometries: tuple[str, ...] | None = None
    score: Mapping[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    source: str = ""
    path: Path | None = None
    #: (family, raw score) → probability, filled on use (raw scores take few distinct values)
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    def radius(
        self, match_type: str, raw_m: float | None, raw_score: float | None = None
    ) -> float | None:
        """The 90% radius of an answer of ``match_type`` (its raw radius when not fitted).

        A key ``match_type@score`` (``interpolated@0.85``: the raw score tells how far apart the
        known numbers were) wins over the match type's own.
        """
        if raw_score is not None and self.radius_m:
            got = self.radius_m.get(f"{match_type}@{raw_score:.2f}")
            if got is not None:
                return got
        return self.radius_m.get(match_type, raw_m)

    def crossing_radius(self, cls: str, raw_m: float) -> float:
        """The 90% radius of a crossing of class ``cls`` (never below its raw radius)."""
        fitted = self.crossing_radius_m.get(cls)
        if fitted is None:
            fitted = self.crossing_radius_m.get(cls.split("/")[0] + "/*")
        return raw_m if fitted is None else max(float(fitted), raw_m)

    def probability(self, family: str, raw: float) -> float:
        """The probability that the beat is right for a raw score of ``family``."""
        if not self.score:
            return raw
        key = (family, raw)
        got = self._memo.get(key)
        if got is None:
            if len(self._memo) > 100_000:
                self._memo.clear()
            got = self._memo[key] = self._probability(family, raw)
        return got

    def _probability(self, family: str, raw: float) -> float:
        knots = self.score.get(family)
        if knots is None:
            knots = self.score.get(family.split("+")[0])
        if not knots or not math.isfinite(raw):
            return raw
        xs = [k[0] for k in knots]
        ps = [k[1] for k in knots]
        return round(float(np.interp(raw, xs, ps)), 3)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "radius_m": dict(sorted(self.radius_m.items())),
            "crossing_radius_m": dict(sorted(self.crossing_radius_m.items())),
            "ok_crossing_radius_m": self.ok_crossing_radius_m,
            "ok_crossing_geometries": (
                None if self.ok_crossing_geometries is None else list(self.ok_crossing_geometries)
            ),
            "score": {k: [list(p) for p in v] for k, v in sorted(self.score.items())},
        }


#: No calibration: the raw numbers.
IDENTITY = Calibration()


def load_calibration(path: Path | str | None) -> Calibration:
    """Read a calibration table (``None``: :data:`IDENTITY`); one-line errors name the file."""
    if path is None:
        return IDENTITY
    from geo_heart.config.safe_files import MAX_SIDE_FILE_BYTES, read_limited

    p = Path(path)
    # a regular file of bounded size only: never a FIFO or /dev/zero named by an area file
    data = read_limited(p, max_bytes=MAX_SIDE_FILE_BYTES, what="calibration file")
    try:
        raw = json.loads(data.decode("utf-8"))
    except (RecursionError, ValueError) as exc:
        raise ConfigError(f"calibration file {str(p)!r} is not readable JSON: {exc}") from None
    try:
        score = {str(k): tuple((float(a), float(b)) for a, b in v) for k, v in raw["score"].items()}
        for k, v in score.items():
            xs = [a for a, _ in v]
            ps = [b for _, b in v]
            if xs != sorted(xs) or ps != sorted(ps) or not all(0 <= q <= 1 for q in ps):
                raise ValueError(f"score.{k}: knots must rise in raw score and probability")
        return Calibration(
            radius_m={str(k): float(v) for k, v in raw.get("radius_m", {}).items()},
            crossing_radius_m={
                str(k): float(v) for k, v in raw.get("crossing_radius_m", {}).items()
            },
            ok_crossing_radius_m=(
                None
                if raw.get("ok_crossing_radius_m") is None
                else float(raw["ok_crossing_radius_m"])
            ),
            ok_crossing_geometries=_geometries(raw.get("ok_crossing_geometries")),
            score=score,
            source=str(raw.get("source", "")),
            path=p,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"calibration file {str(p)!r}: {exc}") from None


def _geometries(value: Any) -> tuple[str, ...] | None:
    """``ok_crossing_geometries`` from JSON: null, or a list of known geometry names."""
    if value is None:
        return None
    known = ("lines", "mixed", "points", "near")
    if not isinstance(value, list) or not all(isinstance(v, str) and v in known for v in value):
        raise ValueError(f"ok_crossing_geometries must be a list of {', '.join(known)}: {value!r}")
    return tuple(value)

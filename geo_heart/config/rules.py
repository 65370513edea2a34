"""Program rules over time: dated rule sets and the periods they make.

A program's service area, hours and call types can change: the area file lists **rule sets**
(``[[rules]]``), each in force from ``effective_from`` (a local date in the area's time zone, the
switch happening at local midnight) to the next set's start or its own ``effective_to``
(exclusive). A program inside a set may be inactive (``active = false``) or start later
(``starts``). A file without ``[[rules]]`` has one undated rule set, ``current``.

The sets are flattened into **periods** (:class:`RulePeriod`): consecutive date ranges over which
every program's rules are fixed. Before the first dated set, and in a gap between sets, a synthetic
period holds every program inactive with a reason ("HEART did not exist before 2022-06-27").

>>> period = area.rules_at(datetime(2023, 3, 14, 11))          # doctest: +SKIP
>>> period.rule_set.name, period.programs["CRT"].service_area  # doctest: +SKIP
('pilot', 'pilot')
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from geo_heart.config.areafile import Program


@dataclass(frozen=True)
class ProgramRule:
    """What one rule set changes for one program (``None``: as in ``[programs.<code>]``)."""

    active: bool = True
    starts: date | None = None
    service_area: str | None = None
    hours: Any = None  # WeeklySchedule | None
    call_types: frozenset[str] | None = None
    risk_call_types: frozenset[str] | None = None
    source: str | None = None
    assumed: bool = False
    note: str | None = None


@dataclass(frozen=True)
class RuleSet:
    """A named, dated set of program rules.

    ``effective_from`` ``None`` means "since the beginning"; ``effective_to`` ``None`` means "until
    further notice". ``synthetic`` marks the sets geo-heart adds (before the first dated set, gaps).
    """

    name: str
    label: str
    effective_from: date | None = None
    effective_to: date | None = None
    service_area: str | None = None
    programs: Mapping[str, ProgramRule] = field(default_factory=dict)
    source: str | None = None
    assumed: bool = False
    note: str | None = None
    synthetic: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The ``rules`` object of lookup answers: name, label and the dates (ISO or ``null``)."""
        return {
            "name": self.name,
            "label": self.label,
            "effective_from": None
            if self.effective_from is None
            else self.effective_from.isoformat(),
            "effective_to": None if self.effective_to is None else self.effective_to.isoformat(),
        }

    def span(self) -> str:
        """``2022-06-27 to 2023-10-22`` (last day inclusive), ``from …``, ``before …``, ``always``."""
        a, b = self.effective_from, self.effective_to
        if a is None and b is None:
            return "always"
        if a is None:
            return f"before {b.isoformat()}"
        if b is None:
            return f"from {a.isoformat()}"
        last = date.fromordinal(b.toordinal() - 1)
        return f"{a.isoformat()} to {last.isoformat()}"


@dataclass(frozen=True)
class RulePeriod:
    """A date range over which every program's rules are fixed (``end`` exclusive)."""

    rule_set: RuleSet
    start: date | None
    end: date | None
    programs: Mapping[str, Program]

    def contains(self, day: date) -> bool:
        """True if the local date ``day`` falls in this period."""
        return (self.start is None or day >= self.start) and (self.end is None or day < self.end)


@dataclass(frozen=True)
class RuleTimeline:
    """All periods in order, with look-up by local time and by rule-set name."""

    periods: tuple[RulePeriod, ...]
    rule_sets: tuple[RuleSet, ...]

    @property
    def starts(self) -> list[date]:
        """Start dates of all periods but the first (the cut points)."""
        return [p.start for p in self.periods[1:] if p.start is not None]

    def at(self, moment: datetime | date) -> RulePeriod:
        """The period in force at a naive local datetime (or on a local date)."""
        day = moment.date() if isinstance(moment, datetime) else moment
        i = bisect.bisect_right(self.starts, day)
        return self.periods[i]

    def index_of(self, days: Any) -> Any:
        """Vectorised: period index per ``datetime64[D]`` local date (numpy array)."""
        import numpy as np

        cuts = np.array(self.starts, dtype="datetime64[D]")
        return np.searchsorted(cuts, np.asarray(days, dtype="datetime64[D]"), side="right")

    @property
    def latest(self) -> RuleSet:
        """The last rule set that is not synthetic (today's rules, as far as the file knows)."""
        real = [r for r in self.rule_sets if not r.synthetic]
        return real[-1] if real else self.rule_sets[-1]

    def named(self, name: str) -> RuleSet:
        """The rule set called ``name``; ``KeyError`` if none."""
        for r in self.rule_sets:
            if r.name == name:
                return r
        raise KeyError(name)

    def full_programs(self, rule_set: RuleSet) -> Mapping[str, Program]:
        """A rule set's programs once every program in it has started (its last period)."""
        own = [p for p in self.periods if p.rule_set.name == rule_set.name]
        return own[-1].programs

"""Raw CAD call codes → canonical call types.

The rule (see the comment above ``[call_type_prefixes]`` in the area file):

1. Upper-case the code and fold white space (``"SUICIDAL /  ATT"`` → ``"SUICIDAL / ATT"``).
2. Strip a known program prefix (``"CRT - "``); remember the program and whether it implies risk.
3. Look the rest up: a canonical key (``trespass``) or label (``Trespass``); a listed code; a listed
   risk code (the code itself says weapon or violence).
4. Otherwise, since CAD cuts codes to 15 characters, accept a remainder that is the leading part of
   exactly one call type's codes or label (``"DISTURBAN"`` → disturbance). Ambiguous → unknown.

Unknown codes are not errors: bulk classification counts them, and a single lookup answers "no
program takes this call type" naming the code, how to add it to the table, and a likely match
(:meth:`CallTypeTable.suggest`) offered as a suggestion, never applied. :func:`classify_call_type`
with ``strict=True`` still raises :class:`CallTypeError` for callers that want a refusal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from geo_heart.config.areafile import AreaConfig, normalize_code
from geo_heart.errors import CallTypeError

#: Codes meaning "a call type the table does not list" (the page's "other / not listed" sends
#: ``not listed``): never read as the start of a listed code.
NOT_LISTED = frozenset({"NOT LISTED", "OTHER / NOT LISTED", "OTHER - NOT LISTED"})


@dataclass(frozen=True)
class CallClass:
    """How one raw call code was understood.

    Attributes
    ----------
    raw
        The code as given.
    call_type
        Canonical key (``"trespass"``), or ``None`` when unknown.
    label
        Canonical label, or ``None``.
    risk
        True when the code (or its program prefix) says a weapon or violence is involved.
    prefix_program
        Program named by a CAD prefix (``"CRT"`` for ``"CRT - TRESPASS"``), else ``None``.
    matched_by
        ``"key"``, ``"label"``, ``"code"``, ``"risk_code"``, ``"truncation"`` or ``"unknown"``.
    """

    raw: str
    call_type: str | None
    label: str | None
    risk: bool
    prefix_program: str | None
    matched_by: str


class CallTypeTable:
    """The area's call-type table, with exact and truncation lookups precomputed."""

    def __init__(self, area: AreaConfig) -> None:
        self.area = area
        self._exact: dict[str, tuple[str, bool, str]] = {}
        for ct in area.call_types.values():
            self._exact[normalize_code(ct.key)] = (ct.key, False, "key")
            self._exact[normalize_code(ct.key.replace("_", " "))] = (ct.key, False, "key")
            self._exact.setdefault(normalize_code(ct.label), (ct.key, False, "label"))
            for c in ct.codes:
                self._exact[c] = (ct.key, False, "code")
            for c in ct.risk_codes:
                self._exact[c] = (ct.key, True, "risk_code")
        # Full forms a truncated remainder may be the start of.
        self._fulls: list[tuple[str, str, bool]] = []
        for ct in area.call_types.values():
            for c in ct.codes:
                self._fulls.append((c, ct.key, False))
            for c in ct.risk_codes:
                self._fulls.append((c, ct.key, True))
            self._fulls.append((normalize_code(ct.label), ct.key, False))
        self._prefixes = sorted(area.prefixes, key=lambda p: -len(p.prefix))
        self._cache = lru_cache(maxsize=65536)(self._classify)

    def __getstate__(self) -> dict:
        """Picklable (shipped to dask workers with the area): the memo is left behind."""
        return {k: v for k, v in self.__dict__.items() if k != "_cache"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._cache = lru_cache(maxsize=65536)(self._classify)

    def classify(self, raw: str | None) -> CallClass:
        """Classify one raw code (cached)."""
        return self._cache("" if raw is None else str(raw))

    def _classify(self, raw: str) -> CallClass:
        code = normalize_code(raw)
        program = None
        risk = False
        for p in self._prefixes:
            if code.startswith(p.prefix) or code + " " == p.prefix:
                program = p.program
                risk = p.implies_risk
                code = code[len(p.prefix) :].strip()
                break
        if not code or code in NOT_LISTED:
            return CallClass(raw, None, None, risk, program, "unknown")
        hit = self._exact.get(code)
        if hit is not None:
            key, code_risk, how = hit
            return CallClass(
                raw, key, self.area.call_types[key].label, risk or code_risk, program, how
            )
        if len(code) >= 4:
            keys = {(k, r) for full, k, r in self._fulls if full.startswith(code)}
            distinct = {k for k, _ in keys}
            if len(distinct) == 1:
                key = distinct.pop()
                code_risk = all(r for _, r in keys)
                return CallClass(
                    raw,
                    key,
                    self.area.call_types[key].label,
                    risk or code_risk,
                    program,
                    "truncation",
                )
        return CallClass(raw, None, None, risk, program, "unknown")

    def classify_strict(self, raw: str) -> CallClass:
        """Classify one code; raise :class:`CallTypeError` if it is unknown."""
        result = self.classify(raw)
        if result.call_type is None:
            known = ", ".join(sorted(self.area.call_types))
            raise CallTypeError(
                f"call type {raw!r} is not in the call-type table of {self.area.name} "
                f"({self.area.path}); known canonical types: {known}"
            )
        return result

    def suggest(self, raw: str) -> str | None:
        """A likely call type for an unknown code (its label), or ``None``: never applied.

        The remainder after any program prefix is compared with every code, key and label
        (``rapidfuzz`` ``WRatio`` ≥ 75; the best one wins, ties by key).
        """
        from rapidfuzz import fuzz, process

        code = normalize_code(raw)
        if code in NOT_LISTED:
            return None
        for p in self._prefixes:
            if code.startswith(p.prefix):
                code = code[len(p.prefix) :].strip()
                break
        if len(code) < 3:
            return None
        choices = {full: key for full, key, _ in self._fulls}
        for ct in self.area.call_types.values():
            choices.setdefault(normalize_code(ct.key.replace("_", " ")), ct.key)
        found = process.extract(code, list(choices), scorer=fuzz.WRatio, score_cutoff=75, limit=5)
        if not found:
            return None
        top = max(f[1] for f in found)
        keys = sorted({choices[f[0]] for f in found if f[1] == top})
        return self.area.call_types[keys[0]].label

    def describe_unknown(self, raw: str) -> tuple[str, str | None]:
        """(what to tell the user about an unknown code, the suggested label or ``None``).

        ``not listed`` (the page's "other / not listed" choice) is a call type the caller's
        words did not fit: no program takes it, and nothing is suggested.
        """
        if normalize_code(raw) in NOT_LISTED:
            return "call type not listed: no program takes this call type", None
        hint = (
            f"call type {raw!r} is not in the call-type table of {self.area.name} "
            f"({self.area.path.name if self.area.path else 'the area file'}): no program takes "
            f"this call type; to add it, list {normalize_code(raw)!r} in the codes of a "
            "[call_types.KEY] table of the area file"
        )
        suggestion = self.suggest(raw)
        return hint, suggestion

    def classify_series(self, codes: Iterable[str | None]) -> pd.DataFrame:
        """Vectorised classification: one row per input, columns ``call_type``, ``label``,
        ``risk``, ``prefix_program``, ``matched_by`` (computed once per distinct code)."""
        s = codes if isinstance(codes, pd.Series) else pd.Series(list(codes), dtype=object)
        text = np.array(["" if v is None or v != v else str(v) for v in s.tolist()], dtype=object)
        uniques, inverse = np.unique(text.astype(str), return_inverse=True)
        rows = [self.classify(u) for u in uniques.tolist()]
        cols = {
            "call_type": np.array([r.call_type for r in rows], dtype=object),
            "label": np.array([r.label for r in rows], dtype=object),
            "risk": np.array([r.risk for r in rows], dtype=bool),
            "prefix_program": np.array([r.prefix_program for r in rows], dtype=object),
            "matched_by": np.array([r.matched_by for r in rows], dtype=object),
        }
        out = pd.DataFrame(
            {k: pd.Series(v[inverse], dtype=v.dtype, index=s.index) for k, v in cols.items()}
        )
        return out


def classify_call_type(area: AreaConfig, raw: str, *, strict: bool = False) -> CallClass:
    """Classify one raw call code with the area's table (the table is cached per area)."""
    table = call_type_table(area)
    return table.classify_strict(raw) if strict else table.classify(raw)


def call_type_table(area: AreaConfig) -> CallTypeTable:
    """The call-type table of an area, built once and kept on the (immutable) configuration."""
    t = area.__dict__.get("_call_type_table")
    if t is None:
        t = CallTypeTable(area)
        area.__dict__["_call_type_table"] = t  # frozen dataclass: a derived, private cache
    return t

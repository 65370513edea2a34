"""Parse and normalise 911-style US street addresses (pure functions, no I/O).

A 911 record names a place in a handful of ways: a house number (``105 KYLEWAY DR``), a
hundred-block (``1200 N DUKE ST``, ``1200 blk of n duke st``), an intersection
(``GUESS RD/I85 N``, ``Main St & Gregson St``), a highway (``US 15-501``, ``NC 55``) or a named
place. :func:`parse_address` turns such text into a :class:`ParsedAddress` whose street keys are
canonical (USPS suffix and directional abbreviations, ordinals as ``1ST``, highways as
``US 15 501 HWY``/``I 85``), so that the reference index and the input meet on the same spelling.

The parser never raises on a row: empty text, PO boxes and text with no street get
``status="invalid"`` and a reason.

>>> p = parse_address("1200 blk of north Duke Street, Durham NC 27701")
>>> p.number, p.is_block, p.street, p.zip
(1200, True, 'N DUKE ST', '27701')
>>> parse_address("GUESS RD/I85 N").street2
'I 85 N'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

__all__ = [
    "ParsedAddress",
    "StreetKey",
    "parse_address",
    "street_key_from_text",
    "SUFFIXES",
    "DIRECTIONALS",
]

# USPS Publication 28 street suffixes (common forms → standard abbreviation), plus the
# abbreviations themselves. Not exhaustive, but covers what US 911 records use.
SUFFIXES: dict[str, str] = {}
_SUFFIX_GROUPS = {
    "ALY": "ALLEY ALLEE ALLY ALY",
    "ANX": "ANNEX ANX",
    "AVE": "AVENUE AV AVE AVEN AVENU AVN AVNUE",
    "BLVD": "BOULEVARD BLVD BOUL BOULV BLV",
    "BND": "BEND BND",
    "BR": "BRANCH BR BRNCH",
    "BRG": "BRIDGE BRG",
    "BYP": "BYPASS BYP BYPA BYPAS BYPS",
    "CIR": "CIRCLE CIR CIRC CIRCL CRCL CRCLE",
    "CLF": "CLIFF CLF",
    "CMN": "COMMON CMN",
    "CONN": "CONNECTOR CONN",
    "COR": "CORNER COR",
    "CRK": "CREEK CRK",
    "CRES": "CRESCENT CRES CRSENT CRSNT",
    "CRSE": "COURSE CRSE",
    "CT": "COURT CT CRT",
    "CTS": "COURTS CTS",
    "CV": "COVE CV",
    "DR": "DRIVE DR DRIV DRV",
    "EXPY": "EXPRESSWAY EXPY EXP EXPR EXPRESS EXPW",
    "EXT": "EXTENSION EXT EXTN EXTNSN",
    "FWY": "FREEWAY FWY FRWAY FRWY",
    "GLN": "GLEN GLN",
    "GRN": "GREEN GRN",
    "GRV": "GROVE GRV GROV",
    "HBR": "HARBOR HBR HARB",
    "HL": "HILL HL",
    "HLS": "HILLS HLS",
    "HOLW": "HOLLOW HOLW HLLW HOLLOWS HOLWS",
    "HTS": "HEIGHTS HTS HT",
    "HWY": "HIGHWAY HWY HIGHWY HIWAY HIWY HWAY",
    "KNL": "KNOLL KNL KNOL",
    "LN": "LANE LN LA",
    "LNDG": "LANDING LNDG LNDNG",
    "LOOP": "LOOP LOOPS",
    "MDW": "MEADOW MDW",
    "MDWS": "MEADOWS MDWS MEDOWS",
    "ML": "MILL ML",
    "MNR": "MANOR MNR",
    "PARK": "PARK PRK",
    "PASS": "PASS",
    "PATH": "PATH PATHS",
    "PIKE": "PIKE PIKES",
    "PKWY": "PARKWAY PKWY PARKWY PKWAY PKY PARKWAYS PKWYS",
    "PL": "PLACE PL",
    "PLZ": "PLAZA PLZ PLZA",
    "PT": "POINT PT",
    "RDG": "RIDGE RDG RDGE",
    "RD": "ROAD RD",
    "RUN": "RUN",
    "SQ": "SQUARE SQ SQR SQRE SQU",
    "ST": "STREET ST STRT STR",
    "TER": "TERRACE TER TERR",
    "TRCE": "TRACE TRCE TRACES",
    "TRL": "TRAIL TRL TRAILS TRLS",
    "TPKE": "TURNPIKE TPKE TRNPK TURNPK",
    "VW": "VIEW VW",
    "VIS": "VISTA VIS VIST VST VSTA",
    "VLG": "VILLAGE VLG VILL VILLAG VILLG",
    "WALK": "WALK WALKS",
    "WAY": "WAY WY",
    "WYND": "WYND",
    "XING": "CROSSING XING CRSSNG",
    "CHASE": "CHASE",
    "PARC": "PARC",
}
for _abbr, _forms in _SUFFIX_GROUPS.items():
    for _form in _forms.split():
        SUFFIXES[_form] = _abbr

DIRECTIONALS: dict[str, str] = {
    "N": "N", "NORTH": "N", "S": "S", "SOUTH": "S", "E": "E", "EAST": "E", "W": "W",
    "WEST": "W", "NE": "NE", "NORTHEAST": "NE", "NW": "NW", "NORTHWEST": "NW",
    "SE": "SE", "SOUTHEAST": "SE", "SW": "SW", "SOUTHWEST": "SW",
}  # fmt: skip

_ORDINALS = {
    "FIRST": "1ST", "SECOND": "2ND", "THIRD": "3RD", "FOURTH": "4TH", "FIFTH": "5TH",
    "SIXTH": "6TH", "SEVENTH": "7TH", "EIGHTH": "8TH", "NINTH": "9TH", "TENTH": "10TH",
    "ELEVENTH": "11TH", "TWELFTH": "12TH",
}  # fmt: skip

# Words inside street names that people abbreviate.
_NAME_WORDS = {
    "MT": "MOUNT", "MTN": "MOUNTAIN", "FT": "FORT", "SAINT": "ST", "JUNIOR": "JR",
    "DOCTOR": "DR",
}  # fmt: skip

_UNIT_WORDS = {
    "APT", "APARTMENT", "UNIT", "STE", "SUITE", "BLDG", "BUILDING", "RM", "ROOM", "FL",
    "FLOOR", "LOT", "SPC", "SPACE", "TRLR", "DEPT", "OFC", "OFFICE", "#",
}  # fmt: skip

_ROUTE_PREFIX = {
    "I": "I", "IH": "I", "INTERSTATE": "I", "US": "US", "USHWY": "US", "NC": "NC", "SR": "SR",
    "HWY": "HWY",
}  # fmt: skip

_STATES = {"NC", "N.C.", "NORTH CAROLINA"}

_RE_CLEAN = re.compile(r"[^A-Z0-9#/&@ \-]")
_RE_SPACE = re.compile(r"\s+")
_RE_ZIP = re.compile(r"\s(\d{5})(?:-\d{4})?$")
_RE_INTERSECT = re.compile(r"\s*(?:/|&|@|\bAND\b|\bAT\b)\s*")
_RE_ROUTE_GLUE = re.compile(r"\b(I|US|NC|SR)-?(\d+)\b")
_RE_NUM_RANGE = re.compile(r"\b(\d+)-(\d+)\b")
_RE_POBOX = re.compile(r"\b(P\s*O\s*BOX|POST OFFICE BOX|PO BOX|BOX \d+)\b")
_RE_HOUSE = re.compile(r"^(\d+)([A-Z]|-\d+|\s+1/2)?$")


@dataclass(frozen=True)
class StreetKey:
    """A canonical street: ``predir name suffix postdir`` (``N DUKE ST``)."""

    predir: str
    name: str
    suffix: str
    postdir: str

    @cached_property
    def full(self) -> str:
        """The canonical full street (``N DUKE ST``)."""
        return " ".join(p for p in (self.predir, self.name, self.suffix, self.postdir) if p)

    @property
    def is_highway(self) -> bool:
        """True for a numbered route (``I 85``, ``US 15 501 HWY``, ``NC 55 HWY``)."""
        return bool(self.name) and self.name.split(" ", 1)[0] in ("I", "US", "NC", "SR")


@dataclass(slots=True)
class ParsedAddress:
    """The parts of one address text.

    ``kind`` is ``address`` (house number + street), ``block`` (hundred-block), ``intersection``,
    ``street`` (a street with no number), ``place`` (text that may be a named place) or
    ``invalid``. ``status`` is ``ok`` or ``invalid`` with a ``reason``. Instances are shared by
    the parse cache: treat them as read-only.
    """

    raw: str
    kind: str
    number: int | None = None
    is_block: bool = False
    street: str | None = None
    street_key: StreetKey | None = None
    street2: str | None = None
    street2_key: StreetKey | None = None
    unit: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    place: str | None = None
    status: str = "ok"
    reason: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def key(self) -> str:
        """A normalised text key: inputs with the same key geocode the same way."""
        if self.kind == "intersection":
            a, b = sorted([self.street or "", self.street2 or ""])
            return f"{self.number or ''}|{a}/{b}"
        if self.kind in ("address", "block", "street"):
            return f"{self.number if self.number is not None else ''}{'B' if self.is_block else ''}|{self.street}"
        if self.kind == "place":
            return f"@{self.place}"
        return f"!{self.reason}"


def _invalid(raw: str, reason: str) -> ParsedAddress:
    return ParsedAddress(raw=raw, kind="invalid", status="invalid", reason=reason)


def _prepare(text: str) -> str:
    t = text.upper().replace("\t", " ")
    t = t.replace(".", "").replace(",", " , ").replace("'", "")
    t = _RE_CLEAN.sub(" ", t)
    t = _RE_ROUTE_GLUE.sub(r"\1 \2", t)
    t = _RE_SPACE.sub(" ", t).strip()
    return t


def _strip_tail(t: str) -> tuple[str, str | None, str | None, str | None]:
    """Split off ``, city, state zip`` (comma forms) and a trailing ZIP/state."""
    city = state = zip_code = None
    m = _RE_ZIP.search(t)
    if m:
        zip_code = m.group(1)
        t = t[: m.start()].strip(" ,")
    parts = [p.strip() for p in t.split(" , ")]
    if len(parts) > 1:
        head, tail = parts[0], [p for p in parts[1:] if p]
        rest = []
        for p in tail:
            words = p.split(" ")
            if words[-1] in _STATES or p in _STATES:
                state = "NC"
                p = " ".join(words[:-1]) if words[-1] in _STATES else ""
            if p:
                if city is None and not any(w in _UNIT_WORDS or w.startswith("#") for w in words):
                    city = p
                else:
                    rest.append(p)
        t = " ".join([head, *rest])
    else:
        words = t.split(" ")
        # "... DURHAM NC" without commas: a trailing state after a street suffix.
        if len(words) >= 3 and words[-1] == "NC" and not words[-2].isdigit():
            state = "NC"
            words = words[:-1]
            if len(words) >= 3 and words[-2] in SUFFIXES:
                city = words[-1]
                words = words[:-1]
        t = " ".join(words)
    return t.replace(" , ", " ").strip(" ,"), city, state, zip_code


def _split_unit(words: list[str]) -> tuple[list[str], str | None]:
    """Remove ``APT 3`` / ``#3`` / ``UNIT B`` (and what follows) from the words."""
    for i, w in enumerate(words):
        if i == 0:
            continue
        if w in _UNIT_WORDS or (w.startswith("#") and len(w) > 1):
            unit_words = words[i:]
            unit = " ".join(x for x in unit_words if x not in _UNIT_WORDS).lstrip("#").strip()
            return words[:i], unit or None
    return words, None


def _route(words: list[str]) -> list[str] | None:
    """Canonical words for a numbered route, or None if the words are not one."""
    if not words:
        return None
    i = 0
    prefix = _ROUTE_PREFIX.get(words[0])
    if prefix is None:
        return None
    i = 1
    if prefix == "US" and i < len(words) and words[i] in ("HWY", "HIGHWAY", "ROUTE", "RT"):
        i += 1
    if prefix == "HWY":
        prefix = None  # "HWY 70": route system unknown
    nums: list[str] = []
    while i < len(words) and (words[i].isdigit() or _RE_NUM_RANGE.fullmatch(words[i])):
        nums.extend(words[i].split("-"))
        i += 1
    if not nums:
        return None
    rest = [w for w in words[i:] if w not in ("HWY", "HIGHWAY", "BYP", "BYPASS", "BUS")]
    extra = [w for w in words[i:] if w in ("BYP", "BYPASS", "BUS")]
    post = ""
    if rest and rest[-1] in DIRECTIONALS:
        post = DIRECTIONALS[rest[-1]]
        rest = rest[:-1]
    if rest:
        return None
    if prefix is None:
        prefix = "US"  # "HWY 70" in Durham: the US route
    name = [prefix, *nums]
    if extra:
        name.append("BYP")
    out = name + ([] if prefix == "I" else ["HWY"])
    return out + ([post] if post else [])


def _street_key(words: list[str]) -> StreetKey | None:
    """Canonical street from its words (no house number)."""
    words = [w for w in words if w and w not in ("-", "#")]
    if not words:
        return None
    pre = ""
    # A route can follow a predirectional ("E NC 54").
    if words[0] in DIRECTIONALS and len(words) > 1:
        r = _route(words[1:])
        if r is not None:
            post = r[-1] if r[-1] in DIRECTIONALS.values() else ""
            core = r[:-1] if post else r
            has_hwy = core[-1] == "HWY"
            name = " ".join(core[:-1] if has_hwy else core)
            return StreetKey(DIRECTIONALS[words[0]], name, "HWY" if has_hwy else "", post)
    r = _route(words)
    if r is not None:
        post = r[-1] if r[-1] in DIRECTIONALS.values() else ""
        core = r[:-1] if post else r
        has_hwy = core[-1] == "HWY"
        name = " ".join(core[:-1] if has_hwy else core)
        return StreetKey("", name, "HWY" if has_hwy else "", post)
    if len(words) > 1 and words[0] in DIRECTIONALS:
        pre = DIRECTIONALS[words[0]]
        words = words[1:]
    post = ""
    if len(words) > 1 and words[-1] in DIRECTIONALS:
        post = DIRECTIONALS[words[-1]]
        words = words[:-1]
    suffix = ""
    if len(words) > 1 and words[-1] in SUFFIXES:
        suffix = SUFFIXES[words[-1]]
        words = words[:-1]
        # "US 15 501 BUSINESS" etc. handled above; "OLD NC 98 HWY" keeps its name.
    name_words = []
    for w in words:
        w = _ORDINALS.get(w, w)
        w = _NAME_WORDS.get(w, w)
        if w == "MLK":
            name_words.extend(["MARTIN", "LUTHER", "KING", "JR"])
            continue
        name_words.append(w)
    # "MARTIN LUTHER KING JR JR" from "MLK JR"
    for j in range(len(name_words) - 1, 0, -1):
        if name_words[j] == "JR" and name_words[j - 1] == "JR":
            del name_words[j]
    if name_words[:3] == ["MARTIN", "LUTHER", "KING"] and name_words[3:4] != ["JR"]:
        name_words.insert(3, "JR")
    if not name_words:
        # "N ST": a bare suffix is the name
        return StreetKey("", pre or suffix, "", post) if (pre or suffix) else None
    return StreetKey(pre, " ".join(name_words), suffix, post)


def street_key_from_text(text: str) -> StreetKey | None:
    """Canonical :class:`StreetKey` of a street name written any common way, or None.

    >>> street_key_from_text("north duke street").full
    'N DUKE ST'
    >>> street_key_from_text("US 15-501").full
    'US 15 501 HWY'
    """
    return _street_key(_prepare(text).split(" "))


def _number_and_street(part: str) -> tuple[int | None, bool, list[str], tuple[str, ...]]:
    """Split ``1200 BLK OF N DUKE ST`` into (1200, True, [N, DUKE, ST])."""
    words = part.split(" ")
    notes: list[str] = []
    number = None
    is_block = False
    if words and words[0] in ("BLOCK", "BLK") and len(words) > 2 and words[1] == "OF":
        words = words[2:]
        is_block = True
    if words and words[0].isdigit() or (words and _RE_HOUSE.match(words[0])):
        m = _RE_HOUSE.match(words[0])
        if m and len(words) > 1:
            number = int(m.group(1))
            if m.group(2):
                notes.append(f"house number suffix {m.group(2).strip()!r} ignored")
            words = words[1:]
            if words and words[0] == "1/2":
                words = words[1:]
            if words and words[0] in ("BLK", "BLOCK", "BLOCKS", "HUNDRED"):
                is_block = True
                words = words[1:]
                if words and words[0] in ("OF", "BLK"):
                    words = words[1:]
    if number is not None and number > 999999:
        number = None
    return number, is_block, words, tuple(notes)


_RE_FAST = re.compile(r"^(\d{1,6}) ([A-Z][A-Z0-9 ]*[A-Z0-9])$")
_RE_SLOW = re.compile(
    r"\b(?:APT|APARTMENT|UNIT|STE|SUITE|BLDG|BUILDING|RM|ROOM|FL|FLOOR|LOT|SPC|SPACE|TRLR|DEPT|"
    r"OFC|OFFICE|BLK|BLOCK|BLOCKS|HUNDRED|AND|AT|OF|BOX|P O|PO|POST|NAN|NONE|NULL|UNKNOWN)\b"
    r"|\d{5}$|  | NC$|\b(?:I|US|NC|SR)\d"
)


_RE_FAST_X = re.compile(r"^(?:(\d{1,6}) )?([A-Z][A-Z0-9 ]*[A-Z0-9])/([A-Z][A-Z0-9 ]*[A-Z0-9])$")


@lru_cache(maxsize=50_000)
def _street_key_cached(street_text: str) -> StreetKey | None:
    return _street_key(street_text.split(" "))


@lru_cache(maxsize=200_000)
def parse_address(text: str | None) -> ParsedAddress:
    """Parse one address text (never raises).

    Parameters
    ----------
    text
        Free text: an address, hundred-block, intersection, highway or place name.

    Returns
    -------
    ParsedAddress
        With ``status="invalid"`` and a reason for empty text, PO boxes and text with no street.
    """
    if text is None or not isinstance(text, str):
        return _invalid(str(text), "no address given (empty value)")
    raw = text
    m = _RE_FAST.match(text)
    if m is not None and _RE_SLOW.search(text) is None:
        # the common 911 form "1200 N DUKE ST": same result as the general path, faster
        key = _street_key_cached(m.group(2))
        if key is not None and not m.group(2)[0].isdigit():
            return ParsedAddress(raw=raw, kind="address", number=int(m.group(1)), street=key.full,
                                 street_key=key)  # fmt: skip
    if m is None and "/" in text:
        m = _RE_FAST_X.match(text)
        if m is not None and _RE_SLOW.search(text) is None:
            # the common 911 intersection form "100 A ST/B RD"
            k1 = _street_key_cached(m.group(2))
            k2 = _street_key_cached(m.group(3))
            if k1 is not None and k2 is not None:
                return ParsedAddress(
                    raw=raw, kind="intersection",
                    number=None if m.group(1) is None else int(m.group(1)), street=k1.full,
                    street_key=k1, street2=k2.full, street2_key=k2,
                )  # fmt: skip
    if not text.strip() or text.strip().upper() in ("NAN", "NONE", "NULL", "UNKNOWN", "N/A"):
        return _invalid(raw, "no address given (empty value)")
    t = _prepare(text)
    if _RE_POBOX.search(t):
        return _invalid(raw, "a PO box is a mailing address, not a location")
    t, city, state, zip_code = _strip_tail(t)
    if not t:
        return _invalid(raw, "no street in the text (only a city, state or ZIP)")
    if not re.search(r"[A-Z]", t):
        return _invalid(raw, f"no street name in {raw!r}")
    parts = [p for p in _RE_INTERSECT.split(t) if p.strip()]
    if len(parts) >= 2:
        n1, blk1, w1, notes = _number_and_street(parts[0].strip())
        w1, unit = _split_unit(w1)
        k1 = _street_key(w1)
        w2 = parts[1].strip().split(" ")
        if w2 and w2[0].isdigit() and len(w2) > 1 and _route(w2) is None:
            w2 = w2[1:]
        w2, _ = _split_unit(w2)
        k2 = _street_key(w2)
        if k1 is None or k2 is None:
            return _invalid(raw, f"cannot read an intersection of two streets in {raw!r}")
        return ParsedAddress(
            raw=raw, kind="intersection", number=n1, is_block=blk1, street=k1.full,
            street_key=k1, street2=k2.full, street2_key=k2, unit=unit, city=city, state=state,
            zip=zip_code, notes=notes,
        )  # fmt: skip
    number, is_block, words, notes = _number_and_street(t)
    words, unit = _split_unit(words)
    if number is None and words and words[0].isdigit() and _route(words) is None:
        return _invalid(raw, f"no street name after the number in {raw!r}")
    key = _street_key(words)
    if key is None:
        return _invalid(raw, f"no street name in {raw!r}")
    if number is None:
        looks_street = bool(key.suffix) or key.is_highway
        return ParsedAddress(
            raw=raw, kind="street" if looks_street else "place", street=key.full,
            street_key=key, unit=unit, city=city, state=state, zip=zip_code,
            place=" ".join(words), notes=notes,
        )  # fmt: skip
    kind = "block" if is_block else "address"
    return ParsedAddress(
        raw=raw, kind=kind, number=number, is_block=is_block, street=key.full, street_key=key,
        unit=unit, city=city, state=state, zip=zip_code, notes=notes,
    )  # fmt: skip

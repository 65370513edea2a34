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

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache

from geo_heart.geocode.ordinals import ORDINALS
from geo_heart.geocode.pub28 import DIRECTIONALS, STATES, SUFFIXES, UNIT_DESIGNATORS

log = logging.getLogger(__name__)

__all__ = [
    "ParsedAddress",
    "StreetKey",
    "parse_address",
    "street_key_from_text",
    "SUFFIXES",
    "DIRECTIONALS",
    "UNIT_DESIGNATORS",
    "STATES",
    "ORDINALS",
]


_ORDINALS = {k: v for k, v in ORDINALS.items() if " " not in k}
_ORDINAL_PAIRS = {tuple(k.split()): v for k, v in ORDINALS.items() if " " in k}
#: ``9TH`` → ``NINTH``: spelled names, so a misspelled ordinal (``NITNH``) still finds ``9TH``.
SPELLED_ORDINALS = {v: k for k, v in ORDINALS.items() if " " not in k}

# Words inside street names that people abbreviate.
_NAME_WORDS = {
    "MT": "MOUNT", "MTN": "MOUNTAIN", "FT": "FORT", "SAINT": "ST", "JUNIOR": "JR",
    "DOCTOR": "DR",
}  # fmt: skip

_UNIT_WORDS = set(UNIT_DESIGNATORS)
_DIRECTIONAL_STD = frozenset(DIRECTIONALS.values())
#: first words of two-word spelled ordinals; words a street name may have rewritten
_PAIR_FIRST = frozenset(a for a, _ in _ORDINAL_PAIRS)
_NAME_SPECIAL = frozenset(_ORDINALS) | frozenset(_NAME_WORDS) | {"MLK"}

_ROUTE_PREFIX = {
    "I": "I", "IH": "I", "INTERSTATE": "I", "US": "US", "USHWY": "US", "NC": "NC", "SR": "SR",
    "HWY": "HWY",
}  # fmt: skip


_RE_CLEAN = re.compile(r"[^A-Z0-9#/&@, \-]")
_RE_SPACE = re.compile(r"\s+")
_RE_ZIP = re.compile(r"\s(\d{5})(?:-\d{4})?$")
_RE_INTERSECT = re.compile(r"\s*(?:/|&|@|\bAND\b|\bAT\b)\s*")
_RE_ROUTE_GLUE = re.compile(r"\b(I|US|NC|SR)-?(\d+)\b")
_RE_NUM_RANGE = re.compile(r"\b(\d+)-(\d+)\b")
_RE_POBOX = re.compile(r"\b(P\s*O\s*BOX|POST OFFICE BOX|PO BOX|BOX \d+)\b")
_RE_HOUSE = re.compile(r"^(\d+)([A-Z]|-\d+|\s+1/2)?$")


class _Lazy:
    """A value computed on first access and then kept on the instance (no lock, unlike
    :func:`functools.cached_property` on Python 3.11)."""

    def __init__(self, fn) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


@dataclass(frozen=True, init=False)
class StreetKey:
    """A canonical street: ``predir name suffix postdir`` (``N DUKE ST``)."""

    predir: str
    name: str
    suffix: str
    postdir: str

    def __init__(self, predir: str, name: str, suffix: str, postdir: str) -> None:
        d = self.__dict__  # frozen: set once here, as the generated __init__ would (faster)
        d["predir"] = predir
        d["name"] = name
        d["suffix"] = suffix
        d["postdir"] = postdir
        d["full"] = " ".join([p for p in (predir, name, suffix, postdir) if p])
        d["memo_text"] = f"{predir}~{name}~{suffix}~{postdir}"

    @_Lazy
    def full(self) -> str:
        """The canonical full street (``N DUKE ST``)."""
        return " ".join(p for p in (self.predir, self.name, self.suffix, self.postdir) if p)

    @_Lazy
    def memo_text(self) -> str:
        """All four parts as one text (for memo keys)."""
        return f"{self.predir}~{self.name}~{self.suffix}~{self.postdir}"

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
    #: an intersection text naming more than two streets: the ones not used (named in the answer)
    extra_streets: tuple[str, ...] = field(default=())

    @property
    def key(self) -> str:
        """A key of everything matching depends on: inputs with the same key geocode the same."""
        k = self.street_key
        k1 = "" if k is None else k.memo_text
        kind = self.kind
        if kind == "address" or kind == "block":
            return f"{self.number}{'B' if self.is_block else ''}|{k1}"
        if kind == "intersection":
            extra = "/".join(self.extra_streets)
            return (
                f"X|{self.number if self.number is not None else ''}|{k1}/{_sk(self.street2_key)}"
                + (f"/+{extra}" if extra else "")
            )
        if kind in ("street", "place"):
            return f"{self.kind}|{k1}|{self.place or ''}"
        return f"!{self.reason}"


def _sk(k: StreetKey | None) -> str:
    return "" if k is None else k.memo_text


def _invalid(raw: str, reason: str) -> ParsedAddress:
    return ParsedAddress(raw=raw, kind="invalid", status="invalid", reason=reason)


def _prepare(text: str) -> str:
    t = text.upper().replace("\t", " ")
    t = t.replace(".", "").replace(",", " , ").replace("'", "")
    t = _RE_CLEAN.sub(" ", t)
    t = _RE_ROUTE_GLUE.sub(r"\1 \2", t)
    t = _RE_SPACE.sub(" ", t).strip()
    return t


_MULTI_STATES = sorted((tuple(k.split()) for k in STATES if " " in k), key=len, reverse=True)
#: The same by last word (in the same order): only those can end a text.
_MULTI_STATES_BY_LAST: dict[str, list[tuple[str, ...]]] = {}
for _words in _MULTI_STATES:
    _MULTI_STATES_BY_LAST.setdefault(_words[-1], []).append(_words)
_RE_FRACTION = re.compile(r"\b(\d+)[ -]+([13])/([248])\b")
_RE_DIGITISH = re.compile(r"^[0-9OIL]*[0-9][0-9OIL]*[A-Z]?$")
_DIGIT_FOR = str.maketrans("OIL", "011")


def _unit_value(word: str) -> bool:
    """True for what follows a unit designator: ``4``, ``4B``, ``B``, ``100-A``."""
    return len(word) == 1 or any(c.isdigit() for c in word)


def _state_at_end(words: list[str], *, strict: bool) -> int:
    """How many trailing words name a state (0 if none).

    With ``strict`` (no comma before it), a two-letter abbreviation that is also a street suffix
    or directional (``CT``, ``NE``) is not taken, nor one right after a number (``HWY 55 NC``).
    """
    for words_ in _MULTI_STATES_BY_LAST.get(words[-1], ()) if words else ():
        n = len(words_)
        if (len(words) > n or not strict) and tuple(words[-n:]) == words_:
            return n
    if len(words) >= 1 and words[-1] in STATES:
        w = words[-1]
        if not strict or len(words) == 1:
            return 1
        if w in SUFFIXES or w in DIRECTIONALS or w in _UNIT_WORDS or words[-2].isdigit():
            return 0
        return 1
    return 0


def _strip_tail(t: str) -> tuple[str, str | None, str | None, str | None, str | None]:
    """Split off city, state and ZIP (with or without commas) and a unit given as its own part.

    Returns (street text, city, state, zip, unit).
    """
    city = state = zip_code = unit = None
    m = _RE_ZIP.search(t)
    if m:
        zip_code = m.group(1)
        t = t[: m.start()].strip(" ,")
    parts = [p.strip() for p in t.split(" , ") if p.strip(" ,")]
    if not parts:
        return "", city, state, zip_code, unit
    # the part that holds the street: the first that starts with a number (or BLOCK), else the first
    head_i = next(
        (i for i, p in enumerate(parts) if p[:1].isdigit() or p.startswith(("BLOCK ", "BLK "))), 0
    )
    head = parts[head_i].split(" ")
    rest: list[str] = []
    for i, p in enumerate(parts):
        if i == head_i:
            continue
        words = p.split(" ")
        n = _state_at_end(words, strict=False)
        if n:
            state = STATES.get(" ".join(words[-n:]), state)
            words = words[:-n]
        if not words:
            continue
        if words[0] in _UNIT_WORDS or words[0].startswith("#"):
            unit = " ".join(w for w in words if w not in _UNIT_WORDS).lstrip("#").strip() or unit
        elif i > head_i and city is None:
            city = " ".join(words)
        elif i > head_i:
            rest.extend(words)
        # a part before the street that is not a unit (a place name): dropped
    if len(parts) == 1 or state is None:
        n = _state_at_end(head, strict=True)
        if n and len(head) - n >= 2:
            state = STATES.get(" ".join(head[-n:]))
            head = head[:-n]
    words = head + rest
    return " ".join(words).strip(" ,"), city, state, zip_code, unit


def _split_unit(words: list[str]) -> tuple[list[str], str | None]:
    """Remove unit designators and their values (``APT 3``, ``#3``, ``BLDG B``, ``REAR``).

    A designator that takes a number is removed with its value wherever it stands after the
    first word; one that takes none (``REAR``, ``UPPER``) only as the last word. A leading
    ``APT 4`` before the house number is removed too.
    """
    units: list[str] = []
    out: list[str] = []
    i = 0
    if len(words) > 2 and words[0] in UNIT_DESIGNATORS and UNIT_DESIGNATORS[words[0]]:
        if _unit_value(words[1]) and words[2][:1].isdigit():
            units.append(words[1])
            i = 2
    elif (
        len(words) > 1 and words[0].startswith("#") and len(words[0]) > 1 and words[1][:1].isdigit()
    ):
        units.append(words[0][1:])
        i = 1
    start = i
    while i < len(words):
        w = words[i]
        if i > start and w.startswith("#"):
            if len(w) > 1:
                units.append(w[1:])
                i += 1
                continue
            if i + 1 < len(words):
                units.append(words[i + 1])
                i += 2
                continue
        if i > start and w in UNIT_DESIGNATORS:
            if UNIT_DESIGNATORS[w]:
                if i + 1 < len(words) and _unit_value(words[i + 1]):
                    units.append(words[i + 1])
                    i += 2
                    continue
                if i + 1 < len(words) and words[i + 1] in ("#", "NO") and i + 2 < len(words):
                    units.append(words[i + 2])
                    i += 3
                    continue
            elif i == len(words) - 1 and i - start >= 2:
                units.append(w)
                i += 1
                continue
        out.append(w)
        i += 1
    return out, (" ".join(units) or None)


def _street_end(words: list[str], j: int) -> bool:
    """Whether a street can end at word ``j``: a suffix (``ST``), a route number (``NC 54``), or
    a directional right after one of those (``NC 54 HWY E``, ``I 85 N``)."""
    w = words[j]
    if w in SUFFIXES:
        return True
    if w.isdigit():
        return j >= 1 and words[j - 1] in _ROUTE_PREFIX
    if w in DIRECTIONALS and j >= 1:
        return words[j - 1] in SUFFIXES or (words[j - 1].isdigit() and j >= 2
                                            and words[j - 2] in _ROUTE_PREFIX)  # fmt: skip
    return False


def _split_city(words: list[str]) -> tuple[list[str], str | None]:
    """``W MAIN ST DURHAM`` → (``W MAIN ST``, ``DURHAM``): words after the street's end (its
    suffix, route number or their directional, :func:`_street_end`) that are not a suffix,
    directional or unit are a city written without a comma."""
    if len(words) < 3 or words[-1] in SUFFIXES or words[-1] in DIRECTIONALS:
        return words, None
    for j in range(len(words) - 2, 0, -1):
        if _street_end(words, j):
            tail = words[j + 1 :]
            if len(tail) <= 3 and all(
                w.isalpha() and w not in DIRECTIONALS and w not in SUFFIXES and w not in _UNIT_WORDS
                for w in tail
            ):
                return words[: j + 1], " ".join(tail)
            return words, None
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


def _route_key(pre: str, r: list[str]) -> StreetKey:
    post = r[-1] if r[-1] in _DIRECTIONAL_STD else ""
    core = r[:-1] if post else r
    has_hwy = core[-1] == "HWY"
    name = " ".join(core[:-1] if has_hwy else core)
    return StreetKey(pre, name, "HWY" if has_hwy else "", post)


def _street_key(words: list[str]) -> StreetKey | None:
    """Canonical street from its words (no house number)."""
    words = [w for w in words if w and w != "-" and w != "#"]
    if not words:
        return None
    pre = ""
    # A route can follow a predirectional ("E NC 54"); _route reads only words after a prefix.
    if len(words) > 1 and words[0] in DIRECTIONALS and words[1] in _ROUTE_PREFIX:
        r = _route(words[1:])
        if r is not None:
            return _route_key(DIRECTIONALS[words[0]], r)
    if words[0] in _ROUTE_PREFIX:
        r = _route(words)
        if r is not None:
            return _route_key("", r)
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
    if not _PAIR_FIRST.isdisjoint(words):
        for a in range(len(words) - 1):
            o = _ORDINAL_PAIRS.get((words[a], words[a + 1]))
            if o is not None:  # "TWENTY FIRST" -> "21ST"
                words = [*words[:a], o, *words[a + 2 :]]
                break
    if _NAME_SPECIAL.isdisjoint(words):
        name_words = words  # no word to rewrite (the common case)
    else:
        name_words = []
        for w in words:
            w = _ORDINALS.get(w, w)
            w = _NAME_WORDS.get(w, w)
            if w == "MLK":
                name_words.extend(["MARTIN", "LUTHER", "KING", "JR"])
                continue
            name_words.append(w)
    if "JR" in name_words:
        # "MARTIN LUTHER KING JR JR" from "MLK JR"
        name_words = list(name_words)
        for j in range(len(name_words) - 1, 0, -1):
            if name_words[j] == "JR" and name_words[j - 1] == "JR":
                del name_words[j]
    if name_words[:3] == ["MARTIN", "LUTHER", "KING"] and name_words[3:4] != ["JR"]:
        name_words = [*name_words[:3], "JR", *name_words[3:]]
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
    if words and len(words) > 1 and _RE_DIGITISH.match(words[0]) and not words[0].isdigit():
        fixed = words[0][:-1].translate(_DIGIT_FOR) + (
            words[0][-1].translate(_DIGIT_FOR) if words[0][-1] in "OIL" else words[0][-1]
        )
        if fixed[:1].isdigit() and fixed != words[0]:
            notes.append(f"house number {words[0]!r} read as {fixed!r} (letters typed for digits)")
            words = [fixed, *words[1:]]
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
    """The key of a plain street text for the fast paths; None when the text holds more than a
    street (a unit, a city or state after it), which the general path reads."""
    words = street_text.split(" ")
    if not _UNIT_WORDS.isdisjoint(words[1:]):
        return None
    if len(words) > 2 and _state_at_end(words, strict=True):
        return None
    if _split_city(words)[1] is not None:
        return None
    return _street_key(words)


@lru_cache(maxsize=100_000)
def _fast_street(street_text: str, before: str, after: str) -> StreetKey | None:
    """The key of one street of a fast-path text, or None when the general path must read it.

    ``before``/``after`` are what stands around the street in the text (`` `` before it, ``/``
    between two streets, nothing at the end), so that :data:`_RE_SLOW` sees exactly the
    boundaries it sees in the whole text (the house number before it never matches it).
    """
    if _RE_SLOW.search(f"{before}{street_text}{after}") is not None:
        return None
    return _street_key_cached(street_text)


def clear_parse_caches() -> None:
    """Empty every parse cache (for measuring cold parsing)."""
    _parse_address.cache_clear()
    _fast_street.cache_clear()
    _street_key_cached.cache_clear()


#: Longest address text that is parsed, characters; longer ones are ``invalid`` with a reason.
#: (No 911 address comes near it; the probabilistic parser's tokenizer is not linear in the
#: length: 40,000 characters took 35 s.)
MAX_ADDRESS_CHARS = 512


def parse_address(text: str | None) -> ParsedAddress:
    """Parse one address text (never raises).

    Parameters
    ----------
    text
        Free text: an address, hundred-block, intersection, highway or place name.

    Returns
    -------
    ParsedAddress
        With ``status="invalid"`` and a reason for empty text, PO boxes, text with no street and
        text longer than :data:`MAX_ADDRESS_CHARS`.
    """
    if text is None or not isinstance(text, str):
        return _invalid(str(text), "no address given (empty value)")
    if len(text) > MAX_ADDRESS_CHARS:  # refused before any parsing, and never cached
        return _invalid(
            text, f"the address is longer than {MAX_ADDRESS_CHARS} characters ({len(text):,})"
        )
    return _parse_address(text)


def numbered_address(text: str | None) -> tuple[int, str, StreetKey] | None:
    """``(number, street, street key)`` of a text :func:`parse_address` reads as a numbered
    address, else None: the same answer, without building (or caching) a
    :class:`ParsedAddress` for the common form (an index build reads every address point once).
    """
    if isinstance(text, str) and len(text) <= MAX_ADDRESS_CHARS:
        m = _RE_FAST.match(text)
        if m is not None:
            key = _fast_street(m.group(2), " ", "")
            if key is not None:
                return int(m.group(1)), key.full, key
    p = parse_address(text)
    if p.kind != "address" or p.number is None:
        return None
    return p.number, p.street, p.street_key


@lru_cache(maxsize=200_000)
def _parse_address(text: str) -> ParsedAddress:
    raw = text
    m = _RE_FAST.match(text)
    if m is not None:
        # the common 911 form "1200 N DUKE ST": same result as the general path, faster
        key = _fast_street(m.group(2), " ", "")
        if key is not None:
            # positional: raw, kind, number, is_block, street, street_key
            return ParsedAddress(raw, "address", int(m.group(1)), False, key.full, key)
    elif "/" in text:
        m = _RE_FAST_X.match(text)
        if m is not None:
            # the common 911 intersection form "100 A ST/B RD"
            k1 = _fast_street(m.group(2), " ", "/")
            k2 = None if k1 is None else _fast_street(m.group(3), "/", "")
            if k1 is not None and k2 is not None:
                if m.group(1) is None and (k2.full, k2.name) < (k1.full, k1.name):
                    k1, k2 = k2, k1
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
    out = _parse_general(raw, t)
    if out.status == "invalid" or (out.kind == "place" and any(c.isdigit() for c in t)):
        # the fast rules could not read it: ask the probabilistic parser (slower, rare)
        alt = _parse_usaddress(raw)
        if alt is not None:
            return alt
    return out


def _parse_general(raw: str, t: str) -> ParsedAddress:
    """The rule-based parse of prepared text ``t`` (upper case, punctuation cleaned)."""
    t, city, state, zip_code, unit0 = _strip_tail(t)
    notes0: list[str] = []
    m = _RE_FRACTION.search(t)
    if m is not None:
        notes0.append(f"fraction {m.group(2)}/{m.group(3)} after house number {m.group(1)} ignored")
        t = _RE_SPACE.sub(" ", t[: m.start()] + m.group(1) + t[m.end() :]).strip()
    if not t:
        return _invalid(raw, "no street in the text (only a city, state or ZIP)")
    if not re.search(r"[A-Z]", t):
        return _invalid(raw, f"no street name in {raw!r}")
    parts = [p for p in _RE_INTERSECT.split(t) if p.strip()]
    if len(parts) >= 2:
        w1, unit = _split_unit(parts[0].strip().split(" "))
        n1, blk1, w1, notes = _number_and_street(" ".join(w1))
        if city is None:
            w1, _ = _split_city(w1)
        k1 = _street_key(w1)
        w2 = parts[1].strip().split(" ")
        if w2 and w2[0].isdigit() and len(w2) > 1 and _route(w2) is None:
            w2 = w2[1:]
        w2, _ = _split_unit(w2)
        if city is None:
            w2, city = _split_city(w2)
        k2 = _street_key(w2)
        if k1 is None or k2 is None:
            return _invalid(raw, f"cannot read an intersection of two streets in {raw!r}")
        if n1 is None and (k2.full, k2.name) < (k1.full, k1.name):
            k1, k2 = k2, k1  # "A/B" and "B/A" are the same crossing: one canonical order
        extra = []
        for more in parts[2:]:  # "A & B & C": a crossing is of two streets; C is named back
            w3, _ = _split_unit(more.strip().split(" "))
            if city is None:
                w3, _ = _split_city(w3)
            k3 = _street_key(w3)
            extra.append(k3.full if k3 is not None else more.strip())
        if extra:
            notes = (*notes, f"more than two streets given: {', '.join(extra)} not used")
        return ParsedAddress(
            raw=raw, kind="intersection", number=n1, is_block=blk1, street=k1.full,
            street_key=k1, street2=k2.full, street2_key=k2, unit=unit or unit0, city=city,
            state=state, zip=zip_code, notes=(*notes0, *notes), extra_streets=tuple(extra),
        )  # fmt: skip
    words, unit = _split_unit(t.split(" "))
    number, is_block, words, notes = _number_and_street(" ".join(words))
    if city is None:
        words, city = _split_city(words)
    unit = unit or unit0
    notes = (*notes0, *notes)
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


def _parse_usaddress(raw: str) -> ParsedAddress | None:
    """Parse with the probabilistic ``usaddress`` tagger; None when it cannot help either."""
    from geo_heart.geocode.address_ua import parse_with_usaddress

    return parse_with_usaddress(raw)


parse_address.cache_clear = _parse_address.cache_clear  # type: ignore[attr-defined]

"""Text at the area's edges: the place an address names and the words a place match must cover.

* :func:`outside_reason`: an address naming another state, a neighbouring city, a ZIP outside the
  area or a word for a place outside it (``PIA``) → why it is ``outside`` ("Raleigh is not in
  this area"), from the area file's ``[addresses]`` (:class:`~geo_heart.config.areafile.AddressRules`).
* :func:`covering_keys`: place names holding every typed word (the one place-matching rule; a
  subset of a name's words never satisfies a longer text).

Pure functions over parsed addresses and result rows (in
:data:`~geo_heart.geocode.types.RESULT_COLUMNS` order); the geocoder (``match.py``) calls them.
"""

from __future__ import annotations

from geo_heart.config.areafile import AddressRules
from geo_heart.geocode.address import ParsedAddress

__all__ = ["covering_keys", "outside_reason"]


#: words a place name need not hold (``THE COUNTY JAIL`` is ``COUNTY JAIL``)
_ARTICLES = frozenset({"THE", "A", "AN"})


def covering_keys(text: str, keys: list[str]) -> list[str]:
    """The keys (place names, aliases) holding every word of ``text`` (each typed word equal to
    a word of the key, or a near spelling of one: ``fuzz.ratio`` ≥ 85 for words of 4 letters
    or more). Unlike ``token_set_ratio`` (under which any subset of a name scores 100), a typed
    word the key lacks rules the key out: ``N DUKE ST`` is not ``DUKE UNIVERSITY``. Articles
    (``THE COUNTY JAIL``) are not words that must be covered."""
    from rapidfuzz import fuzz

    words = [w for w in text.split() if w not in _ARTICLES] or text.split()
    if not words:
        return []
    out = []
    for key in keys:
        kw = key.split()
        if len(words) > len(kw):
            continue
        if all(
            w in kw or (len(w) >= 4 and any(len(x) >= 4 and fuzz.ratio(w, x) >= 85 for x in kw))
            for w in words
        ):
            out.append(key)
    return out


def _street_of(matched: str | None) -> str | None:
    """The street of a matched address (``3068 LAKE DR`` → ``LAKE DR``; ``100 block of X`` → X)."""
    if not matched:
        return None
    words = matched.split(" / ")[0].split(" ")
    if words and words[0].isdigit():
        words = words[1:]
    if words[:2] == ["block", "of"]:
        words = words[2:]
    return " ".join(words).split(" (")[0] or None


def _city_of(r: AddressRules, p: ParsedAddress) -> str | None:
    """The text's city, upper-case with spaces folded and aliases applied (None if not given)."""
    if not p.city:
        return r.city_aliases.get("", "") or None
    city = " ".join(p.city.upper().split())
    return r.city_aliases.get(city, city) or None


def _place_name(city: str | None, zip_code: str | None, key: str) -> str:
    """How an answer names a place: ``Cary (ZIP 27513)``, ``Raleigh``, ``ZIP 27514``."""
    if key == zip_code:
        return f"{city.title()} (ZIP {zip_code})" if city else f"ZIP {zip_code}"
    return key.title()


def outside_reason(r: AddressRules, p: ParsedAddress) -> str | None:
    """Why the text names a place outside the area (``"Raleigh is not in this area"``), or None.

    Checked in order: a state other than the area's; a neighbouring city (``outside_cities``,
    aliases applied) that does not reach into the area (``edge_units``); a ZIP not among the
    area's (nor an edge ZIP); a word naming a place outside (``outside_words``, as a word of the
    street, the crossing street, the place or the city part: ``…, PIA``).
    """
    if p.status != "ok" or not r:
        return None
    state = " ".join((p.state or "").upper().split())
    if state and r.states and state not in r.states:
        return f"{state} is not in this area (the area is in {', '.join(sorted(r.states))})"
    city = _city_of(r, p)
    if city and city in r.outside_cities and city not in r.edge_units:
        return f"{city.title()} is not in this area"
    z = p.zip
    if z and r.zip_codes and z not in r.zip_codes and z not in r.edge_units:
        return f"{_place_name(city, z, z)} is not in this area"
    if r.outside_words:
        text = " ".join(x for x in (p.street, getattr(p, "street2", None), p.place, p.city) if x)
        padded = f" {text.upper()} "
        words = _SORTED_WORDS.get(r.outside_words)
        if words is None:
            words = _SORTED_WORDS[r.outside_words] = tuple(
                f" {w} " for w in sorted(r.outside_words)
            )
        for w in words:
            if w in padded:
                return f"{w[1:-1]} is not in this area"
    return None


#: ``outside_words`` → its words in order, padded with spaces (made once per set)
_SORTED_WORDS: dict[frozenset[str], tuple[str, ...]] = {}


def _outside(why: str) -> tuple:
    """The result row of an address answered ``outside`` without a point."""
    return (None, None, None, None, False, "outside", 0.0, None, "outside", why,
            None, None, None, ())  # fmt: skip


def _with_reason(row: tuple, note: str) -> tuple:
    """The row with ``note`` added to its reason."""
    reason = f"{row[9]}; {note}" if row[9] else note
    return (*row[:9], reason, *row[10:])

"""The probabilistic fallback of :func:`~geo_heart.geocode.address.parse_address` (``usaddress``),
for text the rule-based reading cannot place (kept apart so the fast path stays small)."""

from __future__ import annotations

import logging

from geo_heart.geocode.address import (
    ParsedAddress,
    _number_and_street,
    _prepare,
    _street_key,
)

log = logging.getLogger(__name__)

#: usaddress labels that make up the street, in order.
_UA_STREET = (
    "StreetNamePreModifier", "StreetNamePreDirectional", "StreetNamePreType", "StreetName",
    "StreetNamePostType", "StreetNamePostDirectional", "StreetNamePostModifier",
)  # fmt: skip


def parse_with_usaddress(raw: str) -> ParsedAddress | None:
    """Parse with the probabilistic ``usaddress`` tagger; None when it cannot help either."""
    try:
        import usaddress
    except ImportError:  # pragma: no cover - a runtime dependency
        return None
    try:
        tags, kind = usaddress.tag(raw.upper())
    except usaddress.RepeatedLabelError:
        return None
    except Exception:  # noqa: BLE001 - a third-party parser must never break a row
        log.debug("usaddress could not tag %r", raw)
        return None
    street_words = " ".join(tags[k] for k in _UA_STREET if k in tags)
    if kind != "Street Address" or not street_words:
        return None
    key = _street_key(_prepare(street_words).split(" "))
    if key is None:
        return None
    number_text = _prepare(tags.get("AddressNumber", "")).split(" ")[0]
    number, _, _, notes = (
        _number_and_street(f"{number_text} X") if number_text else (None, 0, 0, ())
    )
    unit = tags.get("OccupancyIdentifier")
    zip_code = tags.get("ZipCode", "")[:5] or None
    state = tags.get("StateName")
    city = tags.get("PlaceName")
    notes = (*notes, "read by the probabilistic address parser (usaddress)")
    if number is None:
        return ParsedAddress(
            raw=raw, kind="street" if key.suffix or key.is_highway else "place",
            street=key.full, street_key=key, unit=unit, city=city, state=state, zip=zip_code,
            place=key.full, notes=notes,
        )  # fmt: skip
    return ParsedAddress(
        raw=raw, kind="address", number=number, street=key.full, street_key=key, unit=unit,
        city=city, state=state, zip=zip_code, notes=notes,
    )  # fmt: skip

"""Read an NG9-1-1 caller location from a PIDF-LO document (RFC 4119).

A PIDF-LO ``<presence>`` document carries the caller's location in ``gp:location-info``: a civic
address (``ca:civicAddress``, RFC 5139 / RFC 4776 fields) and/or a geodetic shape (RFC 5491, GML
and the ``gs`` GeoShape namespace): ``gml:Point``, ``gs:Circle``, ``gs:Ellipse``, ``gml:Polygon``
(and their 3D forms ``gs:Sphere``, ``gs:Ellipsoid`` and ``gs:Prism``, read by their footprint on
the ground). :func:`parse_pidf` returns a :class:`PidfLocation`.

Rules
    * Axis order follows the CRS: ``urn:ogc:def:crs:EPSG::4326`` (and the 3D ``EPSG::4979``) list
      **latitude first** (``gml:pos`` is "lat lon" or "lat lon height"); ``OGC:1.3:CRS84`` is
      longitude first. Any other ``srsName`` is refused, naming it.
    * Lengths carry a ``uom``: ``urn:ogc:def:uom:EPSG::9001`` metres, ``9002`` international feet,
      ``9003`` US survey feet, ``9036`` kilometres; angles ``9102`` degrees or ``9101`` radians. A
      missing or other unit is refused, naming it.
    * The document is parsed by ``defusedxml`` with DTDs, entity declarations and external
      references forbidden, after a size check (:data:`MAX_PIDF_BYTES`): the service takes it from
      the network.
    * Anything malformed is an :class:`~geo_heart.errors.InputError` of one line naming the
      element (``"PIDF-LO: gs:Circle has no gs:radius"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo_heart.errors import InputError
from geo_heart.geo.shapes import Shape

__all__ = ["CIVIC_FIELDS", "MAX_PIDF_BYTES", "PidfLocation", "civic_text", "parse_pidf", "read_pidf"]

#: Largest accepted document, bytes (a PIDF-LO with a civic address and a shape is about 2 KiB).
MAX_PIDF_BYTES = 64 * 1024

PIDF = "urn:ietf:params:xml:ns:pidf"
GP = "urn:ietf:params:xml:ns:pidf:geopriv10"
CA = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
GML = "http://www.opengis.net/gml"
GS = "http://www.opengis.net/pidflo/1.0"
_PREFIX = {PIDF: "", GP: "gp:", CA: "ca:", GML: "gml:", GS: "gs:"}

#: srsName → (numbers per position, latitude first)
SRS = {
    "urn:ogc:def:crs:EPSG::4326": (2, True),
    "urn:ogc:def:crs:EPSG::4979": (3, True),
    "http://www.opengis.net/def/crs/EPSG/0/4326": (2, True),
    "http://www.opengis.net/def/crs/EPSG/0/4979": (3, True),
    "urn:ogc:def:crs:OGC:1.3:CRS84": (2, False),
}
#: length uom → metres per unit
LENGTH_UOM = {
    "urn:ogc:def:uom:EPSG::9001": 1.0,
    "urn:ogc:def:uom:EPSG::9002": 0.3048,
    "urn:ogc:def:uom:EPSG::9003": 1200.0 / 3937.0,
    "urn:ogc:def:uom:EPSG::9036": 1000.0,
}
#: angle uom → degrees per unit
ANGLE_UOM = {
    "urn:ogc:def:uom:EPSG::9102": 1.0,
    "urn:ogc:def:uom:EPSG::9101": 180.0 / math.pi,
}

#: Civic fields read (RFC 5139), in the order they are written into the address text.
CIVIC_FIELDS = ("HNO", "HNS", "PRD", "RD", "STS", "POD", "A3", "A1", "PC", "LOC", "NAM", "country")


@dataclass(frozen=True)
class PidfLocation:
    """The location a PIDF-LO document gives.

    Attributes
    ----------
    shape
        The geodetic shape, or ``None`` when the document has only a civic address.
    shape_element
        The element it came from (``gs:Circle`` …).
    srs
        The shape's ``srsName``.
    civic
        The civic fields present (``{"HNO": "200", "RD": "Pacific", …}``).
    method
        ``gp:method`` (``GPS``, ``Cell``, ``Manual`` …) when given.
    """

    shape: Shape | None = None
    shape_element: str | None = None
    srs: str | None = None
    civic: dict[str, str] = field(default_factory=dict)
    method: str | None = None

    @property
    def civic_text(self) -> str | None:
        """The civic address as one geocoder line (``None`` without street fields)."""
        return civic_text(self.civic)

    def as_dict(self) -> dict[str, Any]:
        """The document's summary in a lookup result (``pidf``)."""
        return {
            "shape_element": self.shape_element,
            "srs": self.srs,
            "method": self.method,
            "civic": dict(self.civic),
            "civic_text": self.civic_text,
        }


def civic_text(civic: dict[str, str]) -> str | None:
    """``HNO HNS PRD RD STS POD, A3, A1 PC``: the civic fields as the geocoder reads an address.

    ``LOC`` (a unit, floor or room) and ``NAM`` (a place or resident name) are kept out of the
    line; :func:`geo_heart.dispatch.shape_lookup.lookup_pidf` reports them and tries ``NAM`` when
    the street address is not found.
    """
    g = {k: " ".join(v.split()) for k, v in civic.items() if v and v.strip()}
    street = " ".join(g[k] for k in ("PRD", "RD", "STS", "POD") if k in g)
    if not street:
        return None
    number = "".join(g[k] for k in ("HNO", "HNS") if k in g)
    parts = [f"{number} {street}".strip()]
    if "A3" in g:
        parts.append(g["A3"])
    tail = " ".join(g[k] for k in ("A1", "PC") if k in g)
    if tail:
        parts.append(tail)
    return ", ".join(parts)


def _name(el: Any) -> str:
    tag = el.tag if isinstance(el.tag, str) else str(el.tag)
    if tag.startswith("{"):
        ns, local = tag[1:].split("}", 1)
        return _PREFIX.get(ns, f"{{{ns}}}") + local
    return tag


def read_pidf(path: str | Path) -> bytes:
    """The bytes of a PIDF-LO file (size-checked; ``-`` reads standard input)."""
    from geo_heart.errors import DataSourceError

    if str(path) == "-":  # standard input
        import sys

        data = sys.stdin.buffer.read(MAX_PIDF_BYTES + 1)
        if len(data) > MAX_PIDF_BYTES:
            raise InputError(f"PIDF-LO on standard input is over the {MAX_PIDF_BYTES:,}-byte limit")
        return data
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_PIDF_BYTES:
            raise InputError(
                f"PIDF-LO file {p.name}: {size:,} bytes is over the {MAX_PIDF_BYTES:,}-byte limit"
            )
        return p.read_bytes()
    except OSError as exc:
        raise DataSourceError(f"PIDF-LO file {str(p)!r}: {exc.strerror or exc}") from None


def parse_pidf(data: str | bytes) -> PidfLocation:
    """Parse a PIDF-LO document (text or bytes) into a :class:`PidfLocation`.

    Raises
    ------
    InputError
        Over :data:`MAX_PIDF_BYTES`, not well-formed XML, a DTD or entity declaration, not a
        ``presence`` document, no ``gp:location-info``, a shape missing a part, an unknown CRS or
        unit, or coordinates out of range: one line naming the element.
    """
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_PIDF_BYTES:
        raise InputError(
            f"PIDF-LO: the document is {len(raw):,} bytes, over the {MAX_PIDF_BYTES:,}-byte limit"
        )
    if not raw.strip():
        raise InputError("PIDF-LO: the document is empty")
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(
            f"PIDF-LO: refused: {type(exc).__name__} (DTDs, entities and external references are "
            "not accepted)"
        ) from None
    except ParseError as exc:
        raise InputError(f"PIDF-LO: not well-formed XML ({exc})") from None
    if root.tag != f"{{{PIDF}}}presence":
        raise InputError(f"PIDF-LO: the root element is {_name(root)}, not presence ({PIDF})")
    infos = list(root.iter(f"{{{GP}}}location-info"))
    if not infos:
        raise InputError("PIDF-LO: no gp:location-info element (nothing says where the caller is)")
    method_el = next(root.iter(f"{{{GP}}}method"), None)
    method = None if method_el is None else ((method_el.text or "").strip() or None)
    shape: Shape | None = None
    shape_el = srs = None
    civic: dict[str, str] = {}
    for info in infos:
        for child in info:
            name = _name(child)
            if child.tag == f"{{{CA}}}civicAddress":
                if not civic:
                    civic = _civic(child)
            elif name.startswith(("gml:", "gs:")):
                if shape is None:
                    shape, srs = _shape(child)
                    shape_el = name
    if shape is None and not civic:
        raise InputError(
            "PIDF-LO: gp:location-info has neither a ca:civicAddress nor a shape "
            "(gml:Point, gs:Circle, gs:Ellipse, gml:Polygon)"
        )
    return PidfLocation(shape=shape, shape_element=shape_el, srs=srs, civic=civic, method=method)


def _civic(el: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for child in el:
        if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{CA}}}"):
            continue
        key = child.tag.split("}", 1)[1]
        text = " ".join((child.text or "").split())
        if key in CIVIC_FIELDS and text:
            out[key] = text
    return out


def _child(el: Any, ns: str, local: str) -> Any:
    found = el.find(f"{{{ns}}}{local}")
    if found is None:
        raise InputError(f"PIDF-LO: {_name(el)} has no {_PREFIX[ns]}{local}")
    return found


def _srs(el: Any) -> tuple[str, int, bool]:
    srs = el.get("srsName")
    if srs is None:
        raise InputError(f"PIDF-LO: {_name(el)} has no srsName (use urn:ogc:def:crs:EPSG::4326)")
    srs = srs.strip()
    if srs not in SRS:
        raise InputError(
            f"PIDF-LO: {_name(el)} srsName {srs!r} is not supported (use "
            "urn:ogc:def:crs:EPSG::4326, lat lon, or urn:ogc:def:crs:EPSG::4979, lat lon height)"
        )
    dims, lat_first = SRS[srs]
    return srs, dims, lat_first


def _numbers(el: Any) -> list[float]:
    text = (el.text or "").strip()
    try:
        vals = [float(v) for v in text.split()]
    except ValueError:
        raise InputError(f"PIDF-LO: {_name(el)} {text[:60]!r} is not a list of numbers") from None
    if not vals or not all(math.isfinite(v) for v in vals):
        raise InputError(f"PIDF-LO: {_name(el)} {text[:60]!r} has no finite numbers")
    return vals


def _positions(el: Any, srs: str, dims: int, lat_first: bool) -> list[tuple[float, float]]:
    """(lon, lat) pairs from a gml:pos or gml:posList, in the CRS's axis order."""
    vals = _numbers(el)
    order = "lat lon" if lat_first else "lon lat"
    if dims == 3:
        order += " height"
    if len(vals) % dims or (_name(el) == "gml:pos" and len(vals) != dims):
        raise InputError(
            f"PIDF-LO: {_name(el)} has {len(vals)} numbers; {srs} takes {dims} per position "
            f"({order})"
        )
    out = []
    for i in range(0, len(vals), dims):
        a, b = vals[i], vals[i + 1]
        lon, lat = (b, a) if lat_first else (a, b)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InputError(
                f"PIDF-LO: {_name(el)} position {a:g} {b:g} is out of range read as {order} ({srs})"
            )
        out.append((lon, lat))
    return out


def _measure(el: Any, units: dict[str, float], kind: str, default: str, known: str) -> float:
    """The number in ``el`` times the factor of its ``uom`` (one of ``units``)."""
    uom = el.get("uom")
    what = _name(el)
    if uom is None:
        raise InputError(f"PIDF-LO: {what} has no uom (use {default})")
    factor = units.get(uom.strip())
    if factor is None:
        raise InputError(f"PIDF-LO: {what} uom {uom!r} is not {kind} this reads ({known})")
    (value,) = _one(el)
    return value * factor


def _length(el: Any) -> float:
    value = _measure(
        el, LENGTH_UOM, "a length unit", "urn:ogc:def:uom:EPSG::9001, metres",
        "EPSG::9001 metres, 9002 feet, 9003 US survey feet, 9036 kilometres",
    )  # fmt: skip
    if not value > 0:
        raise InputError(f"PIDF-LO: {_name(el)} {value:g} is not a positive length")
    return value


def _angle(el: Any) -> float:
    value = _measure(
        el, ANGLE_UOM, "an angle unit", "urn:ogc:def:uom:EPSG::9102, degrees",
        "EPSG::9102 degrees, 9101 radians",
    )  # fmt: skip
    return value % 360.0


def _one(el: Any) -> list[float]:
    vals = _numbers(el)
    if len(vals) != 1:
        raise InputError(f"PIDF-LO: {_name(el)} should hold one number, not {len(vals)}")
    return vals


def _centre(el: Any) -> tuple[str, float, float]:
    srs, dims, lat_first = _srs(el)
    pos = el.find(f"{{{GML}}}pos")
    if pos is None:
        pos = el.find(f"{{{GML}}}Point/{{{GML}}}pos")  # some writers nest a gml:Point
    if pos is None:
        raise InputError(f"PIDF-LO: {_name(el)} has no gml:pos")
    ((lon, lat),) = _positions(pos, srs, dims, lat_first)
    return srs, lon, lat


def _ring(poly: Any, srs: str, dims: int, lat_first: bool) -> list[tuple[float, float]]:
    ext = _child(poly, GML, "exterior")
    ring = _child(ext, GML, "LinearRing")
    pos_list = ring.find(f"{{{GML}}}posList")
    if pos_list is not None:
        pts = _positions(pos_list, srs, dims, lat_first)
    else:
        pos = ring.findall(f"{{{GML}}}pos")
        if not pos:
            raise InputError("PIDF-LO: gml:LinearRing has no gml:posList or gml:pos")
        pts = [p for el in pos for p in _positions(el, srs, dims, lat_first)]
    if poly.find(f"{{{GML}}}interior") is not None:
        raise InputError("PIDF-LO: gml:Polygon has a gml:interior ring (RFC 5491 allows none)")
    if len(pts) < 4:
        raise InputError(
            f"PIDF-LO: gml:LinearRing has {len(pts)} positions; a ring needs at least 4 "
            "(the first repeated last)"
        )
    return pts


def _shape(el: Any) -> tuple[Shape, str]:
    """The shape of one geodetic element of a location-info, and its srsName."""
    name = _name(el)
    try:
        if name in ("gml:Point",):
            srs, lon, lat = _centre(el)
            return Shape("point", lon, lat), srs
        if name in ("gs:Circle", "gs:Sphere"):
            srs, lon, lat = _centre(el)
            r = _length(_child(el, GS, "radius"))
            return Shape("circle", lon, lat, radius_m=r), srs
        if name in ("gs:Ellipse", "gs:Ellipsoid"):
            srs, lon, lat = _centre(el)
            major = _length(_child(el, GS, "semiMajorAxis"))
            minor = _length(_child(el, GS, "semiMinorAxis"))
            turn = _angle(_child(el, GS, "orientation"))
            if minor > major:
                raise InputError(
                    f"PIDF-LO: {name} gs:semiMinorAxis ({minor:g} m) is longer than "
                    f"gs:semiMajorAxis ({major:g} m)"
                )
            return Shape(
                "ellipse", lon, lat, semi_major_m=major, semi_minor_m=minor, orientation_deg=turn
            ), srs
        if name in ("gml:Polygon", "gs:Prism"):
            poly = el
            if name == "gs:Prism":
                poly = _child(_child(el, GS, "base"), GML, "Polygon")
            srs, dims, lat_first = _srs(el if el.get("srsName") else poly)
            return Shape.polygon(_ring(poly, srs, dims, lat_first)), srs
    except InputError as exc:
        text = str(exc)
        raise InputError(text if text.startswith("PIDF-LO") else f"PIDF-LO: {name}: {text}") from None
    raise InputError(
        f"PIDF-LO: {name} is not a shape this reads (gml:Point, gs:Circle, gs:Ellipse, "
        "gml:Polygon, gs:Sphere, gs:Ellipsoid, gs:Prism)"
    )

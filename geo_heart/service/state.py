"""The lookup service's state: the area, its warmed indexes, and the lookup functions."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
import shapely

from geo_heart import __version__
from geo_heart.area import Area
from geo_heart.dispatch.eligibility import parse_time
from geo_heart.dispatch.lookup import lookup_point
from geo_heart.errors import GeoHeartError, InputError
from geo_heart.service.hardening import (
    scrub_paths,
)
from geo_heart.service.models import (
    _M_PER_DEG,
    PAGE_SIMPLIFY_M,
    SIMPLIFY_CHOICES_M,
    BatchRequest,
)

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# The service state
class LookupService:
    """What the app holds: the workspace, warmed indexes, and the lookup functions.

    Parameters
    ----------
    ws
        The workspace (area configuration and data folder).
    warm
        Load the beat index, distances and geocoder now (default) rather than on first use.
    """

    def __init__(self, ws: Area, *, warm: bool = True) -> None:
        self.ws = ws
        self.started = time.monotonic()
        self._geocoder: Any = None
        self._geocoder_error: str | None = None
        self._lookup_address: Callable[..., dict[str, Any]] | None = None
        if warm:
            self.warm()

    # -- loading
    def warm(self) -> None:
        """Load everything a request may need, so the first request is as fast as the rest."""
        t0 = time.perf_counter()
        index = self.ws.beat_index
        # an inside and an outside point: grid, call-type table, time zone and the projected
        # geometries used for nearest-beat distances are all loaded here
        x0, y0, x1, y1 = shapely.total_bounds(index.geoms)
        first = index.geoms[0].representative_point()
        lookup_point(self.ws, first.x, first.y, call_type=next(iter(self.ws.config.call_types)))
        lookup_point(self.ws, x1 + 0.5, y1 + 0.5)
        ready = self.geocoder_ready()
        for tolerance in (PAGE_SIMPLIFY_M, 0):
            self.beats_geojson(tolerance)
        log.info("lookup service warmed in %.2f s", time.perf_counter() - t0)
        if ready:
            # the crossing table (made on the first crossing asked for, or read from the
            # cache) is made beside the first requests, not before them
            threading.Thread(
                target=self._prepare_crossings, name="geo-heart-crossings", daemon=False
            ).start()

    def _prepare_crossings(self) -> None:
        """Make (or read) the geocoder's crossing table (in a background thread)."""
        t0 = time.perf_counter()
        try:
            self._geocoder.prepare_crossings()
        except Exception as exc:  # noqa: BLE001 - a crossing request makes it again (and says why)
            log.warning("crossing table not prepared in the background: %s", exc)
            return
        log.info("crossing table ready in %.2f s", time.perf_counter() - t0)

    def geocoder_ready(self) -> bool:
        """Load the geocoder if it is installed; True when address lookups are available."""
        if self._lookup_address is not None:
            return True
        if self._geocoder_error is not None:
            return False
        from geo_heart.dispatch.lookup import lookup_address
        from geo_heart.geocode.match import geocoder_for

        try:
            self._geocoder = geocoder_for(self.ws)
        except GeoHeartError as exc:
            self._geocoder_error = f"the geocoder could not be loaded: {exc}"
            log.error("address lookups unavailable: %s", self._geocoder_error)
            return False
        self._lookup_address = lookup_address
        return True

    # -- lookups
    def check_time(self, at: str | None) -> datetime | None:
        """Parse ``at`` once (ISO 8601; naive = area local time); ``None`` means now."""
        if at is None or not at.strip():
            return None
        try:
            return parse_time(at, self.ws.config.timezone)
        except (OverflowError, OSError, ValueError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"time {at!r} is out of range ({exc})") from None

    def lookup(
        self,
        *,
        address: str | None = None,
        lon: float | None = None,
        lat: float | None = None,
        call_type: str | None = None,
        at: str | None = None,
        risk: bool = False,
        scenario: str | None = None,
        radius_m: float | None = None,
    ) -> dict[str, Any]:
        """One lookup by address or by point (a circle of ``radius_m`` metres when given).

        Raises
        ------
        InputError
            Both or neither of address and lon/lat, a bad time, unknown call type or scenario,
            or an address that cannot be parsed.
        """
        has_point = lon is not None or lat is not None
        if address is not None and has_point:
            raise InputError("give either address or lon/lat, not both")
        if address is None and not has_point:
            raise InputError("give an address, or both lon and lat")
        when = self.check_time(at)
        call_type = call_type if call_type is None or call_type.strip() else None
        scenario = scenario if scenario is None or scenario.strip() else None
        if address is not None:
            if not address.strip():
                raise InputError("address is empty")
            if not self.geocoder_ready():
                raise AddressLookupUnavailable(self._geocoder_error or "no geocoder")
            assert self._lookup_address is not None
            return self._lookup_address(
                self.ws, address, call_type=call_type, at=when, risk=risk, scenario=scenario
            )
        if lon is None or lat is None:
            raise InputError(f"give both lon and lat (got lon={lon!r}, lat={lat!r})")
        if radius_m is not None:
            from geo_heart.dispatch.shape_lookup import lookup_shape
            from geo_heart.geo.shapes import Shape

            return lookup_shape(
                self.ws,
                Shape.circle(lon, lat, radius_m),
                call_type=call_type,
                at=when,
                risk=risk,
                scenario=scenario,
            )
        return lookup_point(
            self.ws, lon, lat, call_type=call_type, at=when, risk=risk, scenario=scenario
        )

    def lookup_pidf(
        self,
        document: bytes,
        *,
        call_type: str | None = None,
        at: str | None = None,
        risk: bool = False,
        scenario: str | None = None,
    ) -> dict[str, Any]:
        """One lookup for the caller location of a PIDF-LO document (parsed with defusedxml).

        A document with only a civic address needs the geocoder (else
        :class:`AddressLookupUnavailable`); a geodetic shape does not.
        """
        from geo_heart.dispatch.pidf import parse_pidf
        from geo_heart.dispatch.shape_lookup import lookup_pidf

        when = self.check_time(at)
        call_type = call_type if call_type is None or call_type.strip() else None
        scenario = scenario if scenario is None or scenario.strip() else None
        if parse_pidf(document).shape is None and not self.geocoder_ready():
            raise AddressLookupUnavailable(self._geocoder_error or "no geocoder")
        return lookup_pidf(
            self.ws, document, call_type=call_type, at=when, risk=risk, scenario=scenario
        )

    def lookup_batch(self, req: BatchRequest) -> dict[str, Any]:
        """Every item of a batch, in order; failures become rows with ``status="error"``."""
        results: list[dict[str, Any]] = []
        for i, item in enumerate(req.items):
            head: dict[str, Any] = {"index": i, "id": item.id}
            try:
                row = self.lookup(
                    address=item.address,
                    lon=item.lon,
                    lat=item.lat,
                    call_type=item.call_type if item.call_type is not None else req.call_type,
                    at=item.at if item.at is not None else req.at,
                    risk=item.weapon if item.weapon is not None else req.weapon,
                    scenario=item.scenario if item.scenario is not None else req.scenario,
                    radius_m=item.radius_m,
                )
            except (GeoHeartError, AddressLookupUnavailable) as exc:
                row = {"status": "error", "reason": scrub_paths(str(exc))}
            results.append({**head, **row})
        ok = sum(1 for r in results if r.get("beat") is not None)
        errors = sum(1 for r in results if r.get("status") == "error")
        return {"count": len(results), "ok": ok, "errors": errors, "results": results}

    # -- reference data
    @lru_cache(maxsize=len(SIMPLIFY_CHOICES_M))  # noqa: B019 - one service per app
    def beats_geojson(self, simplify_m: int) -> bytes:
        """The dissolved beats as GeoJSON bytes (cached per tolerance)."""
        if simplify_m not in SIMPLIFY_CHOICES_M:
            raise InputError(
                f"simplify_m={simplify_m!r} is not offered; use one of {list(SIMPLIFY_CHOICES_M)}"
            )
        return beats_geojson_from_workspace(self.ws, simplify_m=simplify_m).encode("utf-8")

    def area_summary(self) -> dict[str, Any]:
        """Area name, time zone, service areas, programs and call types (for the page)."""
        area = self.ws.config
        beats = self.ws.beat_index.beats
        return {
            "name": area.name,
            "timezone": area.timezone,
            "service_name": area.service_name,
            "labels": area.beats.labels,
            "default_service_area": area.default_service_area,
            "service_areas": {
                k: {"label": sa.label, "beats": sa.resolve(beats)}
                for k, sa in area.service_areas.items()
            },
            "programs": [
                {
                    "code": p.code,
                    "name": p.name,
                    "description": p.description,
                    "service_area": p.service_area,
                    "hours": p.hours.describe(),
                    "call_types": sorted(p.call_types),
                    "risk_call_types": sorted(p.risk_call_types),
                }
                for p in area.programs.values()
            ],
            "call_types": [
                {"key": ct.key, "label": ct.label, "codes": list(ct.codes)}
                for ct in area.call_types.values()
            ],
            "scenarios": {k: s.label for k, s in area.scenarios.items()},
            "rules_in_force": self._rules_now(),
            "rules": [r.as_dict() for r in area.timeline.rule_sets],
        }

    def _rules_now(self) -> dict[str, Any]:
        """The rule set in force now (area time zone), its service area and programs' hours."""
        from geo_heart.config.clock import now_local

        area = self.ws.config
        now = now_local(area.timezone)
        period = area.rules_at(now)
        sa = area.service_area_under(period.rule_set)
        return {
            **period.rule_set.as_dict(),
            "service_area": None if sa is None else sa.key,
            "programs": {
                c: {"active": p.active, "service_area": p.service_area, "hours": p.hours.describe()}
                for c, p in period.programs.items()
            },
        }

    def health(self) -> dict[str, Any]:
        """Liveness, version, beats and whether address lookups are available."""
        return {
            "status": "ok",
            "version": __version__,
            "area": self.ws.config.name,
            "beats": len(self.ws.beat_index.beats),
            "geocoder": self._lookup_address is not None,
            "geocoder_error": self._geocoder_error,
            "uptime_s": round(time.monotonic() - self.started, 1),
        }


class AddressLookupUnavailable(Exception):
    """Address lookups were asked for but the geocoder is not available (answered with 503)."""


def beats_geojson_from_workspace(ws: Area, *, simplify_m: float = 0.0) -> str:
    """The dissolved beats as GeoJSON FeatureCollection text (WGS84, 6 decimals).

    Each feature has ``beat``, ``district``, ``in_service_area`` (the service area under the
    rules in force when the service started; the default one if no program is in force),
    ``service_areas`` and ``programs`` (keys/codes whose area contains the beat), ``special`` (a
    label for special codes such as 999, else ``null``) and ``label_lon``/``label_lat`` (a point
    inside the beat for a label). The text is assembled from GEOS's GeoJSON writer without a
    round trip through Python objects (~0.1 s for the 67,000 vertices of Durham's beats).

    Parameters
    ----------
    simplify_m
        Douglas-Peucker tolerance in metres (0 keeps every vertex); topology of each beat is kept.
    """
    index = ws.beat_index
    area = ws.config
    geoms = index.geoms
    if simplify_m > 0:
        geoms = shapely.simplify(geoms, simplify_m / _M_PER_DEG, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, 6))
    texts = shapely.to_geojson(geoms)
    labels = shapely.point_on_surface(index.geoms)
    sa_now = area.service_area_now() or area.service_area
    features = []
    for beat, text, label in zip(index.beats, texts.tolist(), labels, strict=True):
        special = area.beats.special.get(beat)
        props = {
            "beat": beat,
            "district": index.district_of(beat),
            "in_service_area": sa_now.contains(beat),
            "service_areas": [k for k, sa in area.service_areas.items() if sa.contains(beat)],
            "programs": [
                p.code
                for p in area.programs.values()
                if area.service_areas[p.service_area].contains(beat)
            ],
            "special": special.label if special else None,
            "label_lon": round(label.x, 6),
            "label_lat": round(label.y, 6),
        }
        features.append(
            '{"type":"Feature","properties":'
            + json.dumps(props, ensure_ascii=False, separators=(",", ":"))
            + ',"geometry":'
            + text
            + "}"
        )
    bbox = [round(float(v), 6) for v in shapely.total_bounds(index.geoms)]
    head = json.dumps(
        {"type": "FeatureCollection", "bbox": bbox, "service_area": area.default_service_area},
        separators=(",", ":"),
    )
    return head[:-1] + ',"features":[' + ",".join(features) + "]}"

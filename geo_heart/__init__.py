"""geo-heart: planning and running alternative 911 crisis response.

The one import most users need::

    import geo_heart as gh

    area = gh.Area.load("durham")          # the durham area file + the data folder
    area.lookup("200 PACIFIC AVE", call_type="trespass", at="2024-06-01T11:00").beat
    area.lookup(lon=-78.89055, lat=36.00169, call_type="trespass")    # a LookupResult
    area.beats                             # GeoDataFrame of the beats
    area.geocode(df, address="ADDRESS")    # GeoDataFrame: df's columns + results + points
    area.assign(points_gdf)                # GeoDataFrame: + beat, district, in_service_area …
    area.assign(df)                        # a DataFrame with lon/lat: the same columns added
    calls = area.load_calls()              # [layers.calls] of the area file
    area.with_geometry(area.demand(calls)) # per-beat tables join to the beat polygons
    area.coverage(calls, scenarios=["around_the_clock"])
    area.expand(calls); area.staffing("CRT", calls, target=0.8); area.map(calls).save("m.html")

Sub-packages, data flowing one way (configuration → indexes → lookups and analyses → rendering →
CLI and service):

- :mod:`geo_heart.config` — settings, the area file, weekly hours, the call-type table.
- :mod:`geo_heart.geo` — the beat index, point-to-beat assignment, road networks.
- :mod:`geo_heart.geocode` — address parsing, the reference index, matching, batch geocoding.
- :mod:`geo_heart.dispatch` — eligibility rules and the dispatch lookup.
- :mod:`geo_heart.analysis` — calls, demand, coverage, hot spots.
- :mod:`geo_heart.expansion` — what to add next (beats, hours, areas).
- :mod:`geo_heart.render` — maps, figures, reports.
- :mod:`geo_heart.service` — the HTTP service; :mod:`geo_heart.cli` — the command line.

Names are imported lazily, so ``import geo_heart`` (and ``geo-heart --help``) stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name → module that defines it
_EXPORTS = {
    "Area": "geo_heart.area",
    "Settings": "geo_heart.config.settings",
    "AreaConfig": "geo_heart.config.areafile",
    "load_area": "geo_heart.config.areafile",
    "BeatIndex": "geo_heart.geo.beats",
    "CallData": "geo_heart.analysis.calls",
    "LookupResult": "geo_heart.dispatch.result",
    "GeoHeartError": "geo_heart.errors",
    "ConfigError": "geo_heart.errors",
    "DataSourceError": "geo_heart.errors",
    "InputError": "geo_heart.errors",
    "AddressError": "geo_heart.errors",
    "CallTypeError": "geo_heart.errors",
    "CRSError": "geo_heart.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'geo_heart' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

"""geo-heart: planning and running alternative 911 crisis response.

The package is organised one flat module per concern:

- :mod:`geo_heart.config.settings` — data folder, area configuration, cache folder.
- :mod:`geo_heart.config.areafile` — loads and validates an area file from ``boundaries/``.
- :mod:`geo_heart.config.calltypes` — raw CAD codes to canonical call types.
- :mod:`geo_heart.config.schedule` — weekly service hours.
- :mod:`geo_heart.geo.beats` — the beat index (point to beat, single and vectorised).
- :mod:`geo_heart.dispatch.eligibility` — which program may take a call, and why not.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

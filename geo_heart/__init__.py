"""geo-heart: planning and running alternative 911 crisis response.

The package is organised one flat module per concern:

- :mod:`geo_heart.settings` — data folder, area configuration, cache folder.
- :mod:`geo_heart.config` — loads and validates an area file from ``boundaries/``.
- :mod:`geo_heart.calltypes` — raw CAD codes to canonical call types.
- :mod:`geo_heart.schedule` — weekly service hours.
- :mod:`geo_heart.beats` — the beat index (point to beat, single and vectorised).
- :mod:`geo_heart.eligibility` — which program may take a call, and why not.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

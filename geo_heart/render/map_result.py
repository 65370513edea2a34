"""The typed answer of ``Area.map``: the folium map, the layer it draws, and an offline save."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class DemandMap:
    """An interactive demand map.

    Attributes
    ----------
    map
        The ``folium.Map`` (add layers, or show it in a notebook).
    layer
        The per-beat GeoDataFrame it draws (EPSG:4326): :func:`geo_heart.analysis.demand.beat_demand`
        joined to the beat polygons on ``beat``.
    metric, column
        The choropleth's metric (``rate``, ``count``, ``density``) and its column of ``layer``.
    """

    map: Any
    layer: Any
    metric: str
    column: str

    def html(self) -> str:
        """Self-contained HTML: every script and stylesheet inlined, no network reference."""
        from geo_heart.render.maps import html_from_map

        return html_from_map(self.map, inline_assets=True)

    def save(self, path: str | Path) -> Path:
        """Write :meth:`html` to ``path`` (atomically); return the path."""
        from geo_heart.io.files import atomic_write

        path = Path(path)
        text = self.html()
        with atomic_write(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:  # Jupyter shows the map itself
        return self.map._repr_html_()

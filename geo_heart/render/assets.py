"""Offline web assets for the interactive maps.

Every script and stylesheet a folium map needs comes from a pip dependency: Leaflet from
``xstatic-leaflet`` (BSD-2-Clause, the same Leaflet version folium targets) and folium's own
bundled heat-map plugin (``folium/templates/leaflet_heat.min.js``). :func:`make_offline` rewrites
the asset lists (``default_js`` / ``default_css``) of every folium element in a map to ``data:``
URLs of those local files, so the rendered HTML is one self-contained file that never touches the
network, whatever folium's template looks like. folium's output is never edited afterwards.

Assets folium lists that these maps do not use (jQuery, Bootstrap, Font Awesome, awesome-markers)
are dropped. An asset this module does not know (for example one a future folium adds) is an
error, not a silent network reference: :class:`OfflineAssetError` names it.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path

from geo_heart.errors import GeoHeartError

#: folium asset names → (where the local file comes from, file name)
LOCAL_ASSETS: dict[str, tuple[str, str]] = {
    "leaflet": ("leaflet", "leaflet.js"),
    "leaflet_css": ("leaflet", "leaflet.css"),
    "leaflet-heat.js": ("folium", "leaflet_heat.min.js"),
}
#: folium asset names that only serve features these maps never use (marker icons, Bootstrap
#: popups); dropping them keeps the file small and offline.
UNUSED_ASSETS = frozenset(
    {
        "jquery",
        "bootstrap",
        "awesome_markers",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)
_MIME = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml"}


class OfflineAssetError(GeoHeartError, RuntimeError):
    """A map needs a web asset that geo-heart cannot provide offline."""


def leaflet_dir() -> Path:
    """The folder holding ``leaflet.js``, ``leaflet.css`` and ``images/`` (xstatic-leaflet)."""
    try:
        from xstatic.pkg import leaflet
    except ImportError as exc:  # pragma: no cover - broken install
        raise OfflineAssetError(
            "the xstatic-leaflet package is missing: pip install xstatic-leaflet"
        ) from exc
    return Path(leaflet.BASE_DIR)


def asset_path(name: str) -> Path:
    """Local file for a folium asset name in :data:`LOCAL_ASSETS`."""
    origin, filename = LOCAL_ASSETS[name]
    if origin == "leaflet":
        return leaflet_dir() / filename
    import folium

    return Path(folium.__file__).parent / "templates" / filename


@functools.lru_cache(maxsize=16)
def data_url(path: str) -> str:
    """A ``data:`` URL holding a file (base64)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:  # pragma: no cover - broken install
        raise OfflineAssetError(f"map asset {str(p)!r} cannot be read: {exc}") from exc
    mime = _MIME.get(p.suffix, "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def _offline_list(owner, assets) -> list[tuple[str, str]]:
    out = []
    for name, url in assets:
        if name in UNUSED_ASSETS:
            continue
        if name in LOCAL_ASSETS:
            out.append((name, data_url(str(asset_path(name)))))
        elif str(url).startswith("data:"):
            out.append((name, url))
        else:
            raise OfflineAssetError(
                f"map element {type(owner).__name__} needs web asset {name!r} ({url}), which "
                f"geo-heart has no offline copy of; known: {sorted(LOCAL_ASSETS)}"
            )
    return out


def _walk(element):
    yield element
    for child in list(getattr(element, "_children", {}).values()):
        yield from _walk(child)


def make_offline(m):
    """Point every folium element's asset lists in ``m``'s figure at local ``data:`` URLs.

    Sets ``default_js`` and ``default_css`` on each element instance (the class lists, shared by
    every map in the process, are left alone). Returns ``m``.

    Raises
    ------
    OfflineAssetError
        An element lists a web asset with no local copy.
    """
    from folium.elements import JSCSSMixin

    for el in _walk(m.get_root()):
        if isinstance(el, JSCSSMixin):
            el.default_js = _offline_list(el, el.default_js)
            el.default_css = _offline_list(el, el.default_css)
    return m

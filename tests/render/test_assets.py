"""Maps are self-contained: folium's asset lists point at local files from pip dependencies."""

from __future__ import annotations

import re

import pytest

#: a script/stylesheet/image that the browser would fetch from the network
NETWORK_REF = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def _toy_map():
    import folium
    from folium.plugins import HeatMap

    m = folium.Map(location=[36.0, -78.9], zoom_start=11, tiles=None, prefer_canvas=True)
    folium.GeoJson(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"beat": "A"},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [
                            [[-78.9, 36.0], [-78.8, 36.0], [-78.8, 36.1], [-78.9, 36.0]]
                        ],
                    },
                }
            ],
        },
        tooltip=folium.GeoJsonTooltip(fields=["beat"]),
    ).add_to(m)
    HeatMap([[36.0, -78.9, 1.0]]).add_to(m)
    folium.LayerControl().add_to(m)
    return m


def test_rendered_map_has_no_network_reference():
    import folium

    from geo_heart.render.maps import html_from_map

    class_js = list(folium.Map.default_js)
    text = html_from_map(_toy_map())
    assert not NETWORK_REF.search(text), NETWORK_REF.search(text)
    srcs = re.findall(r'<script src="([^"]+)"', text)
    hrefs = re.findall(r'<link rel="stylesheet" href="([^"]+)"', text)
    # Leaflet, its stylesheet and the heat plugin are there, as data: URLs
    assert len(srcs) == 2 and len(hrefs) == 1
    assert all(u.startswith("data:text/javascript;base64,") for u in srcs)
    assert hrefs[0].startswith("data:text/css;base64,")
    assert "L.heatLayer" in text and "L.geoJson" in text
    # folium's class-level lists are untouched (other maps in the process keep their defaults)
    assert folium.Map.default_js == class_js


def test_cdn_mode_keeps_folium_links():
    from geo_heart.render.maps import html_from_map

    assert NETWORK_REF.search(html_from_map(_toy_map(), inline_assets=False))


def test_leaflet_comes_from_a_pip_package():
    from geo_heart.render.assets import asset_path, data_url

    js = asset_path("leaflet")
    assert "site-packages" in str(js) or "dist-packages" in str(js)
    assert "/usr/share/javascript" not in str(js)
    import base64

    head = base64.b64decode(data_url(str(js)).split(",", 1)[1])[:200].decode()
    assert "Leaflet" in head


def test_unknown_web_asset_is_an_error_not_a_network_reference():
    from folium.elements import JSCSSMixin

    from geo_heart.render.assets import OfflineAssetError, make_offline

    class NewPlugin(JSCSSMixin):
        default_js = [("shiny", "https://cdn.example/shiny.js")]

    m = _toy_map()
    NewPlugin().add_to(m)
    with pytest.raises(OfflineAssetError, match="'shiny'"):
        make_offline(m)

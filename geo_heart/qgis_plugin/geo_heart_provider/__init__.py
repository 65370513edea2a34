"""geo-heart Processing provider for QGIS (a plugin; imports only QGIS)."""


def classFactory(iface):  # noqa: N802 - the name QGIS calls
    """QGIS plugin entry point."""
    from .plugin import GeoHeartProviderPlugin

    return GeoHeartProviderPlugin()

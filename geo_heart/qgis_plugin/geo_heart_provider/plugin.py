"""The plugin: registers the provider in QGIS's Processing registry."""

from qgis.core import QgsApplication

from .provider import GeoHeartProvider


class GeoHeartProviderPlugin:
    """Adds the geo-heart provider (also in ``qgis_process``, which calls ``initProcessing``)."""

    def __init__(self):
        self.provider = None

    def initProcessing(self):  # noqa: N802 - QGIS API
        self.provider = GeoHeartProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 - QGIS API
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)

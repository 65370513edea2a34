"""The Processing provider: its settings (the ``geo-heart`` executable, a default area and data
folder) and its algorithms."""

import shutil

from qgis.core import QgsProcessingProvider

#: Processing settings (Settings → Options → Processing → Providers → geo-heart)
EXECUTABLE = "GEO_HEART_EXECUTABLE"
AREA = "GEO_HEART_AREA"
DATA = "GEO_HEART_DATA"


def _config():
    try:
        from processing.core.ProcessingConfig import ProcessingConfig, Setting
    except ImportError:  # pragma: no cover - the processing plugin ships with QGIS
        return None, None
    return ProcessingConfig, Setting


def setting(name, default=None):
    """A provider setting (the ProcessingConfig value, else QgsSettings, else ``default``)."""
    config, _ = _config()
    value = None
    if config is not None:
        try:
            value = config.getSetting(name)
        except Exception:  # noqa: BLE001 - a setting not yet registered
            value = None
    if not value:
        from qgis.core import QgsSettings

        value = QgsSettings().value(f"Processing/Configuration/{name}", None)
    return value or default


def executable():
    """The ``geo-heart`` command: the provider setting, else the one found on PATH."""
    return setting(EXECUTABLE) or shutil.which("geo-heart") or "geo-heart"


class GeoHeartProvider(QgsProcessingProvider):
    """geo-heart algorithms, each running the geo-heart command line."""

    def load(self):
        config, setting_cls = _config()
        if config is not None:
            config.settingIcons[self.name()] = self.icon()
            config.addSetting(
                setting_cls(
                    self.name(),
                    EXECUTABLE,
                    "geo-heart executable",
                    shutil.which("geo-heart") or "geo-heart",
                    valuetype=setting_cls.FILE,
                )
            )
            config.addSetting(
                setting_cls(
                    self.name(),
                    AREA,
                    "Default area (name or area file; empty: geo-heart's default)",
                    "",
                )
            )
            config.addSetting(
                setting_cls(
                    self.name(),
                    DATA,
                    "Default data folder (empty: the area file's)",
                    "",
                    valuetype=setting_cls.FOLDER,
                )
            )
            config.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self):
        config, _ = _config()
        if config is not None:
            for name in (EXECUTABLE, AREA, DATA):
                config.removeSetting(name)

    def loadAlgorithms(self):  # noqa: N802 - QGIS API
        from .algorithms import ALGORITHMS

        for cls in ALGORITHMS:
            self.addAlgorithm(cls())

    def id(self):
        return "geo_heart"

    def name(self):
        return "geo-heart"

    def longName(self):  # noqa: N802 - QGIS API
        return "geo-heart (alternative 911 crisis response)"

    def defaultVectorFileExtension(self, hasGeometry=True):  # noqa: N802, N803 - QGIS API
        return "gpkg"

    def supportedOutputVectorLayerExtensions(self):  # noqa: N802 - QGIS API
        return ["gpkg", "parquet", "fgb", "shp", "geojson", "csv", "tsv"]

    def supportsNonFileBasedOutput(self):  # noqa: N802 - QGIS API
        return False

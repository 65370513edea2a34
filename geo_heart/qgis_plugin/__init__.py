"""The geo-heart QGIS Processing provider, shipped inside the package as a QGIS plugin.

``geo_heart_provider/`` is a QGIS plugin (its ``metadata.txt`` says ``hasProcessingProvider=yes``):
its algorithms (``geo_heart:geocode``, ``geo_heart:assign``, ``geo_heart:lookup``,
``geo_heart:demand``, ``geo_heart:coverage``, ``geo_heart:equity``) run the ``geo-heart`` command
line, as GDAL's provider runs ``gdal_*``. It imports only QGIS, never ``geo_heart``, and nothing
in ``geo_heart`` imports it (an import-linter contract in pyproject.toml): ``geo-heart qgis
install`` (``geo_heart/cli/qgis.py``) only copies the folder into a QGIS profile. See docs/qgis.md.
"""

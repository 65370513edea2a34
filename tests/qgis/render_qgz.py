"""Open a .qgz with PyQGIS (headless) and print what QGIS read as JSON; with a second argument,
render the visible layers at the project's default view to that PNG. Run by Debian's python3
(python3-qgis) from tests/qgis/test_qgis_project.py."""

import json
import sys

from qgis.core import QgsApplication, QgsMapRendererParallelJob, QgsMapSettings, QgsProject
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

app = QgsApplication([], False)
app.initQgis()
project = QgsProject.instance()
res = {"read": project.read(sys.argv[1]), "crs": project.crs().authid(), "layers": {}}
visible = []
for node in project.layerTreeRoot().findLayers():
    layer = node.layer()
    res["layers"][node.name()] = {
        "valid": layer.isValid(),
        "features": layer.featureCount(),
        "renderer": layer.renderer().type() if layer.renderer() else None,
        "visible": node.isVisible(),
        "source": layer.source(),
    }
    if node.isVisible():
        visible.append(layer)
extent = project.viewSettings().defaultViewExtent()
res["view"] = [extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()]
if len(sys.argv) > 2:
    settings = QgsMapSettings()
    settings.setLayers(visible)
    settings.setDestinationCrs(project.crs())
    settings.setExtent(extent)
    settings.setOutputSize(QSize(600, 600))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(sys.argv[2], "png")
print(json.dumps(res))
app.exitQgis()

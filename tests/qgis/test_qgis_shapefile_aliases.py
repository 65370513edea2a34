"""QGIS shows a Shapefile's full result column names: it loads ``<name>.qml`` (field aliases)
by itself with the layer (``geo_heart/io/shapefile.py``)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pandas as pd
import pytest
from qgis_support import system_python_with_qgis

from geo_heart.io.vector import check_output, write_vector

READ = """
import json, sys
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False); app.initQgis()
layer = QgsVectorLayer(sys.argv[1], "r", "ogr")
print(json.dumps({"valid": layer.isValid(), "aliases": {f.name(): layer.attributeAlias(i)
                  for i, f in enumerate(layer.fields())}}))
"""


@pytest.mark.slow
def test_qgis_reads_the_full_names_of_a_shapefiles_results(qgis_home, tmp_path):
    py = system_python_with_qgis()
    if py is None:
        pytest.skip("python3-qgis is not installed (make qgis)")
    rows = pd.DataFrame({"id": ["a", "b"], "lon": [-78.9, np.nan], "lat": [36.0, np.nan],
                         "in_service_area": [True, None], "reason": ["word " * 80 + "end", ""]})  # fmt: skip
    write_vector(rows, check_output(tmp_path / "r.shp"), input_columns=["id", "lon", "lat"])
    run = subprocess.run([py, "-c", READ, str(tmp_path / "r.shp")], env=qgis_home["env"],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["valid"]
    assert got["aliases"]["in_service"] == "in_service_area"
    assert got["aliases"]["reason2"] == "reason (part 2)"
    assert got["aliases"]["id"] == "id"

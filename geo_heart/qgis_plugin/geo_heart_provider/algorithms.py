"""The algorithms: each builds a ``geo-heart`` command line from its parameters and runs it.

Input layers that ``geo-heart`` can read as they are (a CSV, Parquet, GeoPackage, Shapefile …
file opened through OGR, without a filter) are passed by path, so their text is read exactly as
the command line reads it; any other layer (a delimited-text layer, a memory layer, a filtered
one) is first written to a temporary GeoPackage. Outputs are files that QGIS loads, with the
project's styles.
"""

import json
import os
import subprocess
import tempfile

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputString,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterPoint,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
    QgsProcessingParameterVectorLayer,
    QgsVectorFileWriter,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant

from .provider import AREA, DATA, executable, setting

HERE = os.path.dirname(__file__)
#: files geo-heart reads as they are
READABLE = {".csv", ".tsv", ".txt", ".parquet", ".gpkg", ".shp", ".geojson", ".json", ".fgb"}


def style_path(name):
    """A .qml shipped with the plugin (``styles/<name>.qml``)."""
    return os.path.join(HERE, "styles", f"{name}.qml")


class LoadStyle(QgsProcessingLayerPostProcessorInterface):
    """Applies a .qml to an output layer when QGIS loads it."""

    keep = []  # QGIS holds only a pointer: keep the Python objects alive

    def __init__(self, qml):
        super().__init__()
        self.qml = qml

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 - QGIS API
        if layer is not None and os.path.isfile(self.qml):
            layer.loadNamedStyle(self.qml)
            layer.triggerRepaint()

    @classmethod
    def create(cls, qml):
        obj = cls(qml)
        cls.keep.append(obj)
        return obj


class GeoHeartAlgorithm(QgsProcessingAlgorithm):
    """Common parameters (area, data folder) and the run of the command line."""

    NAME = ""
    DISPLAY = ""
    HELP = ""

    def name(self):
        return self.NAME

    def displayName(self):  # noqa: N802 - QGIS API
        return self.DISPLAY

    def group(self):
        return "geo-heart"

    def groupId(self):  # noqa: N802 - QGIS API
        return "geo_heart"

    def shortHelpString(self):  # noqa: N802 - QGIS API
        return self.HELP + (
            "\n\nRuns the geo-heart command line (its path is a Processing setting: "
            "Settings > Options > Processing > Providers > geo-heart)."
        )

    def createInstance(self):  # noqa: N802 - QGIS API
        return type(self)()

    # ------------------------------------------------------------------ shared parameters
    def add_common(self):
        self.addParameter(
            QgsProcessingParameterString(
                "AREA",
                "Area (name such as durham, or an area file; empty: the default)",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                "DATA",
                "Data folder (empty: the area file's)",
                behavior=QgsProcessingParameterFile.Folder,
                optional=True,
            )
        )

    def global_args(self, parameters, context):
        args = []
        area = self.parameterAsString(parameters, "AREA", context) or setting(AREA)
        data = self.parameterAsFile(parameters, "DATA", context) or setting(DATA)
        if area:
            args += ["--area", area]
        if data:
            args += ["--data", data]
        return args

    def field(self, parameters, name, context):
        got = self.parameterAsFields(parameters, name, context)
        return got[0] if got else None

    # ------------------------------------------------------------------ input and run
    def input_path(self, parameters, name, context, feedback):
        """A file geo-heart can read for the layer ``name`` (``None`` when not given)."""
        layer = self.parameterAsVectorLayer(parameters, name, context)
        if layer is None:
            return None
        path, _, rest = layer.source().partition("|")
        ext = os.path.splitext(path)[1].lower()
        plain = not rest or (ext == ".gpkg" and _only_layer(path))
        if (
            layer.providerType() == "ogr"
            and os.path.isfile(path)
            and ext in READABLE
            and plain
            and not layer.subsetString()
        ):
            return path
        out = os.path.join(tempfile.mkdtemp(prefix="geo_heart_"), "input.gpkg")
        feedback.pushInfo(f"Writing {layer.name()} to {out} for geo-heart")
        opts = QgsVectorFileWriter.SaveVectorOptions()
        opts.driverName = "GPKG"
        opts.layerName = "input"
        res = QgsVectorFileWriter.writeAsVectorFormatV3(
            layer, out, context.transformContext(), opts
        )
        if res[0] != QgsVectorFileWriter.NoError:
            raise QgsProcessingException(f"could not write {layer.name()}: {res[1]}")
        return out

    def run_cli(self, args, parameters, context, feedback):
        """Run ``geo-heart <global options> <args>``; its messages go to the log. Returns stdout."""
        cmd = [executable()] + self.global_args(parameters, context) + list(args)
        feedback.pushCommandInfo(" ".join(_quote(a) for a in cmd))
        env = dict(os.environ)
        env.pop("PYTHONHOME", None)  # QGIS's own Python must not leak into geo-heart's
        try:
            proc = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
            )
        except OSError as exc:
            raise QgsProcessingException(
                f"cannot run {cmd[0]!r} ({exc}); set the geo-heart executable in "
                "Settings > Options > Processing > Providers > geo-heart"
            ) from None
        while True:
            try:
                out, err = proc.communicate(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if feedback.isCanceled():
                    proc.kill()
                    proc.communicate()
                    raise QgsProcessingException("canceled") from None
        for line in (err or "").splitlines():
            if line.strip():
                feedback.pushConsoleInfo(line)
        if proc.returncode != 0:
            last = [x for x in (err or "").splitlines() if x.strip()]
            raise QgsProcessingException(last[-1] if last else f"geo-heart exit {proc.returncode}")
        return out

    def styled(self, dest, context, qml_name):
        """Load ``dest`` with the plugin's ``qml_name`` style when QGIS loads it."""
        if context.willLoadLayerOnCompletion(dest):
            details = context.layerToLoadOnCompletionDetails(dest)
            details.setPostProcessor(LoadStyle.create(style_path(qml_name)))


def _only_layer(path):
    try:
        from osgeo import ogr
    except ImportError:
        return False
    ds = ogr.Open(path)
    return ds is not None and ds.GetLayerCount() == 1


def _quote(text):
    text = str(text)
    return text if text and all(c.isalnum() or c in "-_./:=," for c in text) else repr(text)


class _BatchAlgorithm(GeoHeartAlgorithm):
    """geocode and assign: a table or layer in, one feature per row out."""

    def add_output_and_time(self):
        self.addParameter(
            QgsProcessingParameterField(
                "AT_COLUMN",
                "Time of each row (--at-column): judge the rules in force then",
                parentLayerParameterName="INPUT",
                optional=True,
            )
        )
        self.add_common()
        self.addParameter(
            QgsProcessingParameterVectorDestination(
                "OUTPUT", "Output", type=QgsProcessing.TypeVectorPoint
            )
        )
        self.addOutput(QgsProcessingOutputString("SUMMARY", "Summary (JSON)"))

    def finish(self, args, parameters, context, feedback, style):
        at = self.field(parameters, "AT_COLUMN", context)
        if at:
            args += ["--at-column", at]
        dest = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        out = self.run_cli(args + ["-o", dest, "--json"], parameters, context, feedback)
        summary = out.strip().splitlines()[-1] if out.strip() else "{}"
        feedback.pushInfo(summary)
        self.styled(dest, context, style)
        return {"OUTPUT": dest, "SUMMARY": summary}


class AssignAlgorithm(_BatchAlgorithm):
    NAME = "assign"
    DISPLAY = "Assign beats to points"
    HELP = (
        "Adds beat, district, in_service_area, status, reason and census GEOIDs to every "
        "point (or every row of a table with lon/lat columns), one output feature per row."
    )

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                "INPUT", "Points or table", [QgsProcessing.TypeVector]
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                "LON_FIELD",
                "Longitude column of a table (WGS84)",
                defaultValue="lon",
                parentLayerParameterName="INPUT",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                "LAT_FIELD",
                "Latitude column of a table (WGS84)",
                defaultValue="lat",
                parentLayerParameterName="INPUT",
                optional=True,
            )
        )
        self.add_output_and_time()

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 - QGIS API
        layer = self.parameterAsVectorLayer(parameters, "INPUT", context)
        path = self.input_path(parameters, "INPUT", context, feedback)
        args = ["assign", path]
        if layer is not None and not layer.isSpatial():
            args += [
                "--lon-column",
                self.field(parameters, "LON_FIELD", context) or "lon",
                "--lat-column",
                self.field(parameters, "LAT_FIELD", context) or "lat",
            ]
        return self.finish(args, parameters, context, feedback, "batch_points")


class GeocodeAlgorithm(_BatchAlgorithm):
    NAME = "geocode"
    DISPLAY = "Geocode addresses"
    HELP = (
        "Geocodes an address column offline to points with beat, district, "
        "in_service_area, match type and score; one output feature per row."
    )

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                "INPUT", "Table with addresses", [QgsProcessing.TypeVector]
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                "ADDRESS_FIELD", "Address column", parentLayerParameterName="INPUT"
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "MIN_SCORE",
                "Minimum score (rows below get no point)",
                type=QgsProcessingParameterNumber.Double,
                minValue=0,
                maxValue=1,
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                "REVIEW",
                "Review table of failed and low-confidence rows (CSV)",
                fileFilter="CSV files (*.csv)",
                optional=True,
                createByDefault=False,
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                "POINT_FOR_BEAT_ONLY",
                "Rows known only by beat get the beat's representative point (flagged)",
                defaultValue=False,
            )
        )
        self.add_output_and_time()

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 - QGIS API
        path = self.input_path(parameters, "INPUT", context, feedback)
        args = [
            "geocode",
            path,
            "--address-column",
            self.field(parameters, "ADDRESS_FIELD", context),
        ]
        score = self.parameterAsDouble(parameters, "MIN_SCORE", context)
        if score:
            args += ["--min-score", str(score)]
        review = self.parameterAsFileOutput(parameters, "REVIEW", context)
        if review:
            args += ["--review", review]
        if self.parameterAsBool(parameters, "POINT_FOR_BEAT_ONLY", context):
            args.append("--point-for-beat-only")
        return self.finish(args, parameters, context, feedback, "batch_points")


class LookupAlgorithm(GeoHeartAlgorithm):
    NAME = "lookup"
    DISPLAY = "Look up one address or point"
    HELP = (
        "The dispatch answer for one address or point: beat, service area and the programs "
        "a call of the given type is eligible for at the given time, as a one-feature layer."
    )

    FIELDS = [
        ("status", QVariant.String),
        ("beat", QVariant.String),
        ("district", QVariant.String),
        ("in_service_area", QVariant.Bool),
        ("service_area", QVariant.String),
        ("rules", QVariant.String),
        ("programs", QVariant.String),
        ("reason", QVariant.String),
        ("local_time", QVariant.String),
        ("matched_address", QVariant.String),
        ("lon", QVariant.Double),
        ("lat", QVariant.Double),
    ]

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        self.addParameter(QgsProcessingParameterString("ADDRESS", "Address", optional=True))
        self.addParameter(QgsProcessingParameterPoint("POINT", "Or a point", optional=True))
        self.addParameter(
            QgsProcessingParameterString("CALL_TYPE", "Call type (CAD code)", optional=True)
        )
        self.addParameter(
            QgsProcessingParameterString("AT", "When (ISO time; empty: now)", optional=True)
        )
        self.add_common()
        self.addParameter(
            QgsProcessingParameterVectorDestination(
                "OUTPUT", "Answer", type=QgsProcessing.TypeVectorPoint
            )
        )
        self.addOutput(QgsProcessingOutputString("ANSWER", "Answer (JSON)"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 - QGIS API
        address = self.parameterAsString(parameters, "ADDRESS", context)
        args = ["lookup"]
        point = None
        if address:
            args.append(address)
        elif parameters.get("POINT"):
            wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
            pt = self.parameterAsPoint(parameters, "POINT", context, wgs84)
            point = (pt.x(), pt.y())
            args += ["--lon", repr(pt.x()), "--lat", repr(pt.y())]
        else:
            raise QgsProcessingException("give an address or a point")
        for name, opt in (("CALL_TYPE", "--call-type"), ("AT", "--at")):
            value = self.parameterAsString(parameters, name, context)
            if value:
                args += [opt, value]
        answer = json.loads(self.run_cli(args + ["--json"], parameters, context, feedback))
        dest = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        fields = QgsFields()
        for name, kind in self.FIELDS:
            fields.append(QgsField(name, kind))
        opts = QgsVectorFileWriter.SaveVectorOptions()
        opts.driverName = QgsVectorFileWriter.driverForExtension(os.path.splitext(dest)[1])
        writer = QgsVectorFileWriter.create(
            dest,
            fields,
            QgsWkbTypes.Point,
            QgsCoordinateReferenceSystem("EPSG:4326"),
            context.transformContext(),
            opts,
        )
        feat = QgsFeature(fields)
        row = dict(answer)
        row["rules"] = (answer.get("rules") or {}).get("name")
        row["programs"] = ",".join(answer.get("programs") or [])
        if point is not None and row.get("lon") is None:  # a point lookup: the point asked about
            row["lon"], row["lat"] = point
        feat.setAttributes([row.get(name) for name, _ in self.FIELDS])
        if row.get("lon") is not None and row.get("lat") is not None:
            feat.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(row["lon"], row["lat"])))
        writer.addFeature(feat)
        del writer
        feedback.pushInfo(
            json.dumps(
                {k: answer.get(k) for k in ("status", "beat", "in_service_area", "programs")}
            )
        )
        self.styled(dest, context, "batch_points")
        return {"OUTPUT": dest, "ANSWER": json.dumps(answer)}


class _CallsAlgorithm(GeoHeartAlgorithm):
    """demand, coverage, equity: a call table in, a beat (or tract) layer out."""

    COMMAND = ""
    GPKG = "beats.gpkg"
    LAYER = ""

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                "CALLS",
                "Calls (empty: the area's [layers.calls] table)",
                [QgsProcessing.TypeVector],
                optional=True,
            )
        )
        for name, label in (
            ("TIME_COLUMN", "Time column"),
            ("CALL_TYPE_COLUMN", "Call type column"),
            ("BEAT_COLUMN", "Beat column"),
        ):
            self.addParameter(
                QgsProcessingParameterField(
                    name, label, parentLayerParameterName="CALLS", optional=True
                )
            )
        self.addParameter(
            QgsProcessingParameterString(
                "RULES",
                "Judge every call under this rule set (empty: each call's own time)",
                optional=True,
            )
        )
        self.add_common()
        self.addParameter(QgsProcessingParameterFolderDestination("OUTPUT_FOLDER", "Folder"))
        self.addOutput(QgsProcessingOutputVectorLayer("OUTPUT", self.LAYER))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 - QGIS API
        args = [self.COMMAND]
        calls = self.input_path(parameters, "CALLS", context, feedback)
        if calls:
            args.append(calls)
        for name, opt in (
            ("TIME_COLUMN", "--time-column"),
            ("CALL_TYPE_COLUMN", "--call-type-column"),
            ("BEAT_COLUMN", "--beat-column"),
        ):
            value = self.field(parameters, name, context)
            if value:
                args += [opt, value]
        rules = self.parameterAsString(parameters, "RULES", context)
        if rules:
            args += ["--rules", rules]
        folder = self.parameterAsString(parameters, "OUTPUT_FOLDER", context)
        os.makedirs(folder, exist_ok=True)
        self.run_cli(args + ["-o", folder], parameters, context, feedback)
        uri = f"{os.path.join(folder, self.GPKG)}|layername={self.LAYER}"
        context.addLayerToLoadOnCompletion(
            uri, QgsProcessingContext.LayerDetails(self.LAYER, context.project(), "OUTPUT")
        )
        if os.path.isfile(style_path(self.LAYER)):  # GeoPackage default styles cover the rest
            self.styled(uri, context, self.LAYER)
        return {"OUTPUT": uri, "OUTPUT_FOLDER": folder}


class DemandAlgorithm(_CallsAlgorithm):
    NAME = COMMAND = "demand"
    LAYER = "demand_by_beat"
    DISPLAY = "Demand by beat"
    HELP = (
        "Eligible calls by beat (per 1,000 residents, per square mile), styled as the maps; "
        "also the hour-of-week and month tables in the folder."
    )


class CoverageAlgorithm(_CallsAlgorithm):
    NAME = COMMAND = "coverage"
    LAYER = "coverage_by_beat"
    DISPLAY = "Coverage by beat"
    HELP = "Of the eligible calls, the share inside each program's area and hours, by beat."


class EquityAlgorithm(_CallsAlgorithm):
    NAME = COMMAND = "equity"
    GPKG = "equity.gpkg"
    LAYER = "equity_by_tract"
    DISPLAY = "Equity by census tract"
    HELP = "Residents by group and tract in the service area, with eligible and covered calls."


ALGORITHMS = [
    GeocodeAlgorithm,
    AssignAlgorithm,
    LookupAlgorithm,
    DemandAlgorithm,
    CoverageAlgorithm,
    EquityAlgorithm,
]

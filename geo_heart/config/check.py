"""Check an area file and its data: the schema, the layers, their columns and the beats named.

:func:`check_area` reports every problem at once (never stops at the first):

* the file against the schema (:mod:`geo_heart.config.schema`) and the cross-checks;
* every layer file (``[beats]``, ``[layers.*]``, ``[places]``) exists in the data folder;
* every configured column or field exists in its layer (only the header / schema is read: pandas
  ``nrows=0`` for tables, ``pyogrio.read_info`` for vector files);
* every beat a service area (or a scenario) names is a beat of the beats layer;
* every layer opens: each vector layer is read whole, with its geometries, and each table whole;
* every vector layer has a CRS, and its bounds are possible in that CRS (a layer in feet
  labelled EPSG:4326 is refused: every lookup would be "outside");
* the area's own reference points (address points, landmarks, places) fall in the beats layer;
  when most of them do not, a warning says so (:func:`check_area_warnings`).

The time zone (a region zone, never ``EST``) and the hours (no zero-length window, no two windows
sharing an hour) are checked by the schema (:mod:`geo_heart.config.times`,
:mod:`geo_heart.config.schedule`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from geo_heart.errors import ConfigError

log = logging.getLogger(__name__)

_TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".parquet", ".pq"}
#: below this share of the area's reference points inside the beats layer, a warning
MIN_REFERENCE_SHARE = 0.5


def open_layer(path: Path, label: str | None = None) -> list[str]:
    """Read a whole layer (vector: with its geometries and CRS), returning its problems.

    Returns one line per problem: the layer cannot be read, has no CRS, or has bounds that are
    impossible for its CRS.
    """
    suffix = path.suffix.lower()
    where = label or str(path.name)
    try:
        if suffix in {".parquet", ".pq"}:
            import pyarrow.parquet as pq

            pq.read_table(path)
            return []
        if suffix in _TABLE_SUFFIXES:
            import pandas as pd

            pd.read_csv(path, dtype=str, sep="\t" if suffix == ".tsv" else ",")
            return []
        import pyogrio

        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # any reader failure is a problem to report, not a crash
        return [f"{where}: cannot be read: {exc}"]
    return crs_problems(where, frame)


def crs_problems(where: str, frame) -> list[str]:
    """A vector layer's CRS problems: none given, or bounds impossible for it."""
    import numpy as np

    if frame.crs is None:
        return [
            f"{where}: has no CRS; give the file one (e.g. ogr2ogr -a_srs EPSG:4326 or "
            "EPSG:2264), geo-heart never guesses it"
        ]
    geoms = frame.geometry[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if geoms.empty:
        return []
    x0, y0, x1, y1 = (float(v) for v in geoms.total_bounds)
    crs = frame.crs
    bounds = f"({x0:.6g}, {y0:.6g}, {x1:.6g}, {y1:.6g})"
    if crs.is_geographic:
        if not (-180.5 <= x0 <= x1 <= 360 and -90 <= y0 <= y1 <= 90):
            return [
                f"{where}: bounds {bounds} are impossible for its CRS {crs.to_string()} "
                "(degrees of longitude/latitude); the coordinates look projected (metres or "
                "feet), so the CRS label is wrong"
            ]
        return []
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(
        [x0, x1, x0, x1], [y0, y0, y1, y1], errcheck=False
    )
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    use = crs.area_of_use
    far = use is not None and (
        np.nanmax(lon) < use.west - 10
        or np.nanmin(lon) > use.east + 10
        or np.nanmax(lat) < use.south - 10
        or np.nanmin(lat) > use.north + 10
    )
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()) or far:
        return [
            f"{where}: bounds {bounds} are impossible for its CRS {crs.to_string()}"
            + (f" (defined for {use.name})" if use is not None else "")
            + "; the CRS label is wrong"
        ]
    return []


def reference_points(area, data: Path):
    """The area's own reference points as WGS84 lon/lat arrays, and where they come from."""
    import numpy as np
    import pandas as pd

    lon_parts, lat_parts, names = [], [], []
    sources = [
        (data / str(t["file"]), str(t["lon_column"]), str(t["lat_column"]))
        for role, t in area.layers.items()
        if role != "calls" and t.get("lon_column") and t.get("lat_column")
    ]
    if area.places_file is not None:
        sources.append((Path(area.places_file), "lon", "lat"))
    for path, lon_col, lat_col in sources:
        if path.suffix.lower() not in (".csv", ".txt") or not path.is_file():
            continue
        try:
            t = pd.read_csv(path, usecols=[lon_col, lat_col])
        except Exception:  # a missing column is reported by the column checks
            continue
        lon = pd.to_numeric(t[lon_col], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(t[lat_col], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
        if ok.any():
            lon_parts.append(lon[ok])
            lat_parts.append(lat[ok])
            names.append(path.name)
    if not lon_parts:
        return np.empty(0), np.empty(0), []
    return np.concatenate(lon_parts), np.concatenate(lat_parts), names


def check_area_warnings(area_file: str | Path, data_dir: str | Path) -> list[str]:
    """Warnings (not errors): the beats layer does not cover the area's reference points."""
    import numpy as np
    import pyogrio
    import shapely

    from geo_heart.config.areafile import load_area
    from geo_heart.errors import GeoHeartError

    try:
        area = load_area(Path(area_file))
    except GeoHeartError:
        return []
    data = Path(data_dir)
    beats_path = data / area.beats.file
    lon, lat, names = reference_points(area, data)
    if not len(lon) or not (beats_path.is_file() or beats_path.is_dir()):
        return []
    try:
        beats = pyogrio.read_dataframe(beats_path, columns=[])
        if beats.crs is None:
            return []
        beats = beats.to_crs(4326)
    except Exception:  # reported as a problem by check_area
        return []
    rng = np.random.default_rng(0)
    pick = rng.choice(len(lon), size=min(len(lon), 5000), replace=False)
    union = shapely.union_all(shapely.make_valid(beats.geometry.to_numpy()))
    shapely.prepare(union)
    inside = shapely.contains_xy(union, lon[pick], lat[pick])
    share = float(inside.mean())
    if share < MIN_REFERENCE_SHARE:
        return [
            f"{beats_path.name}: only {share:.0%} of the area's own reference points "
            f"({', '.join(names)}) fall in a beat; check the layer's CRS and that it is the "
            "area's beats layer"
        ]
    return []


def layer_columns(path: Path) -> list[str]:
    """Column names of a table or vector layer, reading only its header or schema.

    Raises
    ------
    OSError, ValueError
        When the file cannot be read.
    """
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    if suffix in _TABLE_SUFFIXES:
        import pandas as pd

        sep = "\t" if suffix == ".tsv" else ","
        return list(pd.read_csv(path, nrows=0, sep=sep).columns)
    import pyogrio

    return [str(f) for f in pyogrio.read_info(path)["fields"]]


def _read_beat_codes(path: Path, id_field: str) -> set[str]:
    import pyogrio

    df = pyogrio.read_dataframe(path, columns=[id_field], read_geometry=False)
    out = set()
    for v in df[id_field]:
        if v is None or v != v:
            continue
        text = str(v).strip()
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
        out.add(text)
    return out


def check_area(area_file: str | Path, data_dir: str | Path) -> list[str]:
    """Every problem with an area file and its data, one line each (empty: all good).

    Each line starts with the file it concerns (the area file, or the data file).
    """
    from geo_heart.config.areafile import load_area
    from geo_heart.config.schema import display_path

    path = Path(area_file)
    where = display_path(path)
    try:
        area = load_area(path)
    except ConfigError as exc:
        problems = getattr(exc, "problems", None)
        return list(problems) if problems else [str(exc)]
    data = Path(data_dir)
    problems: list[str] = []

    def column_checks(role: str, file: str, wanted: dict[str, str]) -> list[str] | None:
        p = data / file
        if not p.exists():
            problems.append(f"{where}: {role}.file = {file!r}: {p} does not exist")
            return None
        if not (p.is_file() or p.is_dir()):  # a FIFO or a link to /dev/zero: never read
            problems.append(f"{where}: {role}.file = {file!r}: {p} is not a regular file")
            return None
        try:
            cols = layer_columns(p)
        except Exception as exc:  # any reader failure is a problem to report, not a crash
            problems.append(f"{display_path(p)}: cannot be read ({role}): {exc}")
            return None
        for key, col in wanted.items():
            if col not in cols:
                problems.append(
                    f"{where}: {role}.{key} = {col!r}: no such column in {p.name}; "
                    f"columns: {', '.join(cols)}"
                )
        return cols

    if area.data_dir and not (data / area.beats.file).exists():
        from geo_heart.config.settings import area_data_dir

        if area_data_dir(path) is None:
            problems.append(
                f"{where}: area.data_dir = {area.data_dir!r}: no such folder (tried against the "
                f"working directory, the folder above the area file's and the source checkout); "
                f"the data folder used is {data}"
            )
    b = area.beats
    wanted = {"id_field": b.id_field}
    if b.district_field:
        wanted["district_field"] = b.district_field
    cols = column_checks("beats", b.file, wanted)
    opened = {data / b.file} if cols is not None else set()
    layer_beats: set[str] | None = None
    if cols is not None and b.id_field in cols:
        try:
            layer_beats = _read_beat_codes(data / b.file, b.id_field)
        except Exception as exc:
            problems.append(f"{display_path(data / b.file)}: cannot read beat codes: {exc}")
    for role, table in area.layers.items():
        if table.get("optional") and not (data / str(table["file"])).exists():
            continue  # an optional layer not downloaded (yet): `geo-heart data fetch --all`
        wanted = {
            k: str(v)
            for k, v in table.items()
            if (k.endswith("_column") or k.endswith("_field")) and v
        }
        if column_checks(f"layers.{role}", str(table["file"]), wanted) is not None:
            opened.add(data / str(table["file"]))
    problems.extend(_side_file_problems(area, where))
    for p in sorted(opened):
        problems.extend(open_layer(p, display_path(p)))
    if layer_beats is not None:
        for key, sa in area.service_areas.items():
            for beat in sorted(sa.beats | sa.exclude_beats):
                if beat not in layer_beats:
                    label = (
                        f"scenarios.{key[len('scenario_') :]}"
                        if key.startswith("scenario_")
                        else f"service_areas.{key}"
                    )
                    problems.append(
                        f"{where}: {label}.beats = {beat!r}: not a beat of {b.file} ({b.id_field})"
                    )
        for code in area.beats.special:
            if code not in layer_beats:
                problems.append(f"{where}: beats.special.{code}: not a beat of {b.file}")
    return problems


def _side_file_problems(area, where: str) -> list[str]:
    """The calibration table and the places file, read as the geocoder reads them: regular
    files of bounded size; the places file parsed row by row (:func:`read_places_table`)."""
    import json

    from geo_heart.config.places import read_places_table
    from geo_heart.config.safe_files import MAX_SIDE_FILE_BYTES, read_limited

    problems: list[str] = []
    if area.calibration_file is not None:
        try:
            data = read_limited(
                area.calibration_file, max_bytes=MAX_SIDE_FILE_BYTES, what="calibration file"
            )
            json.loads(data.decode("utf-8"))
        except ConfigError as exc:
            problems.append(f"{where}: calibration.file: {exc}")
        except (RecursionError, ValueError) as exc:
            problems.append(
                f"{where}: calibration.file: {area.calibration_file.name} is not readable JSON: "
                f"{str(exc)[:200]}"
            )
    if area.places_file is not None:
        try:
            read_places_table(area.places_file)
        except ConfigError as exc:
            problems.append(f"{where}: places.file: {exc}")
    return problems

"""Readers for the geocoder's reference formats (private; used by :mod:`.reference`).

Each ``[layers.<role>]`` of the area file names a file in one format; one reader per format turns
it into the same :class:`Records` (address points, address-range sides, street lines, named
places) that the index builder consumes, whatever the source:

==================  =================================================================================
role                format
==================  =================================================================================
``address_points``  any table of house-numbered points (``address_column`` or ``number_column`` +
                    ``street_column``; ``lon_column``/``lat_column``)
``centerlines``     any line layer with one address range per side (EDGES-style field names by
                    default, each configurable)
``tiger_addrfeat``  Census TIGER/Line Address Range-Feature shapefile (``tl_YYYY_SSCCC_addrfeat``):
                    ``FULLNAME``, ``LFROMHN``/``LTOHN``/``RFROMHN``/``RTOHN``, ``PARITYL``/``PARITYR``,
                    ``ZIPL``/``ZIPR``, ``OFFSETL``/``OFFSETR``, ``TLID``
``tiger_edges``     Census TIGER/Line All Lines shapefile (``tl_YYYY_SSCCC_edges``): ``ROADFLG = 'Y'``
                    edges with ``FULLNAME``, ``LFROMADD``/``LTOADD``/``RFROMADD``/``RTOADD``,
                    ``ZIPL``/``ZIPR``, ``MTFCC``, ``TLID``; street lines and ranges
``openaddresses``   OpenAddresses CSV (``LON, LAT, NUMBER, STREET, UNIT, CITY, DISTRICT, REGION,
                    POSTCODE, ID, HASH``), plain, gzipped or zipped
``osm``             an OpenStreetMap extract (``.osm`` XML or ``.osm.pbf``) read with GDAL's OSM
                    driver: ``highway=*`` ways with a name (street lines), ``addr:housenumber`` +
                    ``addr:street`` (address points), named amenity/shop/tourism/leisure/healthcare/
                    building features (places)
``roads``           any named line layer (``name_field``, ``ref_field``): street lines
``landmarks``       a table of named points (``name_column``, ``lon_column``, ``lat_column``)
==================  =================================================================================

Shapefiles are read directly or from their ``.zip`` (GDAL ``/vsizip/``), so the Census download
is used as it is. All coordinates come out in WGS84 lon/lat.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geo_heart.errors import DataSourceError, InputError

log = logging.getLogger(__name__)

#: MAF/TIGER feature class codes of ways that are not streets (walkways, stairs, bike/bridle paths).
_NOT_STREETS = {"S1710", "S1720", "S1820", "S1830"}
#: OSM ``highway`` values that are not streets a caller gives an address on.
_OSM_NOT_STREETS = {
    "footway", "path", "cycleway", "steps", "bridleway", "corridor", "proposed", "construction",
    "platform", "elevator", "via_ferrata", "abandoned", "raceway", "bus_stop",
}  # fmt: skip
_OSM_PLACE_KEYS = ("amenity", "shop", "tourism", "leisure", "healthcare", "building")
_RE_HSTORE = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


@dataclass
class RangeSide:
    """One side of a street segment with its address range, in the line's direction."""

    name: str
    side: str  # "L" or "R"
    first: int  # house number at the line's start
    last: int  # house number at the line's end
    parity: str  # "E", "O" or "B" (both)
    lon: np.ndarray
    lat: np.ndarray
    zip: str | None = None
    offset_flag: bool = False  # TIGER OFFSETL/OFFSETR = "Y"


@dataclass
class Records:
    """What one layer contributes to the index (all lon/lat WGS84)."""

    #: address points: text ``"<number> <street>"`` (a list, or a pyarrow string array), lon, lat
    point_text: Any = field(default_factory=list)
    point_lon: Any = field(default_factory=list)  # a list, or a float64 array
    point_lat: Any = field(default_factory=list)
    ranges: list[RangeSide] = field(default_factory=list)
    #: street lines: (name or None, ref or None, shapely geometry)
    lines: list[tuple[str | None, str | None, Any]] = field(default_factory=list)
    #: named places: (name, lon, lat, category)
    places: list[tuple[str, float, float, str]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


def _col(table: dict, key: str, default: str | None = None) -> str | None:
    v = table.get(key, default)
    return None if v is None else str(v)


def _need(columns, wanted: dict[str, str | None], role: str, path: Path) -> None:
    for key, c in wanted.items():
        if c is None or c not in columns:
            raise InputError(
                f"layers.{role}: {str(path)!r} has no column {c!r} ({key}); "
                f"columns are {list(columns)}"
            )


def _exists(path: Path, role: str) -> None:
    if not path.exists():
        raise DataSourceError(
            f"layers.{role}: file {str(path)!r} does not exist"
            " (set the data folder with --data or GEO_HEART_DATA,"
            " or run `geo-heart data fetch`)"
        )


def _vector(path: Path, role: str, **kw):
    """Read a vector layer (``.zip`` through ``/vsizip/``) as a WGS84 GeoDataFrame."""
    import pyogrio

    _exists(path, role)
    src = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)
    try:
        gdf = pyogrio.read_dataframe(src, **kw)
    except Exception as exc:  # GDAL errors come in several classes
        raise DataSourceError(f"layers.{role}: cannot read {str(path)!r}: {exc}") from None
    if len(gdf) and gdf.crs is None:
        raise DataSourceError(f"layers.{role}: {str(path)!r} has no CRS")
    return gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf


def _house_number(v) -> int:
    """A TIGER house number field (text) as an int; -1 when empty or not all digits (``12-34``)."""
    if v is None:
        return -1
    if isinstance(v, float):
        return int(v) if np.isfinite(v) else -1
    s = str(v).strip()
    return int(s) if s.isdigit() else -1


def _lines_of(geom):
    """The LineString parts of a geometry (MultiLineStrings split)."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "LineString":
        return [geom]
    if geom.geom_type == "MultiLineString":
        return list(geom.geoms)
    return []


def _text(v) -> str | None:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return None
    s = str(v).strip()
    return s or None


def _add_range(rec: Records, name, side, a, b, parity, geom, zip_=None, offset=False) -> bool:
    if a < 0 or b < 0:
        return False
    parity = (parity or "").strip().upper()[:1]
    if parity not in ("E", "O", "B"):
        parity = "B" if a % 2 != b % 2 else ("E" if a % 2 == 0 else "O")
    added = False
    for line in _lines_of(geom):
        xy = np.asarray(line.coords)[:, :2]
        rec.ranges.append(
            RangeSide(name, side, a, b, parity, xy[:, 0].copy(), xy[:, 1].copy(), zip_, offset)
        )
        added = True
    return added


#: a plain decimal with a point (``-78.9016``)
_PLAIN_DECIMAL = r"^-?[0-9]+\.[0-9]+$"


def text_to_numbers(col) -> np.ndarray:
    """A pyarrow text column as float64, each value what ``pd.to_numeric(..., errors="coerce")``
    gives it (NaN for text that is no number), bit for bit.

    Plain decimals with a point and at most 15 digits are read by pyarrow, all at once: their digits form an
    integer a double holds exactly, and one division by an exact power of ten rounds it once, so
    pandas' parser and pyarrow's (correctly rounded) agree on them. Every other text (more
    digits, an exponent, spaces, empty) goes through ``pd.to_numeric`` itself.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = col.combine_chunks() if hasattr(col, "combine_chunks") else col
    out = np.full(len(arr), np.nan)
    if not len(arr):
        return out
    # digits = length - the point - the sign
    digits = pc.subtract(pc.utf8_length(arr), pc.add(pc.cast(pc.starts_with(arr, "-"), "int32"), 1))
    plain = pc.and_(pc.match_substring_regex(arr, _PLAIN_DECIMAL), pc.less_equal(digits, 15))
    plain = plain.fill_null(False).to_numpy(zero_copy_only=False)
    if plain.any():
        fast = pc.cast(arr.filter(pa.array(plain)), pa.float64())
        out[plain] = fast.to_numpy(zero_copy_only=False)
    if not plain.all():
        rest = arr.filter(pa.array(~plain)).to_pylist()
        got = pd.to_numeric(pd.Series(rest, dtype=object), errors="coerce")
        out[~plain] = got.to_numpy(dtype=float, na_value=np.nan)
    return out


# ------------------------------------------------------------------------------------- readers
def read_address_points(path: Path, table: dict, role: str = "address_points") -> Records:
    """House-numbered points from any table (the area's own address layer)."""
    import pandas as pd

    from geo_heart.io.tables import read_columns, read_columns_arrow, read_table, table_kind

    _exists(path, role)
    lon_c, lat_c = _col(table, "lon_column", "lon"), _col(table, "lat_column", "lat")
    addr_c = _col(table, "address_column")
    num_c, street_c = _col(table, "number_column"), _col(table, "street_column")
    want = {"lon_column": lon_c, "lat_column": lat_c}
    want.update(
        {"address_column": addr_c}
        if addr_c
        else {"number_column": num_c, "street_column": street_c}
    )
    df = None
    if table_kind(path) in ("csv", "tsv") and all(want.values()):
        if addr_c:
            # kept in pyarrow: the texts and numbers taken from it without a pandas frame
            tbl = read_columns_arrow(path, list(want.values()))
            if tbl is not None:
                rec = Records(
                    point_text=tbl[addr_c].combine_chunks(),  # kept in pyarrow (texts)
                    point_lon=text_to_numbers(tbl[lon_c]),
                    point_lat=text_to_numbers(tbl[lat_c]),
                )
                rec.info = {"file": str(path), "rows": tbl.num_rows}
                return rec
        # only the columns used (a missing one: the full read below names it)
        df = read_columns(path, list(want.values()))
    if df is None:
        df = read_table(path)
    _need(df.columns, want, role, path)
    if addr_c:
        text = df[addr_c].astype(str)
    else:
        text = df[num_c].astype(str).str.strip() + " " + df[street_c].astype(str)
    rec = Records(
        point_text=text.tolist(),
        point_lon=pd.to_numeric(df[lon_c], errors="coerce").tolist(),
        point_lat=pd.to_numeric(df[lat_c], errors="coerce").tolist(),
    )
    rec.info = {"file": str(path), "rows": len(df)}
    return rec


def read_openaddresses(path: Path, table: dict, role: str = "openaddresses") -> Records:
    """An OpenAddresses CSV (``LON, LAT, NUMBER, STREET, UNIT, …``; ``.csv``, ``.csv.gz``, ``.zip``).

    Column names are matched without regard to case (the GeoJSON-era exports use lower case).
    """
    import pandas as pd

    _exists(path, role)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise DataSourceError(f"layers.{role}: cannot read {str(path)!r}: {exc}") from None
    upper = {str(c).strip().upper(): c for c in df.columns}
    cols = {k: upper.get(str(_col(table, f"{k.lower()}_column", k)).upper()) for k in
            ("LON", "LAT", "NUMBER", "STREET")}  # fmt: skip
    missing = [k for k, v in cols.items() if v is None]
    if missing:
        raise InputError(
            f"layers.{role}: {str(path)!r} has no column {missing[0]!r} (OpenAddresses CSV); "
            f"columns are {list(df.columns)}"
        )
    num = df[cols["NUMBER"]].str.strip()
    street = df[cols["STREET"]].str.strip()
    keep = (num != "") & (street != "")
    rec = Records(
        point_text=(num[keep] + " " + street[keep]).tolist(),
        point_lon=pd.to_numeric(df.loc[keep, cols["LON"]], errors="coerce").tolist(),
        point_lat=pd.to_numeric(df.loc[keep, cols["LAT"]], errors="coerce").tolist(),
    )
    rec.info = {"file": str(path), "rows": len(df), "without_number_or_street": int((~keep).sum())}
    return rec


def read_centerlines(path: Path, table: dict, role: str = "centerlines") -> Records:
    """A line layer with one range per side (field names from the table, EDGES-style defaults)."""
    gdf = _vector(path, role)
    f = {k: _col(table, k, d) for k, d in (
        ("name_field", "FULLNAME"), ("from_left", "LFROMADD"), ("to_left", "LTOADD"),
        ("from_right", "RFROMADD"), ("to_right", "RTOADD"),
    )}  # fmt: skip
    _need(gdf.columns, f, role, path)
    rec = Records()
    n = 0
    for name, lf, lt, rf, rt, geom in zip(
        gdf[f["name_field"]], gdf[f["from_left"]], gdf[f["to_left"]],
        gdf[f["from_right"]], gdf[f["to_right"]], gdf.geometry, strict=True,
    ):  # fmt: skip
        name = _text(name)
        if name is None:
            continue
        a = _add_range(rec, name, "L", _house_number(lf), _house_number(lt), None, geom)
        b = _add_range(rec, name, "R", _house_number(rf), _house_number(rt), None, geom)
        n += a or b
    rec.info = {"file": str(path), "segments": n}
    return rec


def read_tiger_addrfeat(path: Path, table: dict, role: str = "tiger_addrfeat") -> Records:
    """Census TIGER/Line ADDRFEAT: one record per address range × street name, by field name."""
    gdf = _vector(path, role)
    need = ["FULLNAME", "LFROMHN", "LTOHN", "RFROMHN", "RTOHN", "PARITYL", "PARITYR"]
    _need(gdf.columns, {c: c for c in need}, role, path)
    opt = {c: (gdf[c] if c in gdf.columns else [None] * len(gdf))
           for c in ("ZIPL", "ZIPR", "OFFSETL", "OFFSETR", "TLID")}  # fmt: skip
    rec = Records()
    n = bad = offset = 0
    with_lines = bool(table.get("street_lines", True))
    for i, (name, geom) in enumerate(zip(gdf["FULLNAME"], gdf.geometry, strict=True)):
        name = _text(name)
        if name is None:
            continue
        row = gdf.iloc[i]
        for side in ("L", "R"):
            a, b = _house_number(row[f"{side}FROMHN"]), _house_number(row[f"{side}TOHN"])
            if _text(row[f"{side}FROMHN"]) and (a < 0 or b < 0):
                bad += 1  # hyphenated or lettered numbers (e.g. "12-34") are not used
            flag = str(opt[f"OFFSET{side}"][i] or "").upper() == "Y"
            if _add_range(rec, name, side, a, b, row[f"PARITY{side}"], geom,
                          _text(opt[f"ZIP{side}"][i]), flag):  # fmt: skip
                n += 1
                offset += flag
        if with_lines:
            rec.lines.append((name, None, geom))
    rec.info = {"file": str(path), "records": len(gdf), "range_sides": n,
                "non_numeric_ranges": bad, "offset_flagged": offset}  # fmt: skip
    return rec


def read_tiger_edges(path: Path, table: dict, role: str = "tiger_edges") -> Records:
    """Census TIGER/Line EDGES: road edges (``ROADFLG = 'Y'``) as street lines and ranges."""
    gdf = _vector(path, role)
    need = ["FULLNAME", "LFROMADD", "LTOADD", "RFROMADD", "RTOADD", "ROADFLG", "MTFCC"]
    _need(gdf.columns, {c: c for c in need}, role, path)
    roads = gdf[(gdf["ROADFLG"].astype(str).str.upper() == "Y")
                & ~gdf["MTFCC"].astype(str).isin(_NOT_STREETS)]  # fmt: skip
    rec = Records()
    n = 0
    for name, lf, lt, rf, rt, zl, zr, geom in zip(
        roads["FULLNAME"], roads["LFROMADD"], roads["LTOADD"], roads["RFROMADD"], roads["RTOADD"],
        roads["ZIPL"] if "ZIPL" in roads else [None] * len(roads),
        roads["ZIPR"] if "ZIPR" in roads else [None] * len(roads), roads.geometry, strict=True,
    ):  # fmt: skip
        name = _text(name)
        if name is None:
            continue
        rec.lines.append((name, None, geom))
        a = _add_range(rec, name, "L", _house_number(lf), _house_number(lt), None, geom, _text(zl))
        b = _add_range(rec, name, "R", _house_number(rf), _house_number(rt), None, geom, _text(zr))
        n += a + b
    rec.info = {"file": str(path), "edges": len(gdf), "road_edges": len(roads), "range_sides": n,
                "named_lines": len(rec.lines)}  # fmt: skip
    return rec


def _text_columns(path: Path, role: str, columns: list[str]):
    """``({column: values}, WGS84 geometries)`` of a vector layer's text columns (a column the
    layer has not got is left out), read with pyogrio's raw reader: the values and geometries
    :func:`_vector` gives, without building a GeoDataFrame (no geopandas import on a first
    run). None when that is not sure to be so (a column not text, 3D geometries): read with
    :func:`_vector` then."""
    import pyogrio.raw
    import shapely
    from pyproj import CRS, Transformer

    _exists(path, role)
    src = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)
    try:
        meta, _fids, wkb, values = pyogrio.raw.read(src, columns=columns)
    except Exception as exc:  # GDAL errors come in several classes
        raise DataSourceError(f"layers.{role}: cannot read {str(path)!r}: {exc}") from None
    if wkb is None or any(str(t) != "object" for t in meta["dtypes"]):
        return None
    geoms = shapely.from_wkb(wkb)
    if len(geoms) and bool(shapely.has_z(geoms).any()):
        return None
    crs = meta.get("crs")
    if len(geoms) and crs is None:
        raise DataSourceError(f"layers.{role}: {str(path)!r} has no CRS")
    if crs is not None and not CRS.from_user_input(crs).is_exact_same(CRS.from_epsg(4326)):
        t = Transformer.from_crs(CRS.from_user_input(crs), "EPSG:4326", always_xy=True)
        geoms = shapely.transform(
            geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))
        )
    return dict(zip([str(f) for f in meta["fields"]], values, strict=True)), geoms


def read_roads(path: Path, table: dict, role: str = "roads") -> Records:
    """Any named line layer: street lines (``name_field``, ``ref_field``)."""
    name_f, ref_f = _col(table, "name_field", "name"), _col(table, "ref_field", "ref")
    got = _text_columns(path, role, [c for c in (name_f, ref_f) if c])
    if got is not None:
        cols, geoms = got
        names = cols.get(name_f, [None] * len(geoms))
        refs = cols.get(ref_f, [None] * len(geoms))
        rec = Records(lines=[(_text(a), _text(b), g) for a, b, g in zip(names, refs, geoms,
                                                                         strict=True)])  # fmt: skip
        rec.info = {"file": str(path), "lines": len(rec.lines)}
        return rec
    gdf = _vector(path, role)
    names = gdf[name_f] if name_f in gdf else [None] * len(gdf)
    refs = gdf[ref_f] if ref_f in gdf else [None] * len(gdf)
    rec = Records(lines=[(_text(a), _text(b), g) for a, b, g in zip(names, refs, gdf.geometry,
                                                                     strict=True)])  # fmt: skip
    rec.info = {"file": str(path), "lines": len(rec.lines)}
    return rec


def read_landmarks(path: Path, table: dict, role: str = "landmarks") -> Records:
    """Named points from a table (``name_column``, ``lon_column``, ``lat_column``)."""
    import pandas as pd

    from geo_heart.io.tables import read_table

    _exists(path, role)
    df = read_table(path)
    name_c = _col(table, "name_column", "name")
    lon_c, lat_c = _col(table, "lon_column", "lon"), _col(table, "lat_column", "lat")
    _need(df.columns, {"name_column": name_c, "lon_column": lon_c, "lat_column": lat_c}, role, path)
    cat_c = _col(table, "category_column", "category")
    lo = pd.to_numeric(df[lon_c], errors="coerce")
    la = pd.to_numeric(df[lat_c], errors="coerce")
    cats = df[cat_c].astype(str) if cat_c in df.columns else [""] * len(df)
    rec = Records()
    for name, x, y, c in zip(df[name_c].astype(str), lo, la, cats, strict=True):
        if np.isfinite(x) and np.isfinite(y):
            rec.places.append((name, float(x), float(y), c))
    rec.info = {"file": str(path), "places": len(rec.places)}
    return rec


def _osm_tags(row: dict) -> dict[str, str]:
    tags = {k: str(v) for k, v in row.items()
            if k not in ("other_tags", "geometry", "osm_id", "osm_way_id") and _text(v)}  # fmt: skip
    other = row.get("other_tags")
    if other:
        for k, v in _RE_HSTORE.findall(str(other)):
            tags.setdefault(k.replace('\\"', '"'), v.replace('\\"', '"'))
    return tags


def read_osm(path: Path, table: dict, role: str = "osm", bbox=None) -> Records:
    """An OpenStreetMap extract (``.osm`` or ``.osm.pbf``) through GDAL's OSM driver.

    ``bbox`` (lon/lat min-max) keeps only what intersects it (a state extract for one city).
    Keys: ``streets``, ``addresses``, ``places`` (each true by default) switch the parts.
    """
    import warnings

    _exists(path, role)
    rec = Records()
    info: dict[str, Any] = {"file": str(path)}
    kw = {"bbox": tuple(bbox)} if bbox is not None else {}

    def layer(name: str, where: str | None = None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL notes on interleaved reading
            return _vector(path, role, layer=name, where=where, **kw)

    if table.get("streets", True):
        lines = layer("lines", "highway IS NOT NULL")
        for row in lines.to_dict("records"):
            tags = _osm_tags(row)
            if tags.get("highway") in _OSM_NOT_STREETS or not (tags.get("name") or tags.get("ref")):
                continue
            rec.lines.append((tags.get("name"), tags.get("ref"), row["geometry"]))
        info["street_lines"] = len(rec.lines)
    feats = []
    if table.get("addresses", True) or table.get("places", True):
        for name in ("points", "multipolygons"):
            feats.extend(layer(name).to_dict("records"))
    if table.get("addresses", True):
        for row in feats:
            tags = _osm_tags(row)
            num, street = tags.get("addr:housenumber"), tags.get("addr:street")
            geom = row["geometry"]
            if num and street and geom is not None and not geom.is_empty:
                p = geom if geom.geom_type == "Point" else geom.representative_point()
                for n in re.split(r"[;,]", num):  # "10;12" is two numbers
                    if n.strip():
                        rec.point_text.append(f"{n.strip()} {street}")
                        rec.point_lon.append(float(p.x))
                        rec.point_lat.append(float(p.y))
        info["address_points"] = len(rec.point_text)
    if table.get("places", True):
        for row in feats:
            tags = _osm_tags(row)
            cat = next((f"{k}={tags[k]}" for k in _OSM_PLACE_KEYS if k in tags), None)
            geom = row["geometry"]
            if tags.get("name") and cat and geom is not None and not geom.is_empty:
                p = geom if geom.geom_type == "Point" else geom.representative_point()
                rec.places.append((tags["name"], float(p.x), float(p.y), cat))
        info["places"] = len(rec.places)
    rec.info = info
    return rec


READERS = {
    "address_points": read_address_points,
    "openaddresses": read_openaddresses,
    "centerlines": read_centerlines,
    "tiger_addrfeat": read_tiger_addrfeat,
    "tiger_edges": read_tiger_edges,
    "osm": read_osm,
    "roads": read_roads,
    "landmarks": read_landmarks,
}


# --------------------------------------------------------------------------- ranges → the index
def _offset_line(x: np.ndarray, y: np.ndarray, d: float) -> tuple[np.ndarray, np.ndarray]:
    """The polyline moved ``d`` to its left (negative: right), vertex by vertex (same count)."""
    dx, dy = np.diff(x), np.diff(y)
    seg = np.hypot(dx, dy)
    ok = seg > 0
    if not ok.any():
        return x.copy(), y.copy()
    nx = np.where(ok, -dy / np.where(ok, seg, 1), 0.0)  # left-hand unit normals per segment
    ny = np.where(ok, dx / np.where(ok, seg, 1), 0.0)
    vx = np.concatenate([[nx[0]], nx[:-1] + nx[1:], [nx[-1]]])
    vy = np.concatenate([[ny[0]], ny[:-1] + ny[1:], [ny[-1]]])
    norm = np.hypot(vx, vy)
    norm[norm == 0] = 1.0
    return x + d * vx / norm, y + d * vy / norm


def _parity_spans(r: RangeSide) -> list[tuple[int, int]]:
    """The range as same-parity (first, last) spans: one for E/O, two (evens, odds) for B."""
    step = 1 if r.last >= r.first else -1
    out = []
    for par in (0,) if r.parity == "E" else (1,) if r.parity == "O" else (0, 1):
        a = r.first if r.first % 2 == par else r.first + step
        b = r.last if r.last % 2 == par else r.last - step
        if (b - a) * step >= 0:
            out.append((a, b))
    return out


def range_entries(r: RangeSide, to_proj, to_wgs, offset: float) -> list[tuple]:
    """``StreetData.ranges`` tuples for one range side: one per parity, the line moved to its side.

    ``offset`` is in the projected CRS's units (0: on the line). A tuple is
    ``(lfrom, lto, rfrom, rto, lon, lat)`` with -1 for the other side.
    """
    lon, lat = r.lon, r.lat
    if offset > 0 and len(lon) >= 2:
        x, y = (np.asarray(v) for v in to_proj.transform(lon, lat))
        x, y = _offset_line(x, y, offset if r.side == "L" else -offset)
        lon, lat = (np.asarray(v) for v in to_wgs.transform(x, y))
    out = []
    for a, b in _parity_spans(r):
        out.append((a, b, -1, -1, lon, lat) if r.side == "L" else (-1, -1, a, b, lon, lat))
    return out

"""Build the geocoder's reference index from the configured layers (private; see geocoder.py).

Sources (each optional except the address points):

- ``[layers.address_points]``: house-numbered points (``address_column`` or ``number_column`` +
  ``street_column``; ``lon_column``/``lat_column``). County points, OpenAddresses, etc.
- ``[layers.centerlines]``: street lines with TIGER-style ranges (``from_left``…, ``name_field``).
- ``[layers.roads]``: named (major) roads; two roads' line intersections give intersections.
- ``[layers.landmarks]``: named places with coordinates.
- ``[layers.history]``: past records with an address and a beat: a hundred-block → beat guide.

The index is plain Python/numpy data, cached in the cache folder (pickle, cache only) under a
key made of the source files' content hashes and the layer configuration.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import pickle
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geo_heart.errors import ConfigError, DataSourceError
from geo_heart.geocode.address import street_key_from_text
from geo_heart.geocode.history_guide import _add_history, history_counts  # noqa: F401 - re-exported
from geo_heart.geocode.numbered import _point_texts, numbered_many  # noqa: F401 - re-exported
from geo_heart.io.files import atomic_write, file_sha1

log = logging.getLogger(__name__)

#: Bump when the index layout or the build rules change.
INDEX_VERSION = 14
#: one lock for the crossing tables built on first use (the service answers from many threads)
_CROSSINGS_LOCK = threading.Lock()
#: reference layer roles, in the order they are read (see :mod:`geo_heart.geocode.sources`)
ROLES = (
    "address_points", "openaddresses", "osm", "tiger_addrfeat", "tiger_edges", "centerlines",
    "roads", "landmarks", "history",
)  # fmt: skip
#: roles that carry house numbers (at least one is needed)
ADDRESS_ROLES = ("address_points", "openaddresses", "osm", "tiger_addrfeat", "tiger_edges",
                 "centerlines")  # fmt: skip
#: default side offset (metres) of a point placed along an address range, by role
SIDE_OFFSET_M = {"tiger_addrfeat": 10.0, "tiger_edges": 10.0}


@dataclass
class StreetData:
    """Everything known about one canonical street (``N DUKE ST``)."""

    key: str
    name: str
    numbers: np.ndarray | None = None  # sorted house numbers (unique)
    lon: np.ndarray | None = None
    lat: np.ndarray | None = None
    x_ft: np.ndarray | None = None
    y_ft: np.ndarray | None = None
    # hundred-block → beat → records (a History: its majority computed at build)
    history: dict[int, dict[str, float]] = field(default_factory=dict)
    # centerline segments: (lfrom, lto, rfrom, rto, lon array, lat array)
    ranges: list[tuple[int, int, int, int, np.ndarray, np.ndarray]] = field(default_factory=list)
    # a representative point for street-level matches (lon, lat), and where it came from
    mid: tuple[float, float] | None = None
    #: projected road lines of the street (``[layers.roads]``), each an ``(n, 2)`` array
    road_parts: list[np.ndarray] = field(default_factory=list)
    #: projected polyline parts through the known points (see :mod:`geo_heart.geocode.lines`)
    path_parts: list[np.ndarray] = field(default_factory=list)
    #: mean distance (projected units) of the known points from ``path_parts``
    path_sigma: float = 0.0


@dataclass
class ReferenceIndex:
    """The geocoder's reference data (see the module docstring)."""

    streets: dict[str, StreetData]
    by_name: dict[str, list[str]]
    #: where two road lines cross (a report: :func:`road_intersections`); None in a built index
    intersections: dict[tuple[str, str], tuple[float, float]] | None
    pair_history: dict[tuple[str, str], dict[str, int]]
    places: dict[str, tuple[float, float, str]]
    sources: dict[str, Any]
    version: int = INDEX_VERSION
    #: place key (name or alias) → (lon, lat, display name, category) from the ``[places]`` table
    named_places: dict[str, tuple[float, float, str, str]] = field(default_factory=dict)
    #: street pair → crossing record (see :func:`geo_heart.geocode.crossing_pairs.precompute_crossings`);
    #: None until the first crossing asks for it (:meth:`crossing_table`)
    crossings: dict[tuple[str, str], tuple] | None = None
    #: the CRS of the streets' projected coordinates (``x_ft``, ``road_parts``, ``path_parts``):
    #: the area file's ``[area] projected_crs`` (always set when the index is built)
    projected_crs: str | None = None
    #: metres per unit of ``projected_crs`` (set when the index is built)
    unit_m: float | None = None
    #: False until the streets' ``path_parts``/``path_sigma`` are made (:meth:`crossing_table`);
    #: an index made by hand sets them itself
    paths_ready: bool = True
    #: where the crossing table is cached (beside the index file; set when the index is loaded)
    crossings_file: Path | None = None

    def __getstate__(self) -> dict:
        # what is kept in memory only (a geocoder's street tables) stays out of the cache file;
        # the streets' point arrays are written packed (geo_heart.geocode.index_pickle)
        from geo_heart.geocode.index_pickle import pack_streets

        state = {k: v for k, v in self.__dict__.items() if k != "_street_tables"}
        got = pack_streets(self.streets) if isinstance(self.streets, dict) else None
        if got is not None:
            state["streets"], state["_packed_streets"] = got
        return state

    def __setstate__(self, state: dict) -> None:
        packed = state.pop("_packed_streets", None)
        self.__dict__.update(state)
        if packed is not None:
            from geo_heart.geocode.index_pickle import unpack_streets

            unpack_streets(self.streets, packed)

    def crossing_table(self) -> dict[tuple[str, str], tuple] | None:
        """Every pair of streets whose geometries come within reach (see
        :func:`geo_heart.geocode.crossing_pairs.crossing_pairs`), found on first use, with the
        streets' paths through their address points (``path_parts``, ``path_sigma``).

        Only crossings use either, and a lookup that names no crossing needs neither, so the
        index build leaves both out (they were half of a cold build). The first crossing makes
        them for every street at once and keeps them beside the cached index
        (``geocode-crossings-<key>.pkl``: the index's own key, written atomically), so the next
        process reads them. Thread-safe. None for an index without the metres per unit (one made
        by hand, with its paths): each pair is then computed when asked.
        """
        if self.unit_m is None or (self.crossings is not None and self.paths_ready):
            return self.crossings
        with _CROSSINGS_LOCK:
            if self.crossings is None or not self.paths_ready:
                _load_or_find_crossings(self)
        return self.crossings


def _load_or_find_crossings(idx: ReferenceIndex) -> None:
    """Set the index's street paths and crossing table from its cache file, else make them from
    its streets (and cache them)."""
    from geo_heart.geocode.crossing_pairs import crossing_pairs
    from geo_heart.geocode.lines import street_paths

    path = idx.crossings_file
    if path is not None and Path(path).exists():
        try:
            with open(path, "rb") as f:
                got = pickle.load(f)
            paths, pairs = got["paths"], got["pairs"]
            if not idx.paths_ready:
                for k, (parts, sigma) in paths.items():
                    sd = idx.streets[k]
                    sd.path_parts, sd.path_sigma = parts, sigma
                idx.paths_ready = True
            idx.crossings = pairs
            idx.sources["crossings"] = {"street_pairs": len(pairs)}
            return
        except Exception as exc:  # a corrupt cache is rebuilt, never fatal
            log.warning("crossing table cache %s unreadable (%s); rebuilding", path, exc)
    unit_m = float(idx.unit_m)
    if not idx.paths_ready:
        for sd in idx.streets.values():
            if sd.numbers is not None:
                sd.path_parts, sd.path_sigma = street_paths(sd.numbers, sd.x_ft, sd.y_ft, unit_m)
        idx.paths_ready = True
    idx.crossings = crossing_pairs(idx.streets, unit_m)
    idx.sources["crossings"] = {"street_pairs": len(idx.crossings)}
    if path is not None:
        paths = {
            k: (sd.path_parts, sd.path_sigma)
            for k, sd in idx.streets.items()
            if sd.numbers is not None
        }
        try:
            with atomic_write(path) as tmp, open(tmp, "wb") as f:
                pickle.dump(
                    {"paths": paths, "pairs": idx.crossings}, f, protocol=pickle.HIGHEST_PROTOCOL
                )
        except (OSError, DataSourceError) as exc:
            log.warning("cannot cache the crossing table in %s: %s", path, exc)


def _layer_sources(ws) -> dict[str, tuple[Path, dict]]:
    """Each configured reference layer: (path, table). ``optional = true`` layers whose file is
    absent are left out (a city may add TIGER or OSM files later)."""
    out = {}
    for role in ROLES:
        if role not in ws.config.layers:
            continue
        table = dict(ws.config.layers[role])
        if role == "history" and not table.get("use_for_geocoding", True):
            continue
        file = table.get("file")
        if not file:
            raise ConfigError(f"{ws.config.path}: layers.{role} has no key 'file'")
        if role == "history" and "_eval" in Path(file).name:
            raise ConfigError(
                f"{ws.config.path}: layers.history.file = {file!r} is an evaluation file; "
                "a reference must never be learned from *_eval files"
            )
        path = ws.data_path(file)
        if table.get("optional", False) and not path.exists():
            log.info("layers.%s: optional file %s absent; not used", role, path)
            continue
        out[role] = (path, table)
    if not any(r in out for r in ADDRESS_ROLES):
        raise ConfigError(
            f"{ws.config.path}: the geocoder needs one of the address layers "
            f"{['[layers.' + r + ']' for r in ADDRESS_ROLES]}"
        )
    return out


def index_key(ws) -> str:
    """Cache key: index version + each source file's content hash + its layer table."""
    h = hashlib.sha1(f"v{INDEX_VERSION}".encode())
    for role, (path, table) in sorted(_layer_sources(ws).items()):
        if not path.exists():
            if role in ADDRESS_ROLES:
                raise DataSourceError(
                    f"layers.{role}: file {str(path)!r} does not exist"
                    " (set the data folder with --data or GEO_HEART_DATA,"
                    " or run `geo-heart data fetch`)"
                )
            continue
        if not path.is_file():  # a link to /dev/zero or a FIFO would be hashed for ever
            raise DataSourceError(f"layers.{role}: {str(path)!r} is not a regular file")
        h.update(role.encode())
        h.update(file_sha1(path).encode())
        h.update(json.dumps(table, sort_keys=True, default=str).encode())
    beats = ws.data_path(ws.config.beats.file)  # crossings name the beats near them
    if beats.exists():
        h.update(b"beats")
        h.update(file_sha1(beats).encode())
    places = getattr(ws.config, "places_file", None)
    if places is not None and Path(places).exists():
        h.update(b"places")
        h.update(file_sha1(Path(places)).encode())
    return h.hexdigest()[:20]


def cache_path(ws) -> Path:
    """Where the index for this workspace is cached."""
    return Path(ws.settings.cache_dir) / f"geocode-index-{index_key(ws)}.pkl"


def load_or_build(ws, *, rebuild: bool = False) -> ReferenceIndex:
    """Read the cached index, or build it from the layers and cache it.

    The crossing table is not part of the index file: it is found on the first crossing and
    cached beside it (:meth:`ReferenceIndex.crossing_table`).
    """
    path = cache_path(ws)
    crossings_file = path.with_name(path.name.replace("geocode-index-", "geocode-crossings-"))
    if path.exists() and not rebuild:
        try:
            with open(path, "rb") as f:
                idx = pickle.load(f)
            if isinstance(idx, ReferenceIndex) and idx.version == INDEX_VERSION:
                idx.crossings_file = crossings_file
                return idx
        except Exception as exc:  # a corrupt cache is rebuilt, never fatal
            log.warning("geocode index cache %s unreadable (%s); rebuilding", path, exc)
    with _gc_paused():
        idx = build_index(ws)
    if rebuild:
        # found / computed again from the rebuilt streets
        crossings_file.unlink(missing_ok=True)
        records = crossings_file.with_name(
            crossings_file.name.replace("geocode-crossings-", "geocode-crossrecords-")
        )
        records.unlink(missing_ok=True)
    try:
        with _gc_paused(), atomic_write(path) as tmp, open(tmp, "wb") as f:
            pickle.dump(idx, f, protocol=pickle.HIGHEST_PROTOCOL)
    except (OSError, DataSourceError) as exc:
        log.warning("cannot cache the geocode index in %s: %s", path, exc)
    idx.crossings_file = crossings_file
    return idx


@contextlib.contextmanager
def _gc_paused():
    """The cyclic garbage collector paused while the index is built and written.

    The build makes some hundred thousand small containers that all live on (streets, blocks,
    lists), none of them garbage, and each allocation burst makes the collector walk every live
    object again: a fifth to a quarter of Durham's build. Reference counting still frees what
    goes out of use; the collector runs again on leaving (left paused if it was already)."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _col(table: dict, key: str, default: str | None = None) -> str | None:
    v = table.get(key, default)
    return None if v is None else str(v)


def _read(path: Path, role: str):
    from geo_heart.io.tables import read_table

    if not path.exists():
        raise DataSourceError(
            f"layers.{role}: file {str(path)!r} does not exist"
            " (set the data folder with --data or GEO_HEART_DATA,"
            " or run `geo-heart data fetch`)"
        )
    return read_table(path)


def _street(streets: dict[str, StreetData], key) -> StreetData:
    sd = streets.get(key.full)
    if sd is None:
        sd = streets[key.full] = StreetData(key=key.full, name=key.name)
    return sd


def build_index(ws, *, without: tuple[str, ...] = ()) -> ReferenceIndex:
    """Build the reference index from the configured layers (no cache).

    ``without`` names layer roles to leave out (an evaluation switches the road lines off to
    measure what the address points alone give).
    """
    import pandas as pd
    from pyproj import Transformer

    sources = {k: v for k, v in _layer_sources(ws).items() if k not in without}
    to_ft = Transformer.from_crs("EPSG:4326", ws.config.projected_crs, always_xy=True)
    unit_m = float(to_ft.target_crs.axis_info[0].unit_conversion_factor)
    streets: dict[str, StreetData] = {}
    info: dict[str, Any] = {}

    # --- read every layer into the same records (geo_heart.geocode.sources) ------------------
    from geo_heart.geocode.sources import range_entries

    records = _read_records(ws, sources)
    for role, rec in records.items():
        info[role] = rec.info

    # --- address points -------------------------------------------------------------------
    text, n_text = _point_texts(records)
    # (a layer's coordinates: a list, or an array as read from pyarrow)
    lon = np.concatenate([np.asarray(r.point_lon, dtype=float) for r in records.values()] + [[]])
    lat = np.concatenate([np.asarray(r.point_lat, dtype=float) for r in records.values()] + [[]])
    # coordinates outside WGS84 (lat=1e308, swapped columns …) are rejected and counted
    ok_xy = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    bad_xy = int((~ok_xy).sum())
    if bad_xy:
        log.warning("address points: %d row(s) with coordinates outside WGS84 rejected", bad_xy)
    # each (street, number): the mean of its points, streets in the order first seen; grouped
    # with one sort (an address with more than two points: np.mean, the same floats as before)
    ok_rows = np.flatnonzero(ok_xy)
    if isinstance(text, list):
        nums, kcodes, kobjs = numbered_many([text[i] for i in ok_rows.tolist()])
    else:
        nums, kcodes, kobjs = numbered_many(text.take(ok_rows))
    numbered = kcodes >= 0
    skipped = bad_xy + int((~numbered).sum())
    pos = ok_rows[numbered]
    kcodes = kcodes[numbered]
    # streets coded in the order first seen (row order); each keeps the key of its last point,
    # as a dict filled row by row would
    full_code = pd.factorize(np.array([k.full if k else "" for k in kobjs], dtype=object))[0]
    scode, uniq = pd.factorize(full_code[kcodes] if len(kcodes) else np.zeros(0, np.int64))
    last = np.zeros(len(uniq), dtype=np.int64)
    np.maximum.at(last, scode, np.arange(len(scode)))
    keys = [kobjs[kcodes[j]] for j in last.tolist()]
    code = uniq  # len(code): streets with points
    snum = nums[numbered]
    pos_a = np.asarray(pos, dtype=np.int64)
    scode_a = np.asarray(scode, dtype=np.int64)
    snum_a = np.asarray(snum, dtype=np.int64)
    order = np.lexsort((snum_a, scode_a))  # stable: a group's points in input order
    pos_a, scode_a, snum_a = pos_a[order], scode_a[order], snum_a[order]
    new_group = np.ones(len(pos_a), dtype=bool)
    new_group[1:] = (scode_a[1:] != scode_a[:-1]) | (snum_a[1:] != snum_a[:-1])
    starts = np.flatnonzero(new_group)
    n_addresses = len(starts)
    counts = np.diff(np.append(starts, len(pos_a)))
    if n_addresses:
        lon_s, lat_s = lon[pos_a], lat[pos_a]
        g_lon = np.add.reduceat(lon_s, starts) / counts
        g_lat = np.add.reduceat(lat_s, starts) / counts
        for k in np.flatnonzero(counts > 2).tolist():  # np.mean's own summation order
            a, b = starts[k], starts[k] + counts[k]
            g_lon[k], g_lat[k] = np.mean(lon_s[a:b]), np.mean(lat_s[a:b])
        g_x, g_y = (np.asarray(v) for v in to_ft.transform(g_lon, g_lat))
    g_code = scode_a[starts]
    g_num = snum_a[starts]
    bounds = np.flatnonzero(np.diff(g_code)) + 1
    seg_a = np.r_[0, bounds].astype(np.int64) if n_addresses else np.zeros(0, np.int64)
    seg_b = np.r_[bounds, n_addresses].astype(np.int64) if n_addresses else seg_a
    if n_addresses:
        # each street's middle point: its known point nearest the mean of its points (projected),
        # for all streets at once (a segment's reduceat sum is np.mean's own sum of the segment)
        seg_n = seg_b - seg_a
        rep = np.repeat(np.arange(len(seg_a)), seg_n)
        mx = np.add.reduceat(g_x, seg_a) / seg_n
        my = np.add.reduceat(g_y, seg_a) / seg_n
        d2 = (g_x - mx[rep]) ** 2 + (g_y - my[rep]) ** 2
        lowest = np.flatnonzero(d2 == np.minimum.reduceat(d2, seg_a)[rep])
        first_low = lowest[np.r_[True, rep[lowest][1:] != rep[lowest][:-1]]]  # argmin: first
        mid_lon, mid_lat = g_lon[first_low].tolist(), g_lat[first_low].tolist()
    for s, (a, b) in enumerate(zip(seg_a.tolist(), seg_b.tolist(), strict=True)):
        sd = _street(streets, keys[int(g_code[a])])
        sd.numbers = g_num[a:b].copy()
        sd.lon = g_lon[a:b].copy()
        sd.lat = g_lat[a:b].copy()
        sd.x_ft, sd.y_ft = g_x[a:b].copy(), g_y[a:b].copy()
        sd.mid = (mid_lon[s], mid_lat[s])
        # its path through the points (path_parts): made with the crossing table, on first use
    info["points"] = {
        "rows": n_text, "addresses": n_addresses, "streets": len(code),
        "skipped": skipped, "bad_coordinates": bad_xy,
    }  # fmt: skip
    if "address_points" in info:
        info["address_points"].update(info["points"])

    # --- address ranges (centerlines, TIGER), each side moved off the line -------------------
    to_wgs = None  # made for the first range (a layer without ranges never pays for it)
    n_ranges = 0
    for role, rec in records.items():
        offset = float(ws.config.layers[role].get("side_offset_m", SIDE_OFFSET_M.get(role, 0.0)))
        for r in rec.ranges:
            if to_wgs is None:
                to_wgs = Transformer.from_crs(ws.config.projected_crs, "EPSG:4326", always_xy=True)
            key = street_key_from_text(r.name)
            if key is None:
                continue
            sd = _street(streets, key)
            entries = range_entries(r, to_ft, to_wgs, offset / unit_m)
            sd.ranges.extend(entries)
            n_ranges += len(entries)
            if sd.mid is None and entries:
                xs, ys = r.lon, r.lat
                sd.mid = (float(xs[len(xs) // 2]), float(ys[len(ys) // 2]))
    info["ranges"] = {"entries": n_ranges}

    # --- street lines: names and road parts (where two roads cross: road_intersections) ---------
    lines = [ln for rec in records.values() for ln in rec.lines]
    if lines:
        _add_roads(streets, lines, to_ft, info)

    # --- named places (landmarks, OSM) ----------------------------------------------------------
    places: dict[str, tuple[float, float, str]] = {}
    for rec in records.values():
        for name, x, y, _cat in rec.places:
            places.setdefault(place_key(name), (x, y, name))

    # --- history: hundred-block → beat guide -------------------------------------------------------
    pair_history: dict[tuple[str, str], dict[str, int]] = {}
    if "history" in sources and sources["history"][0].exists():
        pair_history = _add_history(streets, *sources["history"], info)

    by_name: dict[str, list[str]] = defaultdict(list)
    for key, sd in streets.items():
        by_name[sd.name].append(key)
    for v in by_name.values():
        v.sort()
    log.info("geocode index: %d streets", len(streets))
    idx = ReferenceIndex(
        streets=streets, by_name=dict(by_name), intersections=None,
        pair_history=pair_history, places=places, sources=info,
        projected_crs=str(ws.config.projected_crs), unit_m=unit_m, paths_ready=False,
    )  # fmt: skip
    # the street paths and crossing table: made on the first crossing asked for (crossing_table)
    places_file = getattr(ws.config, "places_file", None)
    if places_file is not None:
        idx.named_places = _read_places(ws, idx, Path(places_file), info)
    return idx


def _read_places(ws, idx: ReferenceIndex, path: Path, info: dict) -> dict:
    """The ``[places]`` table: each row's name and aliases → its point (address geocoded here)."""
    import pandas as pd

    from geo_heart.config.places import read_places_table
    from geo_heart.geocode.match import Geocoder

    df = read_places_table(path)  # the same checks as `area check`
    g = Geocoder(idx, ws.beat_index, ws.config.service_area)
    out: dict[str, tuple[float, float, str, str]] = {}
    skipped = []
    for i, row in df.iterrows():
        name = row["name"].strip()
        lon = pd.to_numeric(row["lon"], errors="coerce")
        lat = pd.to_numeric(row["lat"], errors="coerce")
        if row["address"].strip() and not (np.isfinite(lon) and np.isfinite(lat)):
            # a point, when given, is the more specific; else the address, geocoded here
            r = g.geocode_one(row["address"])
            good = r.status == "ok" and r.score >= 0.6
            if r.lon is None or not good or r.match_type in ("nearest_address", "street"):
                skipped.append(f"row {i + 2} {name!r}: address {row['address']!r} not placed")
                continue
            lon, lat = r.lon, r.lat
        if not (np.isfinite(lon) and np.isfinite(lat)):
            skipped.append(f"row {i + 2} {name!r}: neither an address nor lon/lat")
            continue
        for alias in [name, *row["aliases"].split(";")]:
            k = place_key(alias)
            if k:
                out.setdefault(k, (float(lon), float(lat), name, row["category"].strip()))
    for msg in skipped:
        log.warning("places %s: %s", path.name, msg)
    info["places"] = {"file": str(path), "rows": len(df), "names": len(out), "skipped": skipped}
    return out


_RE_PLACE = re.compile(r"[^A-Z0-9 ]")


def place_key(name: str) -> str:
    """Normalised place name (``Bay-Hargrove Park`` → ``BAY HARGROVE PARK``)."""
    return " ".join(_RE_PLACE.sub(" ", str(name).upper()).split())


def _road_keys(name: str | None, ref: str | None) -> list:
    keys = []
    if name and name not in ("None", "nan"):
        k = street_key_from_text(name)
        if k is not None:
            keys.append(k)
    if ref and ref not in ("None", "nan"):
        parts = [r.strip() for r in ref.split(";") if r.strip()]
        for r in parts:
            k = street_key_from_text(r)
            if k is not None:
                keys.append(k)
        # "US 15;US 501" is written "US 15 501 HWY" in Durham's records
        systems = defaultdict(list)
        for r in parts:
            m = re.fullmatch(r"(US|NC|I)\s*-?\s*(\d+)", r)
            if m:
                systems[m.group(1)].append(m.group(2))
        for sys_, nums in systems.items():
            if len(nums) > 1:
                k = street_key_from_text(f"{sys_} {' '.join(nums)}")
                if k is not None:
                    keys.append(k)
    return keys


def _read_records(ws, sources: dict) -> dict:
    """Each reference layer but the history read into records (:mod:`.sources`)."""
    from geo_heart.geocode.sources import READERS

    records = {}
    for role, (path, table) in sources.items():
        if role == "history" or (role in ("roads", "landmarks") and not path.exists()):
            continue
        kw = {}
        if role == "osm" and table.get("clip_to_beats", True):
            import shapely

            x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(ws.beat_index.geoms))
            m = float(table.get("clip_margin_deg", 0.05))
            kw["bbox"] = (x0 - m, y0 - m, x1 + m, y1 + m)
        records[role] = READERS[role](path, table, role, **kw)
    return records


def _road_lines(records: list) -> tuple[list[str], dict, list]:
    """Street lines ``(name, ref, geometry)`` → (street keys sorted, key objects, each key's
    lines merged into one geometry)."""

    lines: dict[str, list] = defaultdict(list)
    keyobj = {}
    keys_of: dict[tuple, list] = {}  # many lines share a name and ref: each read once
    for name, ref, geom in records:
        if geom is None or geom.is_empty:
            continue
        ks = keys_of.get((name, ref))
        if ks is None:
            ks = keys_of[(name, ref)] = _road_keys(name, ref)
        for k in ks:
            lines[k.full].append(geom)
            keyobj[k.full] = k
    keys = sorted(lines)
    return keys, keyobj, union_each([lines[k] for k in keys])


def union_each(groups: list[list]) -> list:
    """Each group's geometries merged (``shapely.union_all`` of each list), a few calls in all.

    Groups of about one size (the same power of two above their length) are padded with None to
    one width and merged along that axis: shapely makes the same geometry collection of each row
    as of the list alone (a missing geometry is left out) and GEOS unions it alike, so the
    results are the per-list calls' (``tests/geocode/test_road_union.py`` checks this) without
    a Python call per street, and the padding is at most the groups' own size.
    """
    import shapely

    out: list = [None] * len(groups)
    by_width: dict[int, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        by_width[1 << max(len(g) - 1, 0).bit_length()].append(i)
    for width, rows in by_width.items():
        arr = np.full((len(rows), width), None, dtype=object)
        for r, i in enumerate(rows):
            arr[r, : len(groups[i])] = groups[i]
        for i, merged in zip(rows, shapely.union_all(arr, axis=1), strict=True):
            out[i] = merged
    return out


def _add_roads(streets, records: list, to_ft, info) -> None:
    """Street lines ``(name, ref, geometry)`` → each street's road parts (and middle point)."""
    import shapely

    keys, keyobj, merged = _road_lines(records)
    joined = shapely.line_merge(np.array(merged, dtype=object)) if merged else []
    # every part's coordinates projected in one call (the same numbers, point by point)
    owner, coords = [], []
    for i, g in enumerate(joined):
        for part in shapely.get_parts(g):
            xy = shapely.get_coordinates(part)
            if len(xy) >= 2:
                owner.append(i)
                coords.append(xy)
    if coords:
        allxy = np.concatenate(coords)
        px, py = to_ft.transform(allxy[:, 0], allxy[:, 1])
        projected = np.column_stack([px, py])
        at = 0
        for i, xy in zip(owner, coords, strict=True):
            sd = _street(streets, keyobj[keys[i]])
            sd.road_parts.append(projected[at : at + len(xy)].copy())
            at += len(xy)
    for k, g, gm in zip(keys, merged, joined, strict=True):
        sd = _street(streets, keyobj[k])
        if sd.mid is None:
            p = shapely.line_interpolate_point(gm, 0.5, normalized=True)
            if p.is_empty:
                p = g.representative_point()
            sd.mid = (float(p.x), float(p.y))
    info["lines"] = {"records": len(records), "named_roads": len(keys)}


def road_intersections(ws) -> dict[tuple[str, str], tuple[float, float]]:
    """Where two differently named roads of the reference layers cross: ``(street a, street b)
    → (lon, lat)`` (the crossing nearest the middle of their crossings).

    A report (``geo-heart index build``/``info`` count them), never used to answer a lookup
    (crossings are located from the streets' shapes: :mod:`.intersect`), so the index build
    leaves it out and this reads the line layers again.
    """
    import shapely

    records = _read_records(ws, _layer_sources(ws))
    keys, keyobj, merged = _road_lines([ln for rec in records.values() for ln in rec.lines])
    if not merged:
        return {}
    tree = shapely.STRtree(merged)
    left, right = tree.query(merged, predicate="intersects")
    out: dict[tuple[str, str], tuple[float, float]] = {}
    names = [keyobj[k].name for k in keys]
    use = np.array(
        [
            i < j and names[i] != names[j]
            for i, j in zip(left.tolist(), right.tolist(), strict=True)
        ],
        dtype=bool,
    )
    left, right = left[use], right[use]
    arr = np.array(merged, dtype=object)
    inters = shapely.intersection(arr[left], arr[right]) if len(left) else []
    for i, j, inter in zip(left.tolist(), right.tolist(), inters, strict=True):
        if inter.is_empty:
            continue
        pts = shapely.get_coordinates(inter)
        # several crossings: take the one nearest the crossings' middle (deterministic)
        c = pts.mean(axis=0)
        p = pts[int(np.argmin(((pts - c) ** 2).sum(axis=1)))]
        out[(keys[i], keys[j])] = (float(p[0]), float(p[1]))
    return out

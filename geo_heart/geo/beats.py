"""The beat index: point → police beat and district, one at a time or millions at once.

Loading
    Any polygon layer pyogrio can read (GeoJSON, Shapefile, GeoPackage …). The layer must carry a CRS
    (GeoJSON is WGS84 by definition); it is transformed to WGS84 lon/lat with ``always_xy=True``.
    Multi-part beats are dissolved by the configured id field, invalid rings are repaired with
    ``shapely.make_valid`` and anything that is not polygonal is dropped.

Lookup rule
    A point belongs to a beat whose *closed* polygon covers it (interior or boundary). A point on a
    shared boundary is covered by several beats: it goes to the beat whose id sorts first, and the
    single-point lookup reports ``on_boundary=True`` with every beat that covers it. A point covered by
    no beat gets no beat, ``status="outside"`` and a reason; the single-point lookup also names the
    nearest beat and the distance to it in metres (measured in the area's projected CRS).
    Coordinates that are missing, not finite or outside lon -180..180 / lat -90..90 get
    ``status="invalid"``.

Speed
    A regular grid over the layer's extent is precomputed: each cell is either wholly inside one beat
    (answered by an array read), touched by no beat (outside), or on a boundary (exact test against
    the few beats that touch it, with prepared geometries). The grid and the dissolved geometries are
    cached in the cache folder under a key made of the layer file's content hash and the
    configuration, so a second start reads one ``.npz`` file and never imports geopandas.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from geo_heart.config.areafile import AreaConfig
from geo_heart.errors import CRSError, DataSourceError, InputError
from geo_heart.geo._layer import (
    EARTH_RADIUS_M,
    _build_grid,
    _cache_key,
    _polygonal,
    _read_layer,
    _repair,
    _to_wgs84,
    great_circle_m,
)
from geo_heart.geo.codes import beat_code, beat_sort_key

log = logging.getLogger(__name__)

#: Serialises the exact tests against prepared geometries: GEOS builds a prepared geometry's
#: internal index on first use, and two threads doing so at once abort the process (seen with
#: threaded dask workers, and with the service's thread pool answering points on beat edges).
#: Every predicate that can run on a shared prepared geometry from more than one thread holds it.
PREPARED_LOCK = threading.RLock()

#: Half the Earth's circumference: no distance on the globe is longer.
HALF_EARTH_M = math.pi * EARTH_RADIUS_M
#: Points farther than this (degrees) outside the beats' extent get great-circle distances.
NEAR_DEG = 2.0

#: Bump when the cache layout or the grid rule changes.
INDEX_FORMAT = 3
#: Cells along the longer side of the layer's extent.
GRID_CELLS = 768

STATUS_OK = "ok"
STATUS_OUTSIDE = "outside"
STATUS_INVALID = "invalid"

_SQ_FT_PER_SQ_MI = 5280.0**2


@dataclass(frozen=True)
class BeatHit:
    """The answer for one point.

    Attributes
    ----------
    beat, district
        The beat code and its district, or ``None`` when the point is in no beat.
    status
        ``"ok"``, ``"outside"`` or ``"invalid"``.
    reason
        Plain-language explanation when status is not ``"ok"`` (empty otherwise), or a note when the
        point lies on a boundary.
    on_boundary
        True when more than one beat covers the point (it lies on a shared edge).
    covering
        Every beat covering the point (more than one only on a boundary).
    nearest_beat, distance_m
        For points outside every beat: the closest beat and the distance to it, in metres.
    """

    beat: str | None
    district: str | None
    status: str
    reason: str = ""
    on_boundary: bool = False
    covering: tuple[str, ...] = ()
    nearest_beat: str | None = None
    distance_m: float | None = None


#: :meth:`BeatIndex.assign`'s status and reason by code (0 invalid, 1 outside, 2 ok)
_STATUS_LUT = np.array([STATUS_INVALID, STATUS_OUTSIDE, STATUS_OK], dtype=object)
_REASON_LUT = np.array(
    [
        "missing or invalid coordinates (need WGS84 lon -180..180, lat -90..90)",
        "outside every beat of the layer",
        "",
    ],
    dtype=object,
)
#: the reason of an invalid row whose numbers are finite but out of WGS84's range
PROJECTED_REASON = (
    "coordinates out of WGS84 range (lon -180..180, lat -90..90): projected x/y (feet or "
    "metres)? give their CRS (--input-crs)"
)


@dataclass
class BeatIndex:
    """Dissolved beat polygons (WGS84) plus a lookup grid.

    Build with :meth:`from_area` (cached) or :meth:`from_geometries` (in memory, for tests and other
    layers). Beats are kept sorted by id; ``ids[i]`` is the beat of ``geoms[i]``.
    """

    ids: np.ndarray  # str, sorted
    districts: np.ndarray  # str ('' when unknown)
    geoms: np.ndarray  # shapely (Multi)Polygons in EPSG:4326
    x0: float
    y0: float
    dx: float
    dy: float
    nx: int
    ny: int
    grid: np.ndarray  # int32 [ny, nx]: >=0 beat index, -1 outside, <=-2 boundary row -(v+2)
    cand: np.ndarray  # bool [n_boundary_rows, n_beats]
    projected_crs: str = "EPSG:3857"
    source: str = ""
    #: features of the layer left out because their id is empty or null (counted and reported)
    skipped_no_id: int = 0
    _position: dict[str, int] = field(default_factory=dict, repr=False)
    _projected: np.ndarray | None = field(default=None, repr=False)
    _to_projected: object | None = field(default=None, repr=False)
    _tree: object | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        shapely.prepare(self.geoms)
        self._position = {b: i for i, b in enumerate(self.ids.tolist())}
        self._id_list = self.ids.tolist()
        self._district_list = self.districts.tolist()
        self._grid_list = self.grid.tolist()
        self._cand_lists = [tuple(np.flatnonzero(row).tolist()) for row in self.cand]

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_geometries(
        cls,
        ids: Sequence[object],
        geoms: Sequence[shapely.Geometry],
        districts: Sequence[object] | None = None,
        *,
        crs: object,
        projected_crs: str = "EPSG:3857",
        grid_cells: int = GRID_CELLS,
        source: str = "",
    ) -> BeatIndex:
        """Build an index from polygons (dissolving repeated ids).

        Parameters
        ----------
        ids, geoms, districts
            Parallel sequences; several parts with one id are dissolved into one beat.
        crs
            CRS of ``geoms`` (anything pyproj accepts). Required: never guessed.
        projected_crs
            CRS for distances (metres or feet).
        grid_cells
            Grid cells along the longer side of the extent.
        """
        if crs is None:
            raise CRSError("the beats layer has no CRS; set one (for example EPSG:4326) and retry")
        geoms_arr = np.asarray(geoms, dtype=object)
        ids_arr = np.array([beat_code(i) for i in ids], dtype=object)
        if districts is None:
            dist_arr = np.array([""] * len(ids_arr), dtype=object)
        else:
            dist_arr = np.array(
                ["" if d is None else str(d).strip() for d in districts], dtype=object
            )
        if len(ids_arr) != len(geoms_arr) or len(dist_arr) != len(geoms_arr):
            raise InputError("ids, geometries and districts must have the same length")
        if len(ids_arr) == 0:
            raise DataSourceError("the beats layer has no features")
        geoms_arr = _to_wgs84(geoms_arr, crs)
        geoms_arr = _repair(geoms_arr)
        no_id = ids_arr == ""
        skipped = int(no_id.sum())
        if skipped:
            log.warning(
                "beats layer %s: %d feature(s) have an empty or null id and were left out",
                source or "(geometries)",
                skipped,
            )
        keep = ~shapely.is_empty(geoms_arr) & ~no_id
        if not keep.any():
            raise DataSourceError(
                f"beats layer {source or '(geometries)'!r} has no feature with an id and a "
                f"geometry ({skipped} without an id)"
            )
        geoms_arr, ids_arr, dist_arr = geoms_arr[keep], ids_arr[keep], dist_arr[keep]
        uniq = sorted(set(ids_arr.tolist()), key=beat_sort_key)
        out_geoms, out_dists = [], []
        for beat in uniq:
            sel = ids_arr == beat
            merged = shapely.union_all(geoms_arr[sel])
            out_geoms.append(_polygonal(shapely.make_valid(merged)))
            ds = [d for d in dist_arr[sel].tolist() if d]
            out_dists.append(max(set(ds), key=ds.count) if ds else "")
        index = cls._with_grid(
            np.array(uniq, dtype=object),
            np.array(out_dists, dtype=object),
            np.array(out_geoms, dtype=object),
            grid_cells=grid_cells,
            projected_crs=projected_crs,
            source=source,
        )
        index.skipped_no_id = skipped
        return index

    @classmethod
    def _with_grid(
        cls,
        ids: np.ndarray,
        districts: np.ndarray,
        geoms: np.ndarray,
        *,
        grid_cells: int,
        projected_crs: str,
        source: str,
    ) -> BeatIndex:
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
        span = max(xmax - xmin, ymax - ymin)
        # pad so that edge points fall in a cell, and cells are square in degrees
        pad = span * 1e-3
        xmin, ymin, xmax, ymax = xmin - pad, ymin - pad, xmax + pad, ymax + pad
        d = max(xmax - xmin, ymax - ymin) / grid_cells
        nx = max(1, math.ceil((xmax - xmin) / d))
        ny = max(1, math.ceil((ymax - ymin) / d))
        grid, cand = _build_grid(geoms, xmin, ymin, d, d, nx, ny)
        return cls(
            ids=ids,
            districts=districts,
            geoms=geoms,
            x0=xmin,
            y0=ymin,
            dx=d,
            dy=d,
            nx=nx,
            ny=ny,
            grid=grid,
            cand=cand,
            projected_crs=projected_crs,
            source=source,
        )

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        id_field: str,
        district_field: str | None = None,
        projected_crs: str = "EPSG:3857",
        cache_dir: str | Path | None = None,
        grid_cells: int = GRID_CELLS,
    ) -> BeatIndex:
        """Load (or read from cache) the index of a beats layer file."""
        path = Path(path)
        if not path.exists():
            raise DataSourceError(
                f"beats layer {str(path)!r} does not exist (set the data folder with --data or "
                "GEO_HEART_DATA, or run `geo-heart data fetch`)"
            )
        key = None
        if cache_dir is not None:
            key = _cache_key(
                path, INDEX_FORMAT, id_field, district_field, projected_crs, grid_cells
            )
            cached = Path(cache_dir) / f"beats-{key}.npz"
            if cached.exists():
                try:
                    return cls._load_npz(cached, source=str(path))
                except (OSError, ValueError, KeyError) as exc:
                    log.warning("ignoring unreadable beat cache %s: %s", cached, exc)
        ids, geoms, districts, crs = _read_layer(path, id_field, district_field)
        index = cls.from_geometries(
            ids,
            geoms,
            districts,
            crs=crs,
            projected_crs=projected_crs,
            grid_cells=grid_cells,
            source=str(path),
        )
        if cache_dir is not None and key is not None:
            try:
                index._save_npz(Path(cache_dir) / f"beats-{key}.npz")
            except OSError as exc:
                log.warning("could not write beat cache in %s: %s", cache_dir, exc)
        return index

    @classmethod
    def from_area(
        cls, area: AreaConfig, data_dir: str | Path, *, cache_dir: str | Path | None
    ) -> BeatIndex:
        """Load the beats layer named by an area configuration."""
        p = Path(area.beats.file).expanduser()
        p = p if p.is_absolute() else Path(data_dir) / p
        if p.exists() and not (p.is_file() or p.is_dir()):  # a FIFO, /dev/zero: never read
            raise DataSourceError(f"beats.file: {str(p)!r} is not a regular file")
        return cls.from_file(
            p,
            id_field=area.beats.id_field,
            district_field=area.beats.district_field,
            projected_crs=area.projected_crs,
            cache_dir=cache_dir,
        )

    def _save_npz(self, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        wkb = shapely.to_wkb(self.geoms)
        lengths = np.array([len(w) for w in wkb], dtype=np.int64)
        blob = np.frombuffer(b"".join(wkb), dtype=np.uint8)
        meta = {
            "format": INDEX_FORMAT,
            "ids": self.ids.tolist(),
            "districts": self.districts.tolist(),
            "grid": [self.x0, self.y0, self.dx, self.dy, self.nx, self.ny],
            "projected_crs": self.projected_crs,
            "skipped_no_id": self.skipped_no_id,
        }
        from geo_heart.io.files import atomic_write

        with atomic_write(target) as tmp, open(tmp, "wb") as fh:
            self._write_npz(fh, meta, blob, lengths)

    def _write_npz(self, fh, meta: dict, blob: np.ndarray, lengths: np.ndarray) -> None:
        import zipfile

        cand = np.packbits(self.cand, axis=1) if self.cand.size else self.cand.astype(np.uint8)
        arrays = {
            "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            "wkb": blob,
            "wkb_len": lengths,
            "grid": self.grid,
            "cand": cand,
            "cand_shape": np.array(self.cand.shape, dtype=np.int64),
        }
        # np.savez_compressed's layout (np.load reads it), deflated at level 1: a third of the
        # time of its level 6 on a first run, for a file about a fifth larger; the outlines'
        # WKB (doubles: deflate took a third off Durham's for most of the write time) is stored
        with zipfile.ZipFile(fh, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for name, arr in arrays.items():
                z.compression = zipfile.ZIP_STORED if name == "wkb" else zipfile.ZIP_DEFLATED
                with z.open(f"{name}.npy", "w", force_zip64=True) as f:
                    np.lib.format.write_array(f, np.asanyarray(arr), allow_pickle=False)

    @classmethod
    def _load_npz(cls, path: Path, *, source: str) -> BeatIndex:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            if meta.get("format") != INDEX_FORMAT:
                raise ValueError("old cache format")
            blob = z["wkb"].tobytes()
            lengths = z["wkb_len"]
            grid = z["grid"]
            shape = tuple(int(v) for v in z["cand_shape"])
            packed = z["cand"]
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        wkb = [blob[offsets[i] : offsets[i + 1]] for i in range(len(lengths))]
        cand = (
            np.unpackbits(packed, axis=1, count=shape[1]).astype(bool)
            if shape[0]
            else np.zeros(shape, dtype=bool)
        )
        x0, y0, dx, dy, nx, ny = meta["grid"]
        return cls(
            ids=np.array(meta["ids"], dtype=object),
            districts=np.array(meta["districts"], dtype=object),
            geoms=shapely.from_wkb(np.array(wkb, dtype=object)),
            x0=x0,
            y0=y0,
            dx=dx,
            dy=dy,
            nx=int(nx),
            ny=int(ny),
            grid=grid,
            cand=cand,
            projected_crs=meta["projected_crs"],
            source=source,
            skipped_no_id=int(meta.get("skipped_no_id", 0)),
        )

    # ------------------------------------------------------------------ queries
    @property
    def beats(self) -> list[str]:
        """Beat codes, sorted."""
        return list(self._id_list)

    def district_of(self, beat: str) -> str | None:
        """District of a beat code, or ``None`` if the code is not in the layer."""
        i = self._position.get(beat)
        return None if i is None else (self._district_list[i] or None)

    def geometry_of(self, beat: str) -> shapely.Geometry:
        """The dissolved polygon of a beat (WGS84)."""
        try:
            return self.geoms[self._position[beat]]
        except KeyError:
            raise InputError(f"beat {beat!r} is not in the layer; beats: {self.beats}") from None

    def locate(self, lon: float, lat: float, *, nearest: bool = False) -> BeatHit:
        """Beat and district of one WGS84 point (see the module docstring for the rule).

        With ``nearest=True`` a point outside every beat also gets the closest beat and the
        distance to it (a few hundred microseconds more, only for such points).
        """
        try:
            x = float(lon)
            y = float(lat)
        except (TypeError, ValueError):
            return BeatHit(
                None, None, STATUS_INVALID, f"coordinates ({lon!r}, {lat!r}) are not numbers"
            )
        if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
            return BeatHit(
                None,
                None,
                STATUS_INVALID,
                f"coordinates ({lon!r}, {lat!r}) are not a WGS84 lon/lat (lon -180..180, lat -90..90)",
            )
        ix = int((x - self.x0) / self.dx)
        iy = int((y - self.y0) / self.dy)
        if 0 <= ix < self.nx and 0 <= iy < self.ny and x >= self.x0 and y >= self.y0:
            v = self._grid_list[iy][ix]
            if v >= 0:
                return BeatHit(
                    self._id_list[v],
                    self._district_list[v] or None,
                    STATUS_OK,
                    covering=(self._id_list[v],),
                )
            if v < -1:
                with PREPARED_LOCK:  # GEOS prepared geometries are not safe across threads
                    hits = [
                        i
                        for i in self._cand_lists[-(v + 2)]
                        if shapely.intersects_xy(self.geoms[i], x, y)
                    ]
                if hits:
                    i = hits[0]
                    covering = tuple(self._id_list[j] for j in hits)
                    note = (
                        f"on the boundary of beats {', '.join(covering)}: assigned to {covering[0]} "
                        "(the first by id)"
                        if len(hits) > 1
                        else ""
                    )
                    return BeatHit(
                        self._id_list[i],
                        self._district_list[i] or None,
                        STATUS_OK,
                        note,
                        on_boundary=len(hits) > 1,
                        covering=covering,
                    )
        text = f"point ({x:.6f}, {y:.6f}) is outside every beat of the layer"
        if not nearest:
            return BeatHit(None, None, STATUS_OUTSIDE, text)
        near, dist = self.nearest(x, y)
        return BeatHit(
            None,
            None,
            STATUS_OUTSIDE,
            f"{text}; nearest beat {near} is {dist:,.0f} m away",
            nearest_beat=near,
            distance_m=dist,
        )

    def nearest(self, lon: float, lat: float) -> tuple[str, float]:
        """The closest beat to a point and the distance in metres.

        Near the beats (within :data:`NEAR_DEG` degrees of their extent) the distance is measured
        in the area's projected CRS; farther away, where a local projection distorts or fails
        (poles, the antimeridian), it is the great-circle distance to the beat's nearest point.
        Never more than half the Earth's circumference.
        """
        x0, y0, x1, y1 = self._extent()
        if x0 - NEAR_DEG <= lon <= x1 + NEAR_DEG and y0 - NEAR_DEG <= lat <= y1 + NEAR_DEG:
            proj = self._projected_geoms()
            px, py = self._transformer().transform(lon, lat)
            if math.isfinite(px) and math.isfinite(py):
                if self._tree is None:
                    self._tree = shapely.STRtree(proj)
                found, dist = self._tree.query_nearest(
                    shapely.Point(px, py), return_distance=True, all_matches=True
                )
                i = int(np.min(found))  # ties: first by id
                d = float(dist.min()) * self._unit_to_m
                if math.isfinite(d):
                    return self._id_list[i], min(d, HALF_EARTH_M)
        return self._nearest_great_circle(lon, lat)

    def _extent(self) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(self.geoms))
        return x0, y0, x1, y1

    def _nearest_great_circle(self, lon: float, lat: float) -> tuple[str, float]:
        """Nearest beat by great-circle distance to each beat's closest outline point."""
        point = shapely.Point(lon, lat)
        best_i, best_d = 0, math.inf
        for i, geom in enumerate(self.geoms):
            q = shapely.shortest_line(geom, point)
            qx, qy = shapely.get_coordinates(q)[0]
            d = great_circle_m(lon, lat, float(qx), float(qy))
            if d < best_d:  # ties: first by id
                best_i, best_d = i, d
        return self._id_list[best_i], min(best_d, HALF_EARTH_M)

    def _transformer(self):
        if self._to_projected is None:
            from pyproj import Transformer

            from geo_heart.io.files import crs_unit_to_m

            self._unit_to_m = crs_unit_to_m(self.projected_crs)
            self._to_projected = Transformer.from_crs(
                "EPSG:4326", self.projected_crs, always_xy=True
            )
        return self._to_projected

    def projected(self) -> tuple[np.ndarray, shapely.STRtree, float]:
        """The beats in the area's projected CRS (``geoms[i]`` is beat ``ids[i]``), an STRtree over
        them and the metres in one unit of that CRS (built once, shared with :meth:`nearest`)."""
        proj = self._projected_geoms()
        if self._tree is None:
            self._tree = shapely.STRtree(proj)
        return proj, self._tree, self._unit_to_m  # type: ignore[return-value]

    def _projected_geoms(self) -> np.ndarray:
        if self._projected is None:
            t = self._transformer()
            self._projected = shapely.transform(
                self.geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))
            )
        return self._projected

    def locate_many(
        self, lon: Sequence[float] | np.ndarray, lat: Sequence[float] | np.ndarray
    ) -> np.ndarray:
        """Vectorised lookup.

        Returns
        -------
        numpy.ndarray
            int32 array: index into :attr:`beats` for each point; ``-1`` outside every beat;
            ``-2`` invalid coordinates (missing, not finite or out of range).
        """
        x = np.asarray(lon, dtype=np.float64)
        y = np.asarray(lat, dtype=np.float64)
        if x.shape != y.shape:
            raise InputError(f"lon and lat differ in length ({x.shape} vs {y.shape})")
        out = np.full(x.shape, -1, dtype=np.int32)
        valid = np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90)
        out[~valid] = -2
        # invalid values (NaN, 1e308 …) never reach the arithmetic (no overflow warnings)
        fx = (np.where(valid, x, self.x0) - self.x0) / self.dx
        fy = (np.where(valid, y, self.y0) - self.y0) / self.dy
        inside = valid & (fx >= 0) & (fy >= 0) & (fx < self.nx) & (fy < self.ny)
        idx = np.flatnonzero(inside)
        ix = fx[idx].astype(np.int64)
        iy = fy[idx].astype(np.int64)
        label = self.grid[iy, ix]
        interior = label >= 0
        out[idx[interior]] = label[interior]
        edge = label < -1
        if edge.any():
            eidx = idx[edge]
            rows = -(label[edge] + 2)
            ex, ey = x[eidx], y[eidx]
            result = np.full(len(eidx), -1, dtype=np.int32)
            cand = self.cand[rows]  # [n_edge_points, n_beats]
            with PREPARED_LOCK:  # GEOS prepared geometries are not safe across threads
                for b in np.flatnonzero(cand.any(axis=0)):  # beats in id order: first hit wins
                    sel = np.flatnonzero(cand[:, b] & (result < 0))
                    if len(sel) == 0:
                        continue
                    hit = shapely.intersects_xy(self.geoms[b], ex[sel], ey[sel])
                    result[sel[hit]] = b
            out[eidx] = result
        return out

    def assign(self, lon, lat, *, invalid=None) -> dict[str, np.ndarray]:
        """Vectorised lookup returning columns ``beat``, ``district``, ``status``, ``reason``.

        Beat and district are object arrays holding ``None`` where there is no beat. Rows where
        the boolean array ``invalid`` is True are judged invalid whatever their coordinates (the
        caller found a problem with them). ``pos`` is :meth:`locate_many`'s answer with those
        rows set to -2.
        """
        pos = self.locate_many(lon, lat)
        if invalid is not None:
            pos[invalid] = -2
        ids = np.append(self.ids, [None, None]).astype(object)  # -2 and -1 index the Nones
        dists = np.append(
            np.array([d or None for d in self._district_list], dtype=object), [None, None]
        )
        # status and reason by look-up tables indexed 0 invalid / 1 outside / 2 ok: object
        # arrays of shared strings, never fixed-width string arrays (1M rows in milliseconds)
        code = np.minimum(pos, 0) + 2
        reason = _REASON_LUT[code]
        far = projected_like(lon, lat, code == 0)
        if invalid is not None:
            far &= ~np.asarray(invalid, dtype=bool)
        if far.any():
            reason[far] = PROJECTED_REASON
        return {
            "beat": ids[pos],
            "district": dists[pos],
            "status": _STATUS_LUT[code],
            "reason": reason,
            "pos": pos,
        }

    def area_sq_mi(self) -> dict[str, float]:
        """Area of each beat in square miles (computed in the projected CRS)."""
        proj = self._projected_geoms()
        self._transformer()
        m2 = shapely.area(proj) * self._unit_to_m**2
        return {b: float(a) / 2_589_988.110336 for b, a in zip(self._id_list, m2, strict=True)}

    def to_geodataframe(self):
        """The dissolved beats as a GeoDataFrame (EPSG:4326): ``beat``, ``district``, ``geometry``."""
        import geopandas as gpd

        return gpd.GeoDataFrame(
            {"beat": self.ids.tolist(), "district": [d or None for d in self._district_list]},
            geometry=list(self.geoms),
            crs="EPSG:4326",
        )


__all__ = ["BeatHit", "BeatIndex", "beat_code", "beat_sort_key", "great_circle_m"]


def projected_like(lon, lat, bad: np.ndarray) -> np.ndarray:
    """Rows of ``bad`` whose coordinates are finite numbers out of WGS84's range: x/y in a
    projected CRS given as lon/lat, the commonest cause of a file of invalid rows."""
    if not bad.any():
        return bad
    try:
        with np.errstate(invalid="ignore"):
            x = np.asarray(lon, dtype=float)
            y = np.asarray(lat, dtype=float)
    except (TypeError, ValueError):
        return np.zeros_like(bad)
    return bad & np.isfinite(x) & np.isfinite(y) & ((np.abs(x) > 180) | (np.abs(y) > 90))

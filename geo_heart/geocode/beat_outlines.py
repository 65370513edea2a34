"""The beats' outlines in the area's projected CRS, for the geocoder's geometry at lookup time
(mixed into :class:`~geo_heart.geocode.match.Geocoder` through
:class:`~geo_heart.geocode.intersect.IntersectionMatcher`).

Which beats lie within a radius of a point (a crossing's radius, an answer's), a point just inside
each, and the table of beats that neighbour each other. The outlines are projected once per
geocoder, with 1 m simplifications that make distances fast (a simplified outline lies within the
tolerance of the true one, so a distance to it is within the tolerance of the true distance; the
true outline decides the pairs it leaves open), and kept in the cache folder.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
import shapely

from geo_heart.geo.beats import PREPARED_LOCK

log = logging.getLogger(__name__)

#: Version of the cached beat outlines (``geocode-beats-<key>.pkl``); bump when their content
#: changes
OUTLINES_VERSION = 1
#: Beats this close (metres) to a crossing are named even when its point is sure: an incident "at"
#: a crossing happens anywhere around it, and beat lines often run along one of the two roads.
CROSSING_REACH_M = 75.0
#: Segments per stretch of a beat outline in the tree that finds the nearest beat of a point
CHUNK_SEGMENTS = 64
#: One lock around building a geocoder's projected beat outlines (dask threads share it)
_BUILD_LOCK = threading.Lock()


class BeatOutlines:
    """The projected beat outlines of a geocoder (``index``, ``beat_index``, ``cache_dir``,
    ``_beat_id_list`` and the ``_proj``/``_to_m``/``_beat_tree`` slots come from the geocoder)."""

    def _metres_per_unit(self) -> float:
        """Metres per projected unit (the CRS alone: no transformers are made for it)."""
        if self._to_m is None:
            if self._proj is not None:
                self._to_m = self._proj[2]
            else:
                from pyproj import CRS

                crs = CRS.from_user_input(_index_crs(self.index))
                self._to_m = float(crs.axis_info[0].unit_conversion_factor)
        return self._to_m

    def _crs_name(self) -> str:
        """The projected CRS of the reference index, as its area file names it."""
        return _index_crs(self.index)

    def _projection(self):
        """(lon/lat → projected, projected → lon/lat, metres per projected unit), made once."""
        if self._proj is None:
            from pyproj import CRS, Transformer

            crs = CRS.from_user_input(_index_crs(self.index))
            self._proj = (
                Transformer.from_crs("EPSG:4326", crs, always_xy=True),
                Transformer.from_crs(crs, "EPSG:4326", always_xy=True),
                float(crs.axis_info[0].unit_conversion_factor),
            )
        return self._proj

    def _beats_within(self, x: float, y: float, r: float) -> list[tuple[str, float, float]]:
        """Beats within ``r`` of the projected point: (beat, x, y of a point inside it), the
        point's own beat first, then by distance (ties by beat id)."""
        return [(b, qx, qy) for _, b, qx, qy in self._beats_within_d(x, y, r)]

    def _beats_within_d(self, x: float, y: float, r: float) -> list[tuple]:
        """:meth:`_beats_within` as ``(distance, beat, x, y)`` (projected units)."""
        return self._beats_within_many([x], [y], [r])[0]

    def _beats_within_many(self, xs, ys, rs) -> list[list[tuple]]:
        """:meth:`_beats_within_d` for many projected points and radii at once (one tree query
        and one vectorised pass over every (point, beat) pair; the same lists, one per point).

        Which beats lie within ``r`` is decided on the simplified outlines (1 m) wherever their
        distance settles it (more than twice the tolerance from ``r`` either way) and on the true
        outline only for the pairs that remain: the same beats as a ``dwithin`` query on the
        true outlines, at a fraction of the cost (the true outlines hold up to ~10,000 vertices).
        """
        if self._beat_tree is None:
            self._build_beat_tree()
        xs = np.asarray(xs, dtype=float)
        ys = np.asarray(ys, dtype=float)
        rs = np.asarray(rs, dtype=float)
        n = len(xs)
        out: list[list[tuple]] = [[] for _ in range(n)]
        if not n:
            return out
        pts = shapely.points(np.column_stack([xs, ys]))
        tol2 = self._beat_tol2
        qi, bj = self._beat_simple_tree.query(pts, predicate="dwithin", distance=rs + tol2)
        if not len(qi):
            return out
        order = np.lexsort((bj, qi))  # by point, then by beat (as one query sorts its hits)
        qi, bj = qi[order], bj[order]
        ds = shapely.distance(self._beat_simple[bj], pts[qi])
        r_q = rs[qi]
        keep = ds <= r_q - tol2
        unsure = ~keep & (ds <= r_q + tol2)
        with PREPARED_LOCK:  # prepared beats are shared with the service's other threads
            if unsure.any():
                keep[unsure] = shapely.dwithin(self._beat_geoms[bj[unsure]], pts[qi[unsure]],
                                               r_q[unsure])  # fmt: skip
            qi, bj, ds = qi[keep], bj[keep], ds[keep]
            # the beats holding the point, then for the others a point just inside each, found
            # on its simplified outline (the loop below redoes only the beats where that point
            # misses, on the full outline)
            inside = shapely.contains_xy(self._beat_geoms[bj], xs[qi], ys[qi])
        ids = self._beat_id_list
        xl, yl = xs.tolist(), ys.tolist()
        for k, i in zip(qi[inside].tolist(), bj[inside].tolist(), strict=True):
            out[k].append((0.0, ids[i], xl[k], yl[k]))
        rest = ~inside
        if rest.any():
            rq, rb, dd = qi[rest], bj[rest], ds[rest]
            q = shapely.get_coordinates(
                shapely.shortest_line(pts[rq], self._beat_simple[rb])
            ).reshape(-1, 2, 2)[:, 1]
            with np.errstate(divide="ignore", invalid="ignore"):
                step = (q - np.column_stack([xs[rq], ys[rq]])) / dd[:, None]
            qx = q[:, 0] + 3 * step[:, 0]
            qy = q[:, 1] + 3 * step[:, 1]
            with PREPARED_LOCK:
                good = (dd != 0) & shapely.contains_xy(self._beat_geoms[rb], qx, qy)
            miss = ~good
            if miss.any():  # :meth:`_inside_point` for every miss at once: the full outlines
                mq, mb = rq[miss], rb[miss]
                full = self._beat_geoms[mb]
                df = shapely.distance(full, pts[mq])
                qf = shapely.get_coordinates(shapely.shortest_line(pts[mq], full)).reshape(-1, 2, 2)
                with np.errstate(divide="ignore", invalid="ignore"):
                    sf = (qf[:, 1] - np.column_stack([xs[mq], ys[mq]])) / df[:, None]
                on_full = df != 0
                ds_ = dd[miss]
                on_simple = ~on_full & (ds_ != 0)
                dd[miss] = np.where(on_full, df, np.where(on_simple, ds_, 0.0))
                qx[miss] = np.where(on_full, qf[:, 1, 0] + 3 * sf[:, 0],
                                    np.where(on_simple, qx[miss], xs[mq]))  # fmt: skip
                qy[miss] = np.where(on_full, qf[:, 1, 1] + 3 * sf[:, 1],
                                    np.where(on_simple, qy[miss], ys[mq]))  # fmt: skip
            for k, i, d, gx, gy in zip(rq.tolist(), rb.tolist(), dd.tolist(), qx.tolist(),
                                       qy.tolist(), strict=True):  # fmt: skip
                out[k].append((d, ids[i], gx, gy))
        for lst in out:
            if len(lst) > 1:
                lst.sort(key=lambda t: (t[0], t[1]))
        return out

    def _build_beat_tree(self) -> None:
        """The projected beat outlines (prepared), their 1 m simplifications and a tree on each;
        made once per geocoder (read from the cache folder when an earlier run saved them)."""
        with _BUILD_LOCK:  # threaded workers share one geocoder: build once, publish last
            if self._beat_tree is not None:
                return
            tol = 1.0 / self._metres_per_unit()
            geoms, simple, touching = self._beat_outlines(tol)
            self._beat_simple = simple
            self._beat_simple_tree = shapely.STRtree(simple)
            self._beat_tol2 = 2.0 * tol
            shapely.prepare(geoms)
            self._beat_geoms = geoms
            if getattr(self.beat_index, "_touching_beats", None) is None:
                self.beat_index._touching_beats = touching
            self._beat_tree = shapely.STRtree(geoms)

    def _beat_outlines(self, tol: float) -> tuple[np.ndarray, np.ndarray, dict[str, set[str]]]:
        """(projected beat outlines, their simplifications, :func:`_touching_table`).

        Simplified outlines (tolerance ``tol``, 1 m) make the distances fast; a point found on
        one is checked against the true beat and recomputed on the full outline when it misses.
        A simplified outline lies within the tolerance of the true one (Douglas-Peucker), so a
        distance to it is within the tolerance of the true distance. The three are pure
        functions of the beats, the CRS and the tolerance, and are kept in the cache folder
        (``geocode-beats-<key>.pkl``, the key a SHA-1 of those inputs), so that a new process
        reads them (a few milliseconds) instead of making them (~0.1 s).
        """
        import hashlib
        import pickle

        crs = _index_crs(self.index)
        path = None
        folder = getattr(self, "cache_dir", None)
        if folder is not None and Path(folder).is_dir():
            h = hashlib.sha1(f"{OUTLINES_VERSION}|{crs}|{tol!r}|{CROSSING_REACH_M!r}".encode())
            h.update("|".join(self._beat_id_list).encode())
            for w in shapely.to_wkb(self.beat_index.geoms).tolist():
                h.update(w)
            path = Path(folder) / f"geocode-beats-{h.hexdigest()[:20]}.pkl"
            try:
                with open(path, "rb") as f:
                    saved = pickle.load(f)
                return (
                    shapely.from_wkb(np.array(saved["geoms"], dtype=object)),
                    shapely.from_wkb(np.array(saved["simple"], dtype=object)),
                    {b: set(v) for b, v in saved["touching"].items()},
                )
            except FileNotFoundError:
                pass
            except Exception as exc:  # a corrupt cache file is made again, never fatal
                log.warning("beat outlines cache %s unreadable (%s); making it again", path, exc)
        to_p = self._projection()[0]
        geoms = shapely.transform(
            self.beat_index.geoms, lambda xy: np.column_stack(to_p.transform(xy[:, 0], xy[:, 1]))
        )
        simple = shapely.simplify(geoms, tol)
        touching = _touching_table(geoms, self._beat_id_list, self._metres_per_unit())
        if path is not None:
            from geo_heart.errors import DataSourceError
            from geo_heart.io.files import atomic_write

            saved = {
                "geoms": shapely.to_wkb(geoms).tolist(),
                "simple": shapely.to_wkb(simple).tolist(),
                "touching": {b: sorted(v) for b, v in touching.items()},
            }
            try:
                with atomic_write(path) as tmp, open(tmp, "wb") as f:
                    pickle.dump(saved, f, protocol=pickle.HIGHEST_PROTOCOL)
            except (OSError, DataSourceError) as exc:
                log.warning("cannot cache the beat outlines in %s: %s", path, exc)
        return geoms, simple, touching

    def _outline_chunks(self) -> tuple[shapely.STRtree, np.ndarray]:
        """The rings of the projected beat outlines cut into stretches of at most
        :data:`CHUNK_SEGMENTS` segments, a tree over them and the beat (position) of each."""
        got = self.__dict__.get("_chunks")
        if got is None:
            if self._beat_tree is None:
                self._build_beat_tree()
            parts, part_of = shapely.get_parts(self._beat_geoms, return_index=True)
            rings, ring_of = shapely.get_rings(parts, return_index=True)
            xy, pos = shapely.get_coordinates(rings, return_index=True)
            starts = np.flatnonzero(np.r_[True, pos[1:] != pos[:-1]])
            ends = np.r_[starts[1:], len(pos)]
            beat_of = part_of[ring_of]
            # every ring's stretches (first coordinate a, a + CHUNK_SEGMENTS, ... up to its last
            # segment), each up to CHUNK_SEGMENTS + 1 coordinates, made in one call
            per_ring = (ends - 1 - starts + CHUNK_SEGMENTS - 1) // CHUNK_SEGMENTS
            ring = np.repeat(np.arange(len(starts)), per_ring)
            first = np.arange(len(ring)) - np.repeat(np.cumsum(per_ring) - per_ring, per_ring)
            c0 = starts[ring] + first * CHUNK_SEGMENTS
            c1 = np.minimum(c0 + CHUNK_SEGMENTS + 1, ends[ring])
            size = c1 - c0
            at = np.repeat(c0 - (np.cumsum(size) - size), size) + np.arange(int(size.sum()))
            lines = shapely.linestrings(xy[at], indices=np.repeat(np.arange(len(ring)), size))
            owner = np.asarray(beat_of[ring], dtype=np.int64)
            got = (shapely.STRtree(lines), owner)
            self._chunks = got
        return got

    def _inside_point(self, i: int, x: float, y: float, p) -> tuple:
        """``(distance, beat, x, y)``: a point just inside beat ``i`` near ``(x, y)`` outside it,
        from its simplified outline and, when that point misses the beat, its full outline."""
        g = self._beat_geoms[i]
        d, qx, qy = 0.0, x, y  # on the boundary itself
        for outline in (self._beat_simple[i], g):
            dd = float(shapely.distance(outline, p))
            if dd == 0:
                continue
            # a point just inside the beat: past its nearest boundary point, away from p
            q = shapely.get_coordinates(shapely.shortest_line(p, outline))[1]
            step = (q - (x, y)) / dd
            d, qx, qy = dd, float(q[0] + 3 * step[0]), float(q[1] + 3 * step[1])
            with PREPARED_LOCK:
                inside = bool(shapely.contains_xy(g, qx, qy))
            if inside:
                break
        return (d, self._beat_id_list[i], qx, qy)


def _index_crs(index) -> str:
    """The projected CRS the reference index was built in (never guessed)."""
    crs = getattr(index, "projected_crs", None)
    if not crs:
        from geo_heart.errors import ConfigError

        raise ConfigError("the reference index has no projected CRS: rebuild it (geo-heart index)")
    return str(crs)


def _touching_table(geoms: np.ndarray, ids: list[str], m_per_unit: float) -> dict[str, set[str]]:
    """Beat → the beats whose outlines (projected ``geoms``) come within ``CROSSING_REACH_M`` of
    it (itself too)."""
    left, right = shapely.STRtree(geoms).query(
        geoms, predicate="dwithin", distance=CROSSING_REACH_M / m_per_unit
    )
    out: dict[str, set[str]] = {b: {b} for b in ids}
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        out[ids[i]].add(ids[j])
    return out

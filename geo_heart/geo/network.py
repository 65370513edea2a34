"""Road-network distances for :mod:`geo_heart.expansion` (scipy sparse graphs, no routing service).

The graph is built from a line layer (e.g. ``[layers.roads]``, OSM major roads): every vertex is a
node (coordinates rounded to ``snap_units`` of the projected CRS so that ways sharing an end point
join; by default lines are also split where they cross), every segment an undirected edge weighted by its projected length. Points are snapped to the
nearest node of the largest connected component; the straight-line snap distances at both ends are
added to the network distance (a road file of major roads only leaves the last stretch off-network).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from geo_heart.errors import DataSourceError

log = logging.getLogger(__name__)

#: road types left out of the graph by default (not drivable)
NON_ROAD_TYPES = ("rail", "disused", "abandoned", "railway", "subway", "tram")


@dataclass
class RoadNetwork:
    """An undirected road graph in a projected CRS."""

    nodes_xy: np.ndarray
    graph: object  # scipy.sparse.csr_matrix
    component: np.ndarray  # nodes of the largest connected component
    crs: str
    edges: int

    @classmethod
    def from_file(
        cls,
        path,
        crs: str,
        *,
        type_field: str | None = "type",
        exclude_types: tuple[str, ...] = NON_ROAD_TYPES,
        snap_units: float = 1.0,
        node_crossings: bool = True,
    ) -> RoadNetwork:
        """Read a line layer and build the graph in ``crs`` (projected).

        ``node_crossings`` splits lines where they cross so that crossings become junctions: the
        shared OSM extract is simplified (mostly 2-vertex segments whose junctions fall inside other
        segments), and without it the graph falls apart. It also joins roads at bridges, which
        slightly understates distances there.
        """
        import geopandas as gpd
        import shapely

        from geo_heart.io.tables import read_table

        gdf = read_table(path)
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise DataSourceError(f"road layer {str(path)!r} has no geometries")
        if gdf.crs is None:
            raise DataSourceError(f"road layer {str(path)!r} has no CRS")
        if type_field and type_field in gdf.columns and exclude_types:
            gdf = gdf[~gdf[type_field].astype(str).str.lower().isin(exclude_types)]
        gdf = gdf[gdf.geometry.notna()].to_crs(crs).explode(index_parts=False)
        gdf = gdf[gdf.geom_type == "LineString"]
        if gdf.empty:
            raise DataSourceError(f"road layer {str(path)!r} has no line geometries")
        lines = gdf.geometry.values
        if node_crossings:
            lines = shapely.get_parts(shapely.node(shapely.MultiLineString(list(lines))))
        return cls.from_lines(lines, crs, snap_units=snap_units)

    @classmethod
    def from_lines(cls, lines, crs: str, *, snap_units: float = 1.0) -> RoadNetwork:
        """Build the graph from projected LineStrings."""
        import shapely as _shapely
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        coords, part = _shapely.get_coordinates(np.asarray(lines), return_index=True)
        key = np.round(coords / snap_units).astype(np.int64)
        uniq, inverse = np.unique(key, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        same = part[1:] == part[:-1]
        a = inverse[:-1][same]
        b = inverse[1:][same]
        seg = np.hypot(*(coords[1:][same] - coords[:-1][same]).T)
        keep = a != b
        a, b, seg = a[keep], b[keep], seg[keep]
        n = len(uniq)
        g = coo_matrix((np.r_[seg, seg], (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()
        _ncomp, labels = connected_components(g, directed=False)
        big = np.bincount(labels).argmax()
        comp = np.flatnonzero(labels == big)
        xy = uniq.astype(float) * snap_units
        log.info("road graph: %d nodes, %d edges, largest component %d nodes", n, len(a), len(comp))
        return cls(nodes_xy=xy, graph=g, component=comp, crs=crs, edges=int(len(a)))

    def snap(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of the largest component and the snap distance, per point."""
        from scipy.spatial import cKDTree

        tree = cKDTree(self.nodes_xy[self.component])
        dist, i = tree.query(np.asarray(xy, dtype=float))
        return self.component[i], dist

    def distances(self, from_xy: np.ndarray, to_xy: np.ndarray) -> np.ndarray:
        """``len(from) × len(to)`` network distances (CRS units), snap distances included."""
        from scipy.sparse.csgraph import dijkstra

        src, src_d = self.snap(from_xy)
        dst, dst_d = self.snap(to_xy)
        d = dijkstra(self.graph, directed=False, indices=src)
        return d[:, dst] + src_d[:, None] + dst_d[None, :]

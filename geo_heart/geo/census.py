"""Census tract and block-group GEOIDs for points (vectorised point-in-polygon).

The layers come from the area file: ``[layers.tracts]`` and ``[layers.blockgroups]``, each with
``file`` and ``geoid_field``. A point on no polygon (outside the county) gets ``None``. Layers
that are not configured are skipped (their column is not added).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from geo_heart.errors import ConfigError, DataSourceError
from geo_heart.geo.beats import PREPARED_LOCK
from geo_heart.geo.coords import lonlat_from_columns

log = logging.getLogger(__name__)

#: layer role → output column
CENSUS_LAYERS = {"tracts": "tract_geoid", "blockgroups": "blockgroup_geoid"}


def _polygons(ws, role: str):
    """(geoids, STRtree, geometries) of a configured census layer in EPSG:4326, cached on the area."""

    def build():
        import geopandas as gpd
        import shapely

        path = ws.layer_path(role)
        field = ws.config.layer_value(role, "geoid_field", "GEOID")
        if not path.exists():
            raise DataSourceError(f"census layer {str(path)!r} ([layers.{role}]) does not exist")
        gdf = gpd.read_file(path, columns=[field])
        if field not in gdf.columns:
            raise ConfigError(
                f"[layers.{role}] geoid_field {field!r} is not a column of {str(path)!r}"
            )
        if gdf.crs is None:
            raise DataSourceError(f"census layer {str(path)!r} has no CRS")
        gdf = gdf.to_crs(4326)
        geoms = gdf.geometry.to_numpy()
        shapely.prepare(geoms)
        return gdf[field].astype(str).to_numpy(dtype=object), shapely.STRtree(geoms), geoms

    return ws.cached(("census_layer", role), build)


def geoids_for_points(ws, role: str, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """GEOID of the ``role`` polygon holding each WGS84 point (``None`` where none / no point)."""
    import shapely

    geoids, tree, _geoms = _polygons(ws, role)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = np.full(len(lon), None, dtype=object)
    ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if len(ok) == 0:
        return out
    pts = shapely.points(lon[ok], lat[ok])
    with PREPARED_LOCK:  # the tree's predicate runs on prepared geometries (see geo.beats)
        pt_i, poly_i = tree.query(pts, predicate="intersects")
    # first polygon per point (boundaries shared by two tracts: the lower index wins)
    order = np.lexsort((poly_i, pt_i))
    pt_i, poly_i = pt_i[order], poly_i[order]
    first = np.unique(pt_i, return_index=True)[1]
    out[ok[pt_i[first]]] = geoids[poly_i[first]]
    return out


def add_census_geoids(
    ws, df: pd.DataFrame, *, lon_column: str = "lon", lat_column: str = "lat"
) -> pd.DataFrame:
    """``df`` with ``tract_geoid`` and ``blockgroup_geoid`` for every located row.

    Layers missing from the area file are skipped with an info log; a configured layer whose file
    is missing raises :class:`~geo_heart.errors.DataSourceError`.
    """
    lon, lat, _valid = lonlat_from_columns(df, lon_column, lat_column)
    out = df.copy()
    for role, col in CENSUS_LAYERS.items():
        try:
            ws.config.layer_value(role, "file")
        except ConfigError:
            log.info("no [layers.%s] in the area file: no %s column", role, col)
            continue
        out[col] = geoids_for_points(ws, role, lon, lat)
    return out

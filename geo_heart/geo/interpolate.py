"""Areal interpolation of census counts to beats (and to the pieces tract ∩ beat), with ``tobler``.

Counts (residents, households, residents of a group) are **extensive**: a tract's count is split
among the polygons it overlaps. Two ways, both computed by :func:`tobler.area_weighted.area_interpolate`
(PySAL's areal interpolation):

* ``area`` (default): in proportion to the overlapping area, in a projected CRS. This assumes
  people are spread evenly within a tract. Parts of a tract outside every target polygon (county
  land outside the beats layer) are not counted (``allocate_total=False``: the denominator is the
  tract's whole area).
* ``address_points`` (dasymetric): in proportion to the tract's address points that fall in each
  piece, i.e. people live where addresses are, not in parks, fields or the airport. A tract with
  fewer than ``min_points`` address points keeps area weights (an address layer may be partial).
  The allocation is handed to tobler as its source-target ``table``.

The result is the **pieces** table: one row per (source polygon, target polygon) that overlap, with
each count apportioned to it, so callers can sum by target (population by beat) or by source and
target class (residents of a tract inside the service area).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from geo_heart.errors import DataSourceError

log = logging.getLogger(__name__)

#: weighting methods :func:`apportion` accepts
WEIGHTS = ("area", "address_points")


def _require_crs(gdf, what: str) -> None:
    if gdf.crs is None:
        raise DataSourceError(f"{what} has no CRS")


def pieces_of(sources, targets, *, crs: str, source_id: str, target_id: str):
    """The overlay ``sources ∩ targets`` in ``crs``: one polygon per overlapping pair.

    Returns a GeoDataFrame with ``source_id``, ``target_id``, ``source_area`` (the whole source
    polygon's area) and the piece geometry.
    """
    import geopandas as gpd

    _require_crs(sources, "source layer")
    _require_crs(targets, "target layer")
    src = sources[[source_id, sources.geometry.name]].copy()
    src = src.set_geometry(src.geometry.make_valid()).to_crs(crs)
    src["source_area"] = src.geometry.area
    tgt = targets[[target_id, targets.geometry.name]].copy()
    tgt = tgt.set_geometry(tgt.geometry.make_valid()).to_crs(crs)
    pieces = gpd.overlay(src, tgt, how="intersection", keep_geom_type=True)
    pieces = pieces[pieces.geometry.area > 0].reset_index(drop=True)
    return pieces


def point_weights(
    pieces,
    piece_source: np.ndarray,
    source_geoms,
    points_xy: np.ndarray | None,
    *,
    crs: str,
    points_crs: str = "EPSG:4326",
    min_points: int = 10,
) -> np.ndarray:
    """Share of each piece in its source's count, by address points (dasymetric weights).

    A piece's share is the number of points in it over the number of points in its whole source
    polygon (``piece_source``: the source row of each piece; ``source_geoms`` in ``crs``). A
    source with fewer than ``min_points`` points keeps area shares (an address layer may be partial).
    """
    import shapely
    from pyproj import Transformer

    area_share = (pieces.geometry.area / pieces["source_area"]).to_numpy(dtype=float)
    if points_xy is None or len(points_xy) == 0:
        return area_share
    tr = Transformer.from_crs(points_crs, crs, always_xy=True)
    x, y = tr.transform(points_xy[:, 0], points_xy[:, 1])
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    pts = shapely.points(x[ok], y[ok])
    _p, piece_i = shapely.STRtree(pieces.geometry.to_numpy()).query(pts, predicate="within")
    in_piece = np.bincount(piece_i, minlength=len(pieces)).astype(float)
    geoms = np.asarray(source_geoms)
    _p, src_i = shapely.STRtree(geoms).query(pts, predicate="within")
    in_source = np.bincount(src_i, minlength=len(geoms)).astype(float)[piece_source]
    out = area_share.copy()
    enough = in_source >= min_points
    out[enough] = in_piece[enough] / in_source[enough]
    return out


def apportion(
    sources,
    targets,
    fields: Sequence[str],
    *,
    crs: str,
    source_id: str,
    target_id: str,
    weights: str = "area",
    points_xy: np.ndarray | None = None,
    min_points: int = 10,
) -> pd.DataFrame:
    """Apportion the count columns ``fields`` of ``sources`` to the pieces ``sources ∩ targets``.

    Parameters
    ----------
    sources, targets
        GeoDataFrames with a CRS (any; both are projected to ``crs``).
    fields
        Count columns of ``sources`` (non-numbers count as 0).
    crs
        The projected CRS areas are measured in.
    source_id, target_id
        Id columns; they name the pieces.
    weights
        ``"area"`` or ``"address_points"`` (then ``points_xy``: WGS84 lon/lat of the points).

    Returns
    -------
    pandas.DataFrame
        One row per piece: ``source_id``, ``target_id``, ``piece_area`` (in ``crs`` units²),
        ``weight`` (the share of the source allocated to the piece) and each field.
    """
    from scipy.sparse import csr_matrix
    from tobler.area_weighted import area_interpolate

    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}, got {weights!r}")
    missing = [f for f in fields if f not in sources.columns]
    if missing:
        raise DataSourceError(f"source layer has no column(s) {missing}")
    pieces = pieces_of(sources, targets, crs=crs, source_id=source_id, target_id=target_id)
    src = sources.set_geometry(sources.geometry.make_valid()).to_crs(crs).reset_index(drop=True)
    values = src[list(fields)].apply(pd.to_numeric, errors="coerce").fillna(0.0).astype(float)
    src_gdf = src[[src.geometry.name]].copy()
    for f in fields:
        src_gdf[f] = values[f].to_numpy()
    row_of = pd.Series(np.arange(len(src)), index=src[source_id].astype(str).to_numpy())
    if row_of.index.has_duplicates:
        dup = row_of.index[row_of.index.duplicated()][0]
        raise DataSourceError(f"source layer: id {dup!r} in {source_id!r} is not unique")
    piece_src = row_of.reindex(pieces[source_id].astype(str).to_numpy()).to_numpy()
    if weights == "area":
        share = (pieces.geometry.area / pieces["source_area"]).to_numpy(dtype=float)
    else:
        share = point_weights(
            pieces, piece_src, src.geometry.to_numpy(), points_xy, crs=crs, min_points=min_points
        )
    # tobler's extensive estimate with allocate_total=False is v_j = sum_i v_i * a_ij / a_i, so a
    # table a_ij = share_ij * a_i hands it exactly the allocation wanted (area or dasymetric)
    src_area = src.geometry.area.to_numpy(dtype=float)
    table = csr_matrix(
        (share * src_area[piece_src], (piece_src, np.arange(len(pieces)))),
        shape=(len(src), len(pieces)),
        dtype=np.float64,
    )
    est = area_interpolate(
        src_gdf,
        pieces[[pieces.geometry.name]],
        extensive_variables=list(fields),
        table=table,
        allocate_total=False,
    )
    out = pd.DataFrame(
        {
            source_id: pieces[source_id].astype(str).to_numpy(),
            target_id: pieces[target_id].astype(str).to_numpy(),
            "piece_area": pieces.geometry.area.to_numpy(dtype=float),
            "weight": share,
        }
    )
    for f in fields:
        out[f] = est[f].to_numpy(dtype=float)
    return out

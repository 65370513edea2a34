"""Coordinate columns: one way to read WGS84 lon/lat from a table."""

from __future__ import annotations

import numpy as np
import pandas as pd


def lonlat_from_columns(
    df: pd.DataFrame, lon_column: str, lat_column: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float arrays of longitude and latitude, and a mask of rows that are valid WGS84 points.

    Text, blanks and other non-numbers become NaN; a row is valid when both values are finite and
    within lon -180..180, lat -90..90. Booleans are not coordinates.
    """
    lon = numbers(df[lon_column])
    lat = numbers(df[lat_column])
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    return lon, lat, valid


def numbers(values: pd.Series) -> np.ndarray:
    """Float array of a column: text, blanks and booleans become NaN."""
    if values.dtype == bool:
        return np.full(len(values), np.nan)
    if values.dtype == object:
        values = values.map(lambda v: np.nan if isinstance(v, bool) else v)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)

"""Reading and writing user tables (CSV, Parquet, GeoJSON/GeoPackage/Shapefile) at the edges.

CSV files are read with every column as text (``dtype=str``, empty cells stay empty strings) so that
a batch command writes back exactly what it read, plus its own columns.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from geo_heart.errors import DataSourceError, InputError

log = logging.getLogger(__name__)

TABLE_SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
GEO_SUFFIXES = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".shp": "ESRI Shapefile",
    ".fgb": "FlatGeobuf",
}


def table_kind(path: str | Path) -> str:
    """``"csv"``, ``"tsv"``, ``"parquet"`` or ``"geo"`` from a file name; InputError otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return TABLE_SUFFIXES[suffix]
    if suffix in GEO_SUFFIXES:
        return "geo"
    known = sorted(set(TABLE_SUFFIXES) | set(GEO_SUFFIXES))
    raise InputError(
        f"{str(path)!r}: unsupported file type {suffix or '(none)'!r}; use one of {known}"
    )


def read_table(path: str | Path, *, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV/TSV/Parquet table or a vector layer (returned as a GeoDataFrame).

    Raises
    ------
    DataSourceError
        If the file is missing, empty or cannot be parsed (the message names the file).
    """
    p = Path(path)
    if not p.exists():
        raise DataSourceError(f"input file {str(p)!r} does not exist")
    if p.is_dir():
        raise DataSourceError(f"input {str(p)!r} is a folder, not a file")
    kind = table_kind(p)
    try:
        if kind in ("csv", "tsv"):
            return pd.read_csv(
                p,
                dtype=str,
                keep_default_na=False,
                sep="\t" if kind == "tsv" else ",",
                usecols=columns,
                encoding_errors="replace",
            )
        if kind == "parquet":
            return pd.read_parquet(p, columns=columns)
        import geopandas as gpd

        return gpd.read_file(p, columns=columns)
    except pd.errors.EmptyDataError:
        raise DataSourceError(f"input file {str(p)!r} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataSourceError(f"input file {str(p)!r} cannot be parsed as {kind}: {exc}") from None
    except ValueError as exc:  # e.g. usecols naming a missing column
        raise DataSourceError(f"input file {str(p)!r}: {exc}") from None
    except Exception as exc:  # pyogrio / pyarrow errors carry their own types
        if type(exc).__module__.split(".")[0] in ("pyogrio", "pyarrow"):
            raise DataSourceError(f"input file {str(p)!r} cannot be read: {exc}") from None
        raise


def require_columns(df: pd.DataFrame, columns: dict[str, str | None], source: str | Path) -> None:
    """Raise InputError if a configured column is missing, naming option, column and file."""
    for option, col in columns.items():
        if col is not None and col not in df.columns:
            raise InputError(
                f"{str(source)!r} has no column {col!r} (set with {option}); "
                f"columns are: {list(map(str, df.columns))}"
            )


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table in the format its suffix names (atomically: temp file, then rename)."""
    p = Path(path)
    kind = table_kind(p)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    try:
        if kind in ("csv", "tsv"):
            df.to_csv(tmp, index=False, sep="\t" if kind == "tsv" else ",")
        elif kind == "parquet":
            _writable(df).to_parquet(tmp, index=False)
        else:
            import geopandas as gpd

            if not isinstance(df, gpd.GeoDataFrame):
                raise InputError(
                    f"{str(p)!r}: a vector output needs geometries; write CSV or Parquet"
                )
            _writable(df).to_file(tmp, driver=GEO_SUFFIXES[p.suffix.lower()])
        tmp.replace(p)
    except OSError as exc:
        raise DataSourceError(f"cannot write {str(p)!r}: {exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return p


def _writable(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding mixed values become text so Parquet/OGR can store them."""
    out = df.copy()
    for col in out.columns:
        if col == getattr(out, "_geometry_column_name", None):
            continue
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if v is None else str(v))
    return out

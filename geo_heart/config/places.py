"""The ``[places]`` table (named places with aliases), read the one way lookups and
``area check`` both use (issue 30 #13).

Columns ``name,aliases,category,address,lon,lat,source``; a row has an address, a point
(``lon``/``lat``, WGS84) or both. Every problem is a one-line :class:`ConfigError` naming the file
and the row: a line with more fields than the header (an unquoted comma), a missing column, a
coordinate that is not a number or is off the globe, half a point.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from geo_heart.config.safe_files import MAX_SIDE_FILE_BYTES, read_limited
from geo_heart.errors import ConfigError

#: The columns a places file must have.
PLACE_COLUMNS = ("name", "aliases", "category", "address", "lon", "lat", "source")
#: Longest name, alias list or address, characters (what reaches the address parser is bounded).
MAX_PLACE_TEXT = 512


def read_places_table(path: str | Path):
    """The places file as a DataFrame of strings (blank = ``""``), checked row by row.

    Raises
    ------
    ConfigError
        Naming the file (and row, column and value) of any problem.
    """
    import pandas as pd

    p = Path(path)
    data = read_limited(p, max_bytes=MAX_SIDE_FILE_BYTES, what="places file")
    where = f"places file {p.name!r}"
    try:
        df = pd.read_csv(
            io.BytesIO(data), dtype=str, keep_default_na=False, comment=None, encoding="utf-8"
        )
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable"
        detail = detail.split("C error: ", 1)[-1]  # "Expected 7 fields in line 4, saw 8"
        raise ConfigError(
            f"{where}: not a CSV table ({detail}); quote a value holding a comma"
        ) from None
    except pd.errors.EmptyDataError:
        raise ConfigError(f"{where}: the file is empty") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    missing = [c for c in PLACE_COLUMNS if c not in df.columns]
    if missing:
        raise ConfigError(f"{where} has no column {missing[0]!r}; columns are {list(df.columns)}")
    for i, row in enumerate(df.itertuples(index=False), start=2):
        r = row._asdict()
        name = r["name"].strip()
        if not name:
            raise ConfigError(f"{where} row {i}: name is blank")
        for col in ("name", "aliases", "address"):
            if len(r[col]) > MAX_PLACE_TEXT:
                raise ConfigError(
                    f"{where} row {i} ({name[:40]!r}): {col} is longer than {MAX_PLACE_TEXT} "
                    "characters"
                )
        lon_text, lat_text = r["lon"].strip(), r["lat"].strip()
        if bool(lon_text) != bool(lat_text):
            raise ConfigError(f"{where} row {i} ({name!r}): give both lon and lat, or neither")
        if lon_text:
            for col, text, bound in (("lon", lon_text, 180), ("lat", lat_text, 90)):
                try:
                    value = float(text)
                except ValueError:
                    raise ConfigError(
                        f"{where} row {i} ({name!r}): {col} {text!r} is not a number"
                    ) from None
                if not (math.isfinite(value) and -bound <= value <= bound):
                    raise ConfigError(
                        f"{where} row {i} ({name!r}): {col} {text} is outside "
                        f"-{bound}..{bound} (WGS84 degrees)"
                    )
        elif not r["address"].strip():
            raise ConfigError(f"{where} row {i} ({name!r}): neither an address nor lon/lat")
    return df

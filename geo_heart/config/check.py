"""Check an area file and its data: the schema, the layers, their columns and the beats named.

:func:`check_area` reports every problem at once (never stops at the first):

* the file against the schema (:mod:`geo_heart.config.schema`) and the cross-checks;
* every layer file (``[beats]``, ``[layers.*]``, ``[places]``) exists in the data folder;
* every configured column or field exists in its layer (only the header / schema is read: pandas
  ``nrows=0`` for tables, ``pyogrio.read_info`` for vector files);
* every beat a service area (or a scenario) names is a beat of the beats layer.
"""

from __future__ import annotations

import logging
from pathlib import Path

from geo_heart.errors import ConfigError

log = logging.getLogger(__name__)

_TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".parquet", ".pq"}


def layer_columns(path: Path) -> list[str]:
    """Column names of a table or vector layer, reading only its header or schema.

    Raises
    ------
    OSError, ValueError
        When the file cannot be read.
    """
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    if suffix in _TABLE_SUFFIXES:
        import pandas as pd

        sep = "\t" if suffix == ".tsv" else ","
        return list(pd.read_csv(path, nrows=0, sep=sep).columns)
    import pyogrio

    return [str(f) for f in pyogrio.read_info(path)["fields"]]


def _read_beat_codes(path: Path, id_field: str) -> set[str]:
    import pyogrio

    df = pyogrio.read_dataframe(path, columns=[id_field], read_geometry=False)
    out = set()
    for v in df[id_field]:
        if v is None or v != v:
            continue
        text = str(v).strip()
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
        out.add(text)
    return out


def check_area(area_file: str | Path, data_dir: str | Path) -> list[str]:
    """Every problem with an area file and its data, one line each (empty: all good).

    Each line starts with the file it concerns (the area file, or the data file).
    """
    from geo_heart.config.areafile import load_area
    from geo_heart.config.schema import display_path

    path = Path(area_file)
    where = display_path(path)
    try:
        area = load_area(path)
    except ConfigError as exc:
        problems = getattr(exc, "problems", None)
        return list(problems) if problems else [str(exc)]
    data = Path(data_dir)
    problems: list[str] = []

    def column_checks(role: str, file: str, wanted: dict[str, str]) -> list[str] | None:
        p = data / file
        if not p.exists():
            problems.append(f"{where}: {role}.file = {file!r}: {p} does not exist")
            return None
        try:
            cols = layer_columns(p)
        except Exception as exc:  # any reader failure is a problem to report, not a crash
            problems.append(f"{display_path(p)}: cannot be read ({role}): {exc}")
            return None
        for key, col in wanted.items():
            if col not in cols:
                problems.append(
                    f"{where}: {role}.{key} = {col!r}: no such column in {p.name}; "
                    f"columns: {', '.join(cols)}"
                )
        return cols

    b = area.beats
    wanted = {"id_field": b.id_field}
    if b.district_field:
        wanted["district_field"] = b.district_field
    cols = column_checks("beats", b.file, wanted)
    layer_beats: set[str] | None = None
    if cols is not None and b.id_field in cols:
        try:
            layer_beats = _read_beat_codes(data / b.file, b.id_field)
        except Exception as exc:
            problems.append(f"{display_path(data / b.file)}: cannot read beat codes: {exc}")
    for role, table in area.layers.items():
        if table.get("optional") and not (data / str(table["file"])).exists():
            continue  # an optional layer not downloaded (yet): `geo-heart data fetch --all`
        wanted = {
            k: str(v)
            for k, v in table.items()
            if (k.endswith("_column") or k.endswith("_field")) and v
        }
        column_checks(f"layers.{role}", str(table["file"]), wanted)
    if area.places_file is not None and not area.places_file.exists():
        problems.append(f"{where}: places.file: {area.places_file} does not exist")
    if layer_beats is not None:
        for key, sa in area.service_areas.items():
            for beat in sorted(sa.beats | sa.exclude_beats):
                if beat not in layer_beats:
                    label = (
                        f"scenarios.{key[len('scenario_') :]}"
                        if key.startswith("scenario_")
                        else f"service_areas.{key}"
                    )
                    problems.append(
                        f"{where}: {label}.beats = {beat!r}: not a beat of {b.file} ({b.id_field})"
                    )
        for code in area.beats.special:
            if code not in layer_beats:
                problems.append(f"{where}: beats.special.{code}: not a beat of {b.file}")
    return problems

"""Shapefile field names and long texts of geo-heart's own result columns, fixed by design.

A Shapefile's dBASE table names a field in at most 10 characters and holds at most 254 bytes of
text per value. geo-heart's own result columns (``in_service_area``, ``matched_address`` …) are
longer than that, and a geocoder ``reason`` can be longer than 254 bytes, so they are written
in a fixed, documented way instead of being refused or cut:

* each own result column gets the field name :data:`OWN_FIELDS` gives it (``in_service_area`` →
  ``in_service``); a result written as ``gh_<name>`` (the input already had ``<name>``) gets the
  ``gh_`` name of the same table (``gh_district`` → ``gh_dist``);
* a value longer than 254 bytes is split, on a character boundary never next to a space (dBASE
  strips the spaces around a value), into continuation fields ``<field>2``, ``<field>3`` … (cut to
  10 characters: ``reason2``, ``match_add2``); joining the parts in order gives the value back
  exactly, and ``--retry-failed`` does so;
* an empty own text value (``reason`` of an ``ok`` row) is written as null: dBASE has no empty
  text, and geo-heart reads it back as ``''`` (:func:`geo_heart.geocode.fixup.restore_result_types`).

A column of the input whose name is a result's field name is refused in one line naming both
(never renamed silently). The input's own columns keep the general rule
(:mod:`geo_heart.io.textloss`): a name over 10 characters or a value over 254 bytes is refused,
or with ``--on-loss warn`` cut with a warning.

Beside ``<name>.shp`` two files name every field (:func:`write_field_sidecars`):
``<name>.columns.csv`` (``original,shapefile,part``: one line per field, a split column once per
part, in order; any spreadsheet or ArcGIS reads it) and ``<name>.qml``, a QGIS style holding only
field aliases, which QGIS loads by itself with the layer, so its attribute table and forms show
the full names (``in_service_area``; ``reason (part 2)``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo_heart.errors import InputError

#: characters of a dBASE field name; bytes of a dBASE text value
NAME_CHARS = 10
TEXT_BYTES = 254
#: prefix of a result column whose name the input already uses
PREFIX = "gh_"

#: geo-heart's own result columns → (their Shapefile field, the field of ``gh_<column>``)
OWN_FIELDS: dict[str, tuple[str, str]] = {
    "lon": ("lon", "gh_lon"),
    "lat": ("lat", "gh_lat"),
    "beat": ("beat", "gh_beat"),
    "district": ("district", "gh_dist"),
    "in_service_area": ("in_service", "gh_in_serv"),
    "status": ("status", "gh_status"),
    "reason": ("reason", "gh_reason"),
    "match_type": ("match_type", "gh_mtype"),
    "score": ("score", "gh_score"),
    "matched_address": ("match_addr", "gh_maddr"),
    "straddle_beats": ("strad_beat", "gh_strad"),
    "beat_source": ("beat_src", "gh_bsrc"),
    "uncertainty_m": ("uncert_m", "gh_uncert"),
    "tract_geoid": ("tractgeoid", "gh_tract"),
    "blockgroup_geoid": ("bg_geoid", "gh_bg"),
    "override": ("override", "gh_ovr"),
    "override_note": ("ovr_note", "gh_ovrnote"),
    "point_kind": ("point_kind", "gh_ptkind"),
    "rules": ("rules", "gh_rules"),
    "service_area": ("serv_area", "gh_sarea"),
    "programs": ("programs", "gh_progs"),
}


def own_field(column: str) -> str | None:
    """The fixed Shapefile field of an own result column (``None`` for any other name)."""
    c = str(column)
    if c in OWN_FIELDS:
        return OWN_FIELDS[c][0]
    if c.startswith(PREFIX) and c[len(PREFIX) :] in OWN_FIELDS:
        return OWN_FIELDS[c[len(PREFIX) :]][1]
    return None


def part_field(field: str, k: int) -> str:
    """The field holding part ``k`` (2, 3 …) of a split value of ``field``."""
    tail = str(k)
    return field[: NAME_CHARS - len(tail)] + tail


def own_columns(columns, input_columns) -> list[str]:
    """The columns of ``columns`` that are geo-heart's results with a fixed field name: not an
    input column (``input_columns``; ``None``: every column is the user's) and in
    :data:`OWN_FIELDS`."""
    if input_columns is None:
        return []
    inp = {str(c) for c in input_columns}
    return [str(c) for c in columns if str(c) not in inp and own_field(c) is not None]


def cut_names(columns, reserved=()) -> dict[str, str]:
    """Column → a unique name of at most 10 characters (cut; ``_1``, ``_2`` … on a clash),
    never one of ``reserved`` (compared ignoring case, as dBASE compares names)."""
    out: dict[str, str] = {}
    used = {str(r).lower() for r in reserved}
    for c in map(str, columns):
        name = c[:NAME_CHARS]
        i = 1
        while name.lower() in used:
            tail = f"_{i}"
            name = c[: NAME_CHARS - len(tail)] + tail
            i += 1
        used.add(name.lower())
        out[c] = name
    return out


def plan_fields(
    columns, *, input_columns=None, parts: dict[str, int] | None = None, source="input"
) -> dict[str, list[str]]:
    """Each column → its Shapefile field names (one, or one per part of a split own column).

    Own result columns (:func:`own_columns`) get their :data:`OWN_FIELDS` names; the user's
    columns keep names of at most 10 characters and longer ones are cut (:func:`cut_names`,
    written only when the user asked with ``--on-loss warn``: :mod:`geo_heart.io.textloss`).

    Raises
    ------
    InputError
        A user's column has the field name of a result (ignoring case), naming both.
    """
    cols = [str(c) for c in columns]
    own = set(own_columns(cols, input_columns))
    parts = parts or {}
    fields: dict[str, list[str]] = {}
    holder: dict[str, str] = {}
    for c in cols:
        if c in own:
            f = own_field(c)
            names = [f, *(part_field(f, k) for k in range(2, parts.get(c, 1) + 1))]
        elif len(c) <= NAME_CHARS:
            names = [c]
        else:
            continue
        fields[c] = names
        for n in names:
            other = holder.get(n.lower())
            if other is not None and not ({c, other} & own):
                raise InputError(
                    f"{str(source)!r}: columns {other!r} and {c!r} would both be the Shapefile "
                    f"field {n!r} (dBASE ignores case); rename one or write a GeoPackage"
                )
            if other is not None:
                user, result = (c, other) if other in own else (other, c)
                raise InputError(
                    f"{str(source)!r}: column {user!r} would share the Shapefile field {n!r} "
                    f"with geo-heart's result {result!r} (docs/outputs.md); rename {user!r} "
                    "or write a GeoPackage"
                )
            holder[n.lower()] = c
    cut = cut_names([c for c in cols if c not in fields], reserved=holder)
    return {c: fields[c] if c in fields else [cut[c]] for c in cols}


def check_result_names(header, results, *, source="input") -> None:
    """Refuse, before any work, an input column that has a result's Shapefile field name."""
    cols = [str(c) for c in header]
    plan_fields([*cols, *(str(r) for r in results)], input_columns=cols, source=source)


# ------------------------------------------------------------------------- long values
def split_text(value: str, limit: int = TEXT_BYTES) -> list[str] | None:
    """``value`` in parts of at most ``limit`` UTF-8 bytes whose concatenation is ``value``,
    each cut on a character boundary where neither side is a space (dBASE strips the spaces
    around a value); ``None`` when no such cut exists (e.g. a long run of spaces)."""
    parts: list[str] = []
    rest = value
    while len(rest.encode("utf-8")) > limit:
        n, size = 0, 0
        while n < len(rest) and size + len(rest[n].encode("utf-8")) <= limit:
            size += len(rest[n].encode("utf-8"))
            n += 1
        while n > 0 and (rest[n - 1] == " " or rest[n] == " "):
            n -= 1
        if n == 0:
            return None
        parts.append(rest[:n])
        rest = rest[n:]
    parts.append(rest)
    return parts


def parts_of(values) -> tuple[int, int]:
    """(most parts any value needs, values that cannot be split) for an iterable of texts."""
    most, bad = 1, 0
    for v in values:
        # a text of at most 63 characters holds at most 252 bytes
        if not isinstance(v, str) or len(v) <= TEXT_BYTES // 4 or len(v.encode()) <= TEXT_BYTES:
            continue
        p = split_text(v)
        if p is None:
            bad += 1
        else:
            most = max(most, len(p))
    return most, bad


def split_column(values, n: int) -> list[list]:
    """``n`` lists: part ``k`` of each value (``None`` where a value has fewer parts). A value no
    cut keeps whole (refused unless ``--on-loss warn``) is cut to 254 bytes in its first field."""
    out: list[list] = [[] for _ in range(n)]
    for v in values:
        p = split_text(v) if isinstance(v, str) else [v]
        p = p or [v.encode("utf-8")[:TEXT_BYTES].decode("utf-8", "ignore")]
        for k in range(n):
            out[k].append(p[k] if k < len(p) else None)
    return out


# ------------------------------------------------------------------------- sidecars
def columns_map_path(shp: str | Path) -> Path:
    """``<name>.columns.csv`` beside ``<name>.shp``."""
    p = Path(shp)
    return p.with_name(p.stem + ".columns.csv")


def columns_table(fields: dict[str, list[str]]) -> pd.DataFrame:
    """``original,shapefile,part``: one line per field, a split column once per part."""
    rows = [(c, f, k) for c, names in fields.items() for k, f in enumerate(names, 1)]
    return pd.DataFrame(rows, columns=["original", "shapefile", "part"])


def alias_qml(fields: dict[str, list[str]]) -> str:
    """A QGIS style (``.qml``) holding only field aliases: the full column names."""
    from xml.sax.saxutils import quoteattr

    lines, i = [], 0
    for c, names in fields.items():
        for k, f in enumerate(names, 1):
            alias = c if len(names) == 1 else (c if k == 1 else f"{c} (part {k})")
            lines.append(f"    <alias index={quoteattr(str(i))} field={quoteattr(f)} "
                         f"name={quoteattr(alias)}/>")  # fmt: skip
            i += 1
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.22.0" styleCategories="Fields">\n  <aliases>\n'
        + "\n".join(lines)
        + "\n  </aliases>\n</qgis>\n"
    )


def write_field_sidecars(shp: str | Path, fields: dict[str, list[str]]) -> dict[str, str]:
    """Write ``<name>.columns.csv`` and ``<name>.qml`` (field aliases) beside ``shp``."""
    from geo_heart.io.files import write_text_file

    p = Path(shp)
    csv = write_text_file(columns_map_path(p), columns_table(fields).to_csv(index=False))
    qml = write_text_file(p.with_suffix(".qml"), alias_qml(fields))
    return {"columns_map": str(csv), "aliases": str(qml)}


# ------------------------------------------------------------------------- reading back

def fields_back(frame: pd.DataFrame, shp: str | Path, results=()) -> pd.DataFrame:
    """A table read from a Shapefile with its full column names and split values joined.

    Uses ``<name>.columns.csv`` beside ``shp``; without it (a file renamed alone), the fixed
    names of the own ``results`` (output names such as ``gh_beat``) and their numbered
    continuation fields.
    """
    map_path = columns_map_path(shp)
    if map_path.exists():
        m = pd.read_csv(map_path, dtype=str, keep_default_na=False)
        if "part" not in m.columns:  # written before values were split
            m["part"] = "1"
        groups: dict[str, list[str]] = {}
        for orig, field, part in zip(m["original"], m["shapefile"], m["part"], strict=True):
            groups.setdefault(orig, []).append((int(part or 1), field))
        fields = {c: [f for _k, f in sorted(v)] for c, v in groups.items()}
    else:
        fields = {}
        present = {str(c).lower(): str(c) for c in frame.columns}
        for r in results:
            f = own_field(r)
            if f is None or f.lower() not in present:
                continue
            names, k = [present[f.lower()]], 2
            while part_field(f, k).lower() in present:
                names.append(present[part_field(f, k).lower()])
                k += 1
            fields[str(r)] = names
    out = frame.copy()
    renames = {}
    for c, names in fields.items():
        names = [n for n in names if n in out.columns]
        if not names:
            continue
        if len(names) > 1:
            joined = [
                None if all(p is None or p != p for p in row) else
                "".join(p for p in row if isinstance(p, str))
                for row in zip(*(out[n] for n in names), strict=True)
            ]  # fmt: skip
            out[names[0]] = pd.Series(joined, index=out.index, dtype=object)
            out = out.drop(columns=names[1:])
        renames[names[0]] = c
    return out.rename(columns=renames)

"""Names of the result columns every command adds, decided from the input's header alone.

Kept apart from :mod:`geo_heart.geo.assign` (and its imports) so that ``Area.geocode`` and
the batch geocoder name their columns without loading the point-assignment and vector-file
modules on their first call.
"""

from __future__ import annotations

from geo_heart.errors import InputError

#: ``DataFrame.attrs`` key recording the user's own columns of a result (``Area.assign`` and
#: ``Area.geocode`` set it; :func:`geo_heart.io.vector.write_vector` reads it)
INPUT_COLUMNS_ATTR = "geo_heart_input_columns"

#: Prefix of a result column whose name the input already uses (``gh_beat``), for every command.
RESULT_PREFIX = "gh_"
#: dBASE (Shapefile) field names keep this many characters
DBF_NAME_CHARS = 10


def name_keys(name: str) -> tuple[str, str]:
    """How output formats compare a column name: ignoring case (GeoPackage, SQLite, OGR) and on
    its first 10 characters ignoring case (Shapefile's dBASE)."""
    low = str(name).lower()
    return low, low[:DBF_NAME_CHARS]


def result_column_names(
    columns, results, *, prefix: str = RESULT_PREFIX, source: str = "input"
) -> dict[str, str]:
    """Result column → output name: ``prefix + name`` where the input already has ``name``.

    Names are compared the way the strictest output format compares them (:func:`name_keys`):
    an input ``BEAT`` clashes with the result ``beat`` (GeoPackage and Shapefile ignore case)
    and an input ``IN_SERVICE`` with ``in_service_area`` (a Shapefile keeps 10 characters). So
    the names are the same whatever the output format, and decided from the header alone,
    before any work.

    Raises
    ------
    InputError
        If the prefixed name is taken as well (e.g. both ``lon`` and ``gh_lon``).
    """
    cols = list(map(str, columns))
    full = {k[0]: c for c in cols for k in [name_keys(c)]}
    short = {k[1]: c for c in cols for k in [name_keys(c)]}

    def clash(name: str) -> str | None:
        low, cut = name_keys(name)
        return full.get(low) or short.get(cut)

    names = {}
    for c in results:
        name = f"{prefix}{c}" if clash(c) else c
        other = clash(name)
        if other:
            raise InputError(
                f"{source!r} has both {clash(c)!r} and {other!r} columns, so the result column "
                f"{c!r} has no free name (names are compared ignoring case and, for Shapefile "
                f"output, on their first {DBF_NAME_CHARS} characters); rename one of them"
            )
        names[c] = name
    return names

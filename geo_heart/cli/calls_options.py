"""Options shared by the call-table commands (``demand``, ``coverage``, ``hotspots``, ``map``)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

_OPTIONS = [
    click.argument("calls_path", metavar="[CALLS]", required=False, type=click.Path()),
    click.option("--call-type-column", help="Column holding the CAD call type ([layers.calls])."),
    click.option("--time-column", help="Column holding the call time ([layers.calls])."),
    click.option(
        "--time-zone",
        help="Zone of times without an offset in the time column, e.g. UTC ([layers.calls]).",
    ),
    click.option(
        "--offsets",
        type=click.Choice(["honour", "local"]),
        help="How a UTC offset written in the time column is read: honour (convert to the "
        "area's zone) or local (drop it: the clock is local wall time) ([layers.calls] offsets).",
    ),
    click.option(
        "--hour-column",
        help="The source's own hour column (HHMM): checked against the time column's clock "
        "([layers.calls] hour_column).",
    ),
    click.option("--beat-column", help="Column holding the beat code."),
    click.option("--lon-column", help="Longitude column (WGS84); needs --lat-column."),
    click.option("--lat-column", help="Latitude column (WGS84); needs --lon-column."),
    click.option(
        "--address-column", help="Address column, geocoded when there is no beat/lon/lat."
    ),
    click.option("--id-column", help="Call id column (copied to outputs)."),
]


def calls_options(func: Callable) -> Callable:
    """Decorate a command with CALLS and the column options."""
    for opt in reversed(_OPTIONS):
        func = opt(func)
    return func


def rules_options(func: Callable) -> Callable:
    """``--rules NAME`` / ``--as-of DATE``: judge every call under one rule set."""
    func = click.option(
        "--as-of",
        "as_of",
        metavar="DATE",
        help="Judge every call under the rules in force on this local date (e.g. 2022-04-01).",
    )(func)
    return click.option(
        "--rules",
        "rules",
        metavar="NAME",
        help="Judge every call under this rule set (a [[rules]] name; default: each call's own date).",
    )(func)


def load_calls_from_options(obj, kwargs: dict, *, geocode: bool = False):
    """Load the call table named by the shared options (pops them from ``kwargs``, and
    ``rules``/``as_of`` when the command has :func:`rules_options`)."""
    from geo_heart.analysis.calls import load_calls

    ws = obj.workspace
    rules = None
    if "rules" in kwargs or "as_of" in kwargs:
        from geo_heart.dispatch.eligibility import resolve_rules

        name, as_of = kwargs.pop("rules", None), kwargs.pop("as_of", None)
        if name is not None or as_of is not None:
            rules = resolve_rules(ws.config, name, as_of)
    data = load_calls(
        ws,
        kwargs.pop("calls_path"),
        call_type_column=kwargs.pop("call_type_column"),
        time_column=kwargs.pop("time_column"),
        time_zone=kwargs.pop("time_zone"),
        offsets=kwargs.pop("offsets", None),
        hour_column=kwargs.pop("hour_column", None),
        beat_column=kwargs.pop("beat_column"),
        lon_column=kwargs.pop("lon_column"),
        lat_column=kwargs.pop("lat_column"),
        address_column=kwargs.pop("address_column"),
        id_column=kwargs.pop("id_column"),
        geocode=geocode,
        progress=sys.stderr.isatty() and not obj.quiet,
        rules=rules,
    )
    say_calls_summary(obj, data.summary())
    return ws, data


def say_calls_summary(obj, s: dict) -> None:
    """The one status line about a loaded call table (``CallData.summary()``), in the area's
    words for its units."""
    from geo_heart.render.tables import relabel

    words = obj.workspace.config.beats.labels
    say = obj.say
    obj_say = lambda text: say(relabel(text, words))  # noqa: E731
    obj_say(
        f"{s['rows']:,} calls from {s['source']} (located by {s['location_mode']}): "
        f"{s['classified']:,} classified, {s['unknown_calls']:,} with a code not in the call-type "
        f"table ({s['unknown_distinct_codes']:,} distinct codes), {s['unplaced']:,} not placed in a beat"
        + (f" ({_reasons(s['unplaced_reasons'])})" if s["unplaced"] else "")
        + (f", {s['bad_times']:,} unreadable times" if s["bad_times"] else "")
        + (
            f", {s['out_of_range_times']:,} times unreadable/out of range (years outside 1677-2262)"
            if s["out_of_range_times"]
            else ""
        )
        + _dst_text(s["dst_times"])
    )
    for note in s.get("notes", []):
        obj.say(f"note: {note}")


def _dst_text(dst: dict) -> str:
    """``, 12 times in a DST change, resolved as …`` (empty when there are none)."""
    n = dst["ambiguous"] + dst["nonexistent"]
    if not n:
        return ""
    how = []
    if dst["ambiguous"]:
        how.append(f"{dst['ambiguous']:,} repeated (clocks back) as the first occurrence")
    if dst["nonexistent"]:
        how.append(f"{dst['nonexistent']:,} skipped (clocks forward) shifted forward")
    return f", {n:,} times in a DST change, resolved as {' and '.join(how)}"


def _reasons(reasons: dict) -> str:
    return "; ".join(f"{k}: {v:,}" for k, v in list(reasons.items())[:4])

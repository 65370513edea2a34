"""``--at-column`` / ``--at-time-zone`` of ``assign`` and ``geocode``: rules at each row's time."""

from __future__ import annotations

import click


def at_column_options(f):
    """Add ``--at-column COL`` and ``--at-time-zone TZ`` (see :mod:`geo_heart.geo.rules_at`)."""
    f = click.option(
        "--at-time-zone",
        metavar="TZ",
        help="Zone of times without an offset in --at-column (default: [layers.calls] "
        "time_zone, else the area's zone), e.g. UTC.",
    )(f)
    return click.option(
        "--at-column",
        metavar="COL",
        help="Column holding each row's time: in_service_area, rules, service_area and programs "
        "are judged under the rules in force then (default: today's rules).",
    )(f)


def check_at_column(ws, header, at_column, at_time_zone, source, engine: str = "local") -> None:
    """Refuse, before any work, a missing ``--at-column``, a bad zone or the dask engine."""
    if not at_column:
        if at_time_zone:
            raise click.BadParameter("needs --at-column", param_hint="--at-time-zone")
        return
    if engine == "dask":
        raise click.BadParameter("runs with the local engine", param_hint="--at-column")
    from geo_heart.errors import InputError
    from geo_heart.geo.rules_at import at_time_zone as zone_of
    from geo_heart.geo.rules_at import check_time_zone

    if at_column not in list(map(str, header)):
        raise InputError(
            f"{str(source)!r} has no --at-column {at_column!r}; columns: {list(map(str, header))}"
        )
    check_time_zone(zone_of(ws.config, at_time_zone))


def rules_summary(ws, at_column, at_time_zone, counts, spec) -> dict:
    """Name the rules in the output's metadata; returns the JSON ``rules`` entry of the summary."""
    from geo_heart.geo.rules_at import rules_note, write_rules_metadata

    note = rules_note(ws.config, at_column=at_column, time_zone=at_time_zone, counts=counts)
    side = write_rules_metadata(spec.path, spec.fmt, note)
    return {**note, "metadata": side or f"{spec.path} (GeoPackage metadata)"}


def service_area_words(ws, note: dict) -> str:
    """``in the service area …`` words of a summary line, for the rules ``note`` names."""
    if note.get("judged") == "today":
        from geo_heart.geo.workspace import service_area_today

        return f"in the service area in force today ({service_area_today(ws.config).label})"
    return f"in the service area in force at their own time ({note['at_column']})"


def say_rules(obj, note: dict) -> None:
    """The summary line naming the rules and where the output records them."""
    from geo_heart.geo.rules_at import rules_sentence

    obj.say(f"{rules_sentence(note)}; recorded in {note['metadata']}")

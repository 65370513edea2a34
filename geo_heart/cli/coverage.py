"""``geo-heart coverage``: share of eligible calls inside the service area and hours."""

from __future__ import annotations

import json
from pathlib import Path

import click

from geo_heart.cli.calls_options import calls_options, load_calls_from_options
from geo_heart.cli.options import (
    FOLDER_OUTPUTS,
    check_output_dir,
    emit_json,
    json_option,
    output_dir_option,
    pass_ctx,
    program_option,
)


@click.command()
@calls_options
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    metavar="NAME",
    help="A [scenarios.NAME] of the area file to compare (repeatable; 'all' for every one).",
)
@click.option(
    "--scenario-file",
    type=click.Path(dir_okay=False),
    help="TOML file of [scenarios.NAME] tables (service_area or beats, hours, programs).",
)
@click.option("--beats", help="What-if service area: beat codes '111,121' or a service-area name.")
@click.option("--hours", help="What-if hours, e.g. 'Mon-Fri 08:00-20:00; Sat 10:00-14:00'.")
@program_option(
    "Programs the --beats/--hours what-if applies to, e.g. 'CRT,CoR' or repeated (default all).",
    multiple=True,
)
@output_dir_option(
    "Write coverage.csv, coverage.json and layer coverage_by_beat of beats.gpkg here.",
    required=False,
    writes=FOLDER_OUTPUTS["coverage"],
)
@click.option(
    "--rules",
    "rules",
    metavar="NAME",
    help="Judge every call under this rule set (a [[rules]] name, e.g. pilot; default: the latest).",
)
@click.option(
    "--as-of",
    metavar="DATE",
    help="Judge every call under the rules in force on this local date (e.g. 2023-01-01).",
)
@click.option(
    "--by-period",
    is_flag=True,
    help="Instead: judge each call under the rules of its own time and compare the periods.",
)
@json_option
@pass_ctx
def coverage(
    obj,
    scenarios,
    scenario_file,
    beats,
    hours,
    programs,
    rules,
    as_of,
    by_period,
    out_dir,
    as_json,
    **kwargs,
) -> None:
    """Of the calls eligible by type, the share inside each program's area, hours and both.

    Compares a rule set (default: the latest; --rules NAME or --as-of DATE) with the scenarios
    asked for, applied on top of it; every call is judged under those rules whatever its date.
    --by-period judges each call under the rules of its own time instead (pilot vs citywide).

    \b
    Examples:
      geo-heart coverage --by-period
      geo-heart coverage --rules pilot --scenario citywide_12h
      geo-heart coverage --as-of 2023-01-01 --scenario around_the_clock
      geo-heart coverage --beats pilot,121,123 --hours "Mon-Sun 08:00-22:00" --programs CRT
      geo-heart coverage calls.parquet --scenario-file whatif.toml -o out/
    """
    check_output_dir(out_dir)

    from geo_heart.analysis.coverage import (
        coverage_table,
        coverage_text,
        hours_not_judged,
    )
    from geo_heart.io.tables import write_table

    if by_period and (rules or as_of or scenarios or scenario_file or beats or hours):
        raise click.UsageError("--by-period takes no --rules/--as-of or what-if options")
    # every what-if option (beats, hours, scenarios, rules) is checked before the calls are read
    wis = None
    if not by_period:
        wis = _what_ifs(
            obj.workspace,
            scenarios=scenarios,
            scenario_file=scenario_file,
            beats=beats,
            hours=hours,
            programs=programs,
            rules=rules,
            as_of=as_of,
        )
    ws, data = load_calls_from_options(obj, kwargs)
    if by_period:
        from geo_heart.analysis.coverage import rules_coverage_table

        table = hours_not_judged(rules_coverage_table(data, ws.config), data)
        records = json.loads(table.to_json(orient="records"))
        groups = _groups_by_period(ws)
        if out_dir:
            write_table(table, Path(out_dir) / "coverage_by_period.csv")
            if groups is not None:
                write_table(groups.round(4), Path(out_dir) / "equity_by_period.csv")
        if as_json:
            payload = {"summary": data.summary(), "coverage_by_period": records}
            if groups is not None:
                payload["groups_by_period"] = json.loads(groups.to_json(orient="records"))
            click.echo(json.dumps(payload))
        else:
            click.echo(_period_text(table), nl=False)
            if groups is not None:
                from geo_heart.cli.equity import period_groups_text

                click.echo(period_groups_text(groups), nl=False)
        return
    table = hours_not_judged(coverage_table(data, wis), data)
    records = json.loads(table.to_json(orient="records"))
    if out_dir:
        out = Path(out_dir)
        write_table(table, out / "coverage.csv")
        from geo_heart.io.files import write_text_file

        write_text_file(
            out / "coverage.json",
            json.dumps({"summary": data.summary(), "coverage": records}, indent=2),
        )
        from geo_heart.analysis.demand import beat_demand
        from geo_heart.io.vector import write_beat_layers
        from geo_heart.render.tables import coverage_by_beat

        layer = coverage_by_beat(beat_demand(ws, data), data.programs)
        gpkg = write_beat_layers(ws, {"coverage_by_beat": layer}, out / "beats.gpkg")["path"]
        obj.say(f"wrote {out / 'coverage.csv'}, {out / 'coverage.json'} and {gpkg}")
    if as_json:
        emit_json({"summary": data.summary(), "coverage": records})
    else:
        click.echo(coverage_text(table), nl=False)


def _period_text(table) -> str:
    """Fixed-width text of the by-period table."""
    from geo_heart.analysis.coverage import count_share_text

    lines = []
    for _name, g in table.groupby("rules", sort=False):
        r0 = g.iloc[0]
        lines.append(
            f"{r0['label']} ({r0['rules']}): calls {r0['first_call']} to {r0['last_call']}, "
            f"{r0['months']} months"
        )
        lines.append(
            f"  {'program':<8}{'eligible':>10}{'in area':>16}{'in hours':>16}{'covered':>16}"
        )
        for r in g.itertuples():
            pct = count_share_text
            lines.append(
                f"  {r.program:<8}{r.eligible:>10,}{pct(r.in_area, r.share_in_area):>16}"
                f"{pct(r.in_hours, r.share_in_hours):>16}{pct(r.covered, r.share_covered):>16}"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _groups_by_period(ws):
    """Each resident group's share in the service area per rule set, or None (with a warning on
    stderr naming the layer) when the area has no census tracts for it."""
    from geo_heart.analysis.equity import MissingLayerError, groups_by_rule_set

    try:
        return groups_by_rule_set(ws, bootstrap=0)
    except MissingLayerError as exc:
        click.echo(f"Warning: no resident groups by period: {exc}", err=True)
        return None


def _what_ifs(ws, *, scenarios, scenario_file, beats, hours, programs, rules, as_of):
    """The what-ifs the options ask for (a service-area name in a --beats list expands)."""
    from geo_heart.analysis.coverage import resolve_what_ifs

    beats_arg = beats
    if beats and "," in beats:
        parts = [b.strip() for b in beats.split(",") if b.strip()]
        expanded: list[str] = []
        for b in parts:  # a service-area name inside a list expands to its beats
            if b in ws.config.service_areas:
                expanded += ws.config.service_areas[b].resolve(ws.beat_index.beats)
            else:
                expanded.append(b)
        beats_arg = ",".join(dict.fromkeys(expanded))
    return resolve_what_ifs(
        ws,
        scenarios=scenarios,
        scenario_file=scenario_file,
        beats=beats_arg,
        hours=hours,
        programs=programs or None,
        rules=rules,
        as_of=as_of,
    )

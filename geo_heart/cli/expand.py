"""``geo-heart expand``: which beats to add to the service area next, and what each choice buys."""

from __future__ import annotations

import json
from pathlib import Path

import click

from geo_heart.cli.options import (
    FOLDER_OUTPUTS,
    basemap_option,
    check_output_dir,
    json_option,
    maps_dir_option,
    pass_ctx,
    program_option,
    scenario_option,
)


def _beat_list(values: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.replace(",", " ").split() if x.strip())
    return out


@click.command()
@click.argument("calls_path", metavar="[CALLS]", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--k",
    "k",
    type=click.IntRange(0, 10_000),
    help="Number of beats to add (default 3 unless --target).",
)
@click.option(
    "--target",
    type=float,
    help="Instead: the fewest beats whose coverage reaches this share (0-1) of eligible calls.",
)
@click.option("--contiguous", is_flag=True, help="Added beats must connect to the current area.")
@click.option(
    "--require",
    "require",
    multiple=True,
    metavar="BEATS",
    help="Beats that must be added (repeat or comma-separate).",
)
@click.option(
    "--exclude", "exclude", multiple=True, metavar="BEATS", help="Beats that must not be added."
)
@click.option(
    "--capacity",
    type=click.FloatRange(0, 10_000, min_open=True),
    metavar="CALLS",
    help="Calls one team can take per shift; coverage then counts only servable demand.",
)
@click.option(
    "--teams",
    type=click.IntRange(1, 200),
    default=1,
    show_default=True,
    help="Teams on each shift (with --capacity).",
)
@click.option(
    "--bases",
    "bases_path",
    type=click.Path(dir_okay=False),
    help="Team bases: CSV with name, lon, lat (or address).",
)
@click.option(
    "--distance",
    "distance_method",
    type=click.Choice(["straight", "network"]),
    default="straight",
    show_default=True,
    help="Distance from bases: straight line, or over the road layer ([layers.roads]).",
)
@click.option(
    "--roads",
    "roads_path",
    type=click.Path(dir_okay=False),
    help="Road line file for --distance network.",
)
@click.option(
    "--within-m",
    type=click.FloatRange(0, 1_000_000),
    default=5000.0,
    show_default=True,
    help="Report the share of eligible calls within this distance of a base.",
)
@click.option(
    "--max-distance-m",
    type=click.FloatRange(0, 1_000_000),
    help="Only add beats whose demand point is within this distance of a base.",
)
@click.option(
    "--service-area", help="Service area to expand (default: the area's default, e.g. pilot)."
)
@program_option(
    "Expanding programs, repeated or comma-separated (default: those serving that area).",
    multiple=True,
)
@click.option(
    "--include-outside-city",
    is_flag=True,
    help="Keep beats flagged outside_city (Durham: 999) as candidates.",
)
@click.option(
    "--compare-k",
    type=click.IntRange(0, 10_000),
    default=5,
    show_default=True,
    help="Greedy vs optimal for k = 1..N.",
)
@click.option(
    "--rules",
    metavar="NAME",
    help="Rule set to expand from (a [[rules]] name, e.g. pilot for the pilot retrospective; "
    "default: the latest). Every call is judged under it.",
)
@click.option(
    "--objective",
    type=click.Choice(["calls", "need"]),
    default="calls",
    show_default=True,
    help="Rank by eligible calls, or by calls weighted by the need measure of where they are "
    "([equity].need_field of the area file).",
)
@scenario_option
@maps_dir_option(
    "Output folder for CSV, beats.gpkg, map and report (default: the maps folder, 'maps').",
    writes=FOLDER_OUTPUTS["expand"],
)
@basemap_option
@click.option("--no-map", is_flag=True, help="Skip the HTML map and report (CSV only).")
@click.option("--beat-column", help="Beat column of CALLS (default from [layers.calls]).")
@click.option("--call-type-column", help="Call-type column of CALLS.")
@click.option("--time-column", help="Time column of CALLS.")
@json_option
@pass_ctx
def expand(
    obj,
    calls_path,
    k,
    target,
    contiguous,
    require,
    exclude,
    capacity,
    teams,
    bases_path,
    distance_method,
    roads_path,
    within_m,
    max_distance_m,
    service_area,
    programs,
    include_outside_city,
    compare_k,
    rules,
    objective,
    scenario,
    out_dir,
    basemap,
    no_map,
    beat_column,
    call_type_column,
    time_column,
    as_json,
) -> None:
    """Rank the beats outside the service area and choose the best ones to add.

    Under rules where every program already serves the whole city (Durham's latest), lists the
    hours, county areas and call types to add instead, each with the eligible calls it adds
    (expansion_today.csv). --rules pilot runs the beat model for the pilot retrospective.

    CALLS is a call table (default: [layers.calls] of the area file). Demand is eligible calls
    within program hours; the selection is solved exactly (PuLP/CBC). Writes
    expansion_candidates.csv, expansion_curve.csv, expansion_compare.csv, beats.gpkg (layer
    expansion_candidates), expansion_map.html (works offline), expansion_curve.png and
    expansion_report.html into -o DIR. Maps are aggregated by beat.

    \b
    Examples:
      geo-heart expand
      geo-heart expand --rules pilot --k 3 --contiguous
      geo-heart expand --target 0.6 --contiguous --exclude 999
      geo-heart expand --k 3 --capacity 4 --teams 2 --bases bases.csv --distance network
    """
    out = check_output_dir(out_dir or obj.settings.maps_dir)

    import geo_heart.expansion as ex
    from geo_heart.analysis.calls import load_calls
    from geo_heart.io.tables import read_table, write_table

    ws = obj.workspace
    rule_set = ws.config.rule_set(rules)
    if service_area is None and not programs and not ex.partial_coverage(ws.config, rule_set):
        # every program serves the whole area: expand hours, county areas and call types instead
        data = load_calls(
            ws,
            calls_path,
            beat_column=beat_column,
            call_type_column=call_type_column,
            time_column=time_column,
        )
        table = ex.today_candidates(ws, data, rules=rule_set.name, objective=objective)
        out = Path(out_dir) if out_dir else ws.settings.maps_dir
        path = write_table(table, out / "expansion_today.csv")
        if as_json:
            records = json.loads(table.to_json(orient="records"))
            click.echo(json.dumps({"rules": rule_set.as_dict(), "candidates": records}))
        else:
            click.echo(ex.today_text(table, rule_set))
        click.echo(f"wrote {path}", err=True)
        return
    from geo_heart.expansion.plan import plan_beats, plan_text
    from geo_heart.render.expansion import write_beat_plan

    # usage errors (exit 2) before any work
    if k is not None and k < 0:
        raise click.BadParameter(f"must be >= 0, got {k}", param_hint="--k")
    if target is not None and not 0 < target <= 1:
        raise click.BadParameter(f"must be a share in (0, 1], got {target}", param_hint="--target")
    if capacity is not None and capacity <= 0:
        raise click.BadParameter(f"must be > 0, got {capacity}", param_hint="--capacity")
    if teams < 1:
        raise click.BadParameter(f"must be >= 1, got {teams}", param_hint="--teams")
    if max_distance_m is not None and not bases_path:
        raise click.UsageError("--max-distance-m needs --bases")
    bar = obj.progress(total=6 if not no_map else 4, desc="expand", unit="step")
    bar.set_postfix_str("calls")
    data = load_calls(
        ws,
        calls_path,
        beat_column=beat_column,
        call_type_column=call_type_column,
        time_column=time_column,
        scenario=scenario,
        rules=rule_set.name,
    )
    bases = (
        ex.bases_from_table(ws, read_table(bases_path), source=bases_path) if bases_path else None
    )
    bar.update()
    plan = plan_beats(
        ws,
        data,
        k=k,
        target=target,
        contiguous=contiguous,
        required=_beat_list(require),
        excluded=_beat_list(exclude),
        capacity=capacity,
        teams=teams,
        bases=bases,
        distance_method=distance_method,
        roads_path=roads_path,
        within_m=within_m,
        max_distance_m=max_distance_m,
        service_area=service_area,
        programs=list(programs) or None,
        include_outside_city=include_outside_city,
        compare_k=compare_k,
        scenario=scenario,
        rules=rules,
        objective=objective,
        progress=bar,
    )
    bar.set_postfix_str("tables")
    written = write_beat_plan(ws, plan, out, with_map=not no_map, basemap=basemap, progress=bar)
    bar.close()
    if as_json:
        click.echo(json.dumps(plan.as_dict(written), default=str))
        return
    click.echo(plan_text(plan))
    obj.say("Wrote " + ", ".join(str(p) for p in written))

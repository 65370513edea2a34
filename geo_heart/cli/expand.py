"""``geo-heart expand``: which beats to add to the service area next, and what each choice buys."""

from __future__ import annotations

import json
from pathlib import Path

import click

from geo_heart.cli.options import (
    check_output_dir,
    json_option,
    maps_dir_option,
    pass_ctx,
    program_option,
    scenario_option,
)
from geo_heart.errors import InputError


def _beat_list(values: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.replace(",", " ").split() if x.strip())
    return out


@click.command()
@click.argument("calls_path", metavar="[CALLS]", required=False, type=click.Path(dir_okay=False))
@click.option("--k", "k", type=int, help="Number of beats to add (default 3 unless --target).")
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
    type=float,
    metavar="CALLS",
    help="Calls one team can take per shift; coverage then counts only servable demand.",
)
@click.option(
    "--teams", type=int, default=1, show_default=True, help="Teams on each shift (with --capacity)."
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
    type=float,
    default=5000.0,
    show_default=True,
    help="Report the share of eligible calls within this distance of a base.",
)
@click.option(
    "--max-distance-m",
    type=float,
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
    "--compare-k", type=int, default=5, show_default=True, help="Greedy vs optimal for k = 1..N."
)
@click.option(
    "--rules",
    metavar="NAME",
    help="Rule set to expand from (a [[rules]] name, e.g. pilot for the pilot retrospective; "
    "default: the latest). Every call is judged under it.",
)
@scenario_option
@maps_dir_option(
    "Output folder for CSV, beats.gpkg, map and report (default: the maps folder, 'maps')."
)
@click.option(
    "--basemap",
    type=click.Choice(["none", "roads"]),
    default="none",
    show_default=True,
    help="Offline base map: the area's road layer ([layers.roads]).",
)
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

    import pandas as pd

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
        table = ex.today_candidates(ws, data, rules=rule_set.name)
        out = Path(out_dir) if out_dir else ws.settings.maps_dir
        path = write_table(table, out / "expansion_today.csv")
        if as_json:
            records = json.loads(table.to_json(orient="records"))
            click.echo(json.dumps({"rules": rule_set.as_dict(), "candidates": records}))
        else:
            click.echo(ex.today_text(table, rule_set))
        click.echo(f"wrote {path}", err=True)
        return
    if k is None and target is None:
        k = 3
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
        rules=ws.config.rule_set(rules).name,
    )
    if data.rows == 0:
        raise InputError(
            f"{data.source}: the call file has no rows (only a header); nothing to plan"
        )
    problem = ex.ExpansionProblem.from_calls(
        ws,
        data,
        service_area=service_area,
        programs=list(programs) or None,
        scenario=scenario,
        rules=rules,
        include_outside_city=include_outside_city,
    )
    notes = [
        f"Calls: {data.source} ({data.rows:,} rows; {data.unknown_calls:,} with a call type not in "
        f"the table, {data.unplaced:,} without a beat).",
        "Demand = calls whose type (with the weapon/violence flag) an expanding program takes, "
        "at a time it is open" + (f" (hours from scenario {scenario!r})" if scenario else "") + ".",
    ]
    if problem.excluded_beats:
        notes.append(
            "Left out: "
            + "; ".join(f"{b} ({why})" for b, why in problem.excluded_beats.items())
            + "."
        )
    isolated = [b for b in problem.candidates if not problem.neighbors[b] & set(problem.beats)]
    if isolated:
        notes.append(
            f"Beats with no neighbour among the beats considered (never reachable contiguously): {', '.join(isolated)}."
        )
    bases = None
    if bases_path:
        bases = ex.bases_from_table(ws, read_table(bases_path), source=bases_path)
        dist = ex.distances_from_bases(
            ws, problem, bases, method=distance_method, roads_path=roads_path
        )
        problem = problem.with_distance(dist["distance_m"])
    cap = ex.Capacity(capacity, teams) if capacity is not None else None
    if cap is not None:
        notes.append(
            f"Capacity: {capacity:g} calls per team per shift × {teams} team(s), one shift per open "
            "day; coverage counts only calls the teams can serve (by weekday over the data period)."
        )
    opts = dict(
        contiguous=contiguous,
        required=_beat_list(require),
        excluded=_beat_list(exclude),
        capacity=cap,
        max_distance_m=max_distance_m,
    )
    bar.update()
    bar.set_postfix_str("solving")
    result = ex.optimal_selection(problem, k=k, target=target, **opts)
    if not result.feasible:
        raise InputError(
            f"no selection satisfies the options (solver status {result.status}); relax "
            "--contiguous, --require, --exclude, --max-distance-m or --target"
        )
    gopts = {key: v for key, v in opts.items() if key != "contiguous"}
    bar.update()
    bar.set_postfix_str("greedy vs optimal")
    curve = ex.greedy_curve(problem, contiguous=contiguous, **gopts)
    compare = ex.compare_greedy_optimal(
        problem, k_max=max(0, min(compare_k, len(curve) - 1)), contiguous=contiguous, **gopts
    )
    cands = ex.candidates_table(problem)
    cands["selected"] = cands["beat"].isin(result.beats)
    gorder = {b: i for i, b in enumerate(curve["beat"].iloc[1:], start=1)}
    cands["greedy_step"] = pd.array([gorder.get(b) for b in cands["beat"]], dtype="Int64")
    # one meaning per column name across outputs: these counts are within program hours
    cands = cands.rename(
        columns={
            c: f"{c}_in_hours"
            for c in cands.columns
            if c == "eligible_any" or c in {f"eligible_{p}" for p in problem.programs}
        }
    )
    within = None
    if bases is not None:
        within = ex.calls_within_distance(problem, within_m, beats=result.beats)

    bar.update()
    bar.set_postfix_str("tables")
    from geo_heart.io.vector import write_beat_layers

    written = [
        write_table(cands, out / "expansion_candidates.csv"),
        write_table(curve, out / "expansion_curve.csv"),
        write_table(compare, out / "expansion_compare.csv"),
        Path(write_beat_layers(ws, {"expansion_candidates": cands}, out / "beats.gpkg")["path"]),
    ]
    bar.update()
    if not no_map:
        from geo_heart.render.expansion import (
            curve_figure,
            expansion_map,
            figure_png,
            recommended_beats_png,
            report_html,
        )
        from geo_heart.render.maps import html_from_map

        bar.set_postfix_str("map")
        m = expansion_map(ws, problem, result, bases=bases, basemap=basemap)
        (out / "expansion_map.html").write_text(html_from_map(m), encoding="utf-8")
        written.append(out / "expansion_map.html")
        rec_png = recommended_beats_png(ws, problem, result)
        (out / "expansion_recommended.png").write_bytes(rec_png)
        written.append(out / "expansion_recommended.png")
        bar.update()
        bar.set_postfix_str("report")
        opt_pts = compare.assign(coverage=compare["optimal_covered"] / problem.total)
        fig = curve_figure(curve, optimal=opt_pts, title=f"Adding beats to {problem.label}")
        png = figure_png(fig)
        (out / "expansion_curve.png").write_bytes(png)
        written.append(out / "expansion_curve.png")
        if within is not None:
            notes.append(
                f"Within {within_m:,.0f} m ({distance_method}) of a base: "
                f"{within['share_within_any']:.1%} of the eligible calls the proposal covers."
            )
        (out / "expansion_report.html").write_text(
            report_html(
                problem,
                result=result,
                candidates=cands,
                curve=curve,
                compare=compare,
                png=png,
                map_png=rec_png,
                notes=notes,
            ),
            encoding="utf-8",
        )
        written.append(out / "expansion_report.html")
        bar.update()
    bar.close()

    if as_json:
        payload = {
            "result": result.as_dict(),
            "total": problem.total,
            "candidates": json.loads(cands.to_json(orient="records")),
            "compare": json.loads(compare.to_json(orient="records")),
            "within_distance": within,
            "files": [str(p) for p in written],
        }
        click.echo(json.dumps(payload, default=str))
        return
    show = ["rank", "beat", "touches_area", "eligible_any_in_hours"] + [
        f"eligible_{p}_in_hours" for p in problem.programs
    ]
    show += [c for c in ("eligible_per_1000", "eligible_per_sq_mi", "distance_m") if c in cands]
    show += ["greedy_step", "selected"]
    click.echo(cands[show].to_string(index=False, na_rep=""))
    click.echo("")
    what = (
        f"k={result.k}" if target is None else f"target {target:.0%} -> {len(result.beats)} beats"
    )
    click.echo(
        f"Optimal ({what}{', contiguous' if contiguous else ''}): add {' '.join(result.beats) or 'nothing'}"
        f"  [status {result.status}, proven optimal {result.optimal}, {result.solve_time_s:.2f} s]"
    )
    total = problem.total
    click.echo(
        f"  eligible calls within hours covered: {result.base_covered:,.0f} -> {result.covered:,.0f}"
        f" of {total:,.0f} ({result.base_covered / total:.1%} -> {result.coverage:.1%})"
        if total
        else "  no eligible calls"
    )
    if cap is not None:
        click.echo(
            "  (per program: eligible calls in the area; the line above counts only servable calls)"
        )
    for p in problem.programs:
        tot = float(problem.demand[f"eligible_{p}"].sum())
        if tot:
            before = float(problem.demand.loc[list(problem.base), f"eligible_{p}"].sum())
            after = result.per_program[f"covered_{p}"]
            click.echo(
                f"  {p}: {before:,.0f} -> {after:,.0f} of {tot:,.0f} ({before / tot:.1%} -> {after / tot:.1%})"
            )
    if within is not None:
        click.echo(
            f"  within {within_m:,.0f} m of a base ({distance_method}): "
            f"{within['share_within_any']:.1%} of covered eligible calls"
        )
    if len(compare):
        click.echo("Greedy vs optimal:")
        click.echo(compare.to_string(index=False))
    obj.say("Wrote " + ", ".join(str(p) for p in written))

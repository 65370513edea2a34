"""``geo-heart staffing``: answered share of eligible calls for given teams, fewest team-hours
for a target, and the cost of 24/7 service (loss-system model; docs/staffing.md)."""

from __future__ import annotations

import json

import click

from geo_heart.cli.calls_options import calls_options, load_calls_from_options, rules_options
from geo_heart.cli.options import (
    FOLDER_OUTPUTS,
    json_option,
    output_dir_option,
    pass_ctx,
    scenario_option,
)


@click.command()
@calls_options
@rules_options
@click.option(
    "--program",
    help="In-person program code (default: [staffing] program of the area file, else its first).",
)
@click.option(
    "--hourly-profile",
    "hourly_profile",
    type=click.Path(dir_okay=False),
    help="CSV of the share of calls by hour of the week (day,hour,weight): needed when the calls "
    "have a date but no time of day.",
)
@click.option("--teams", type=click.IntRange(min=0), help="Teams on duty in every service hour.")
@click.option(
    "--shifts",
    "shifts_path",
    type=click.Path(dir_okay=False),
    help="CSV of teams by hour: rows day,start,end,teams or a 7x24 grid (docs/staffing.md).",
)
@click.option("--service-minutes", type=float, help="Mean on-scene time per call ([staffing]).")
@click.option(
    "--distribution",
    type=click.Choice(["exponential", "deterministic", "lognormal"]),
    help="Service-time distribution ([staffing], default exponential).",
)
@click.option("--cv", type=float, help="Coefficient of variation of the lognormal.")
@click.option("--travel-minutes", type=float, help="Minutes added to every call (travel).")
@click.option(
    "--hours",
    "hours_text",
    metavar="TEXT",
    help="Override the program hours, e.g. 'Mon-Sun 00:00-24:00' (24/7); windows split by ';'.",
)
@scenario_option
@click.option(
    "--year",
    type=int,
    help="Use only calls of this year (local time). Default: the latest full year under "
    "today's rules (never years before the program).",
)
@click.option(
    "--scale-to",
    type=float,
    metavar="CALLS_PER_YEAR",
    help="Scale the hour-of-week profile to this many eligible calls a year (all hours).",
)
@click.option(
    "--forecast",
    "use_forecast",
    is_flag=True,
    help="Plan on next year's demand forecast (geo-heart forecast) at --quantile instead of the "
    "basis year: the forecast ÷ the basis calls scales the volume (docs/forecast.md).",
)
@click.option(
    "--quantile",
    type=float,
    metavar="Q",
    help="Quantile of the forecast's 12-month total to plan on (default: [forecast] quantile of "
    "the area file, else 0.8).",
)
@click.option("--target", type=float, metavar="SHARE", help="Plan the fewest team-hours for it.")
@click.option(
    "--min-teams-per-open-hour",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Teams a --target plan keeps on duty in every open hour (0 lets it close quiet hours).",
)
@click.option("--block-hours", default=4, show_default=True, help="Minimum shift length (hours).")
@click.option("--method", type=click.Choice(["ilp", "greedy"]), default="ilp", show_default=True)
@click.option("--replications", default=10, show_default=True, help="Simulation runs (0: none).")
@click.option("--weeks", default=52, show_default=True, help="Measured weeks per run.")
@click.option("--seed", default=0, show_default=True, help="Random seed of the simulation.")
@output_dir_option(
    "Folder for CSV tables and PNG charts.", required=False, writes=FOLDER_OUTPUTS["staffing"]
)
@json_option
@pass_ctx
def staffing(obj, out_dir, as_json, **kw) -> None:
    """Capacity of a program's teams for the calls in CALLS (default: [layers.calls]).

    A call that finds every team busy goes to police: answered share by Erlang-B with the
    modified offered load and by simulation (SimPy), overall and by hour of the week.

    Every answer names its basis: the rule set and program hours it staffs, the calls it
    averages (default: the latest full year under today's rules) and its volume (the call
    table's own count, or --scale-to). The planner report gives the same answer on the same
    basis.

    \b
    Examples:
      geo-heart staffing --program CRT --teams 4
      geo-heart staffing --scenario citywide_12h --year 2024 --scale-to 40000 --teams 8
      geo-heart staffing --target 0.8 --hours 'Mon-Sun 00:00-24:00' -o out/
      geo-heart staffing --target 0.8 --forecast --quantile 0.8
      geo-heart --area portland staffing --as-of 2022-04-01 --hourly-profile profile.csv --teams 2
    """
    from geo_heart.staffing.workflow import StaffingOptions, staffing_for_calls

    cfg = obj.workspace.config
    program = kw.pop("program") or cfg.staffing.get("program") or next(iter(cfg.programs))
    if kw["teams"] is not None and kw["shifts_path"] is not None:
        raise click.UsageError("give --teams or --shifts, not both")
    known = obj.workspace.config.programs
    if program not in known:  # checked before the calls are read
        raise click.BadParameter(f"{program!r}: known {', '.join(known)}", param_hint="--program")
    if kw["target"] is not None and not 0 < kw["target"] < 1:
        raise click.BadParameter(
            f"{kw['target']!r}: a share between 0 and 1", param_hint="--target"
        )
    use_forecast, quantile = kw.pop("use_forecast"), kw.pop("quantile")
    if quantile is not None and not use_forecast:
        raise click.UsageError("--quantile goes with --forecast")
    if quantile is not None and not 0 < quantile < 1:
        raise click.BadParameter(f"{quantile!r}: a share between 0 and 1", param_hint="--quantile")
    if use_forecast:
        default_q = float((getattr(cfg, "forecast", None) or {}).get("quantile", 0.8))
        kw["forecast_quantile"] = quantile if quantile is not None else default_q
    calls_kw = {k: kw.pop(k) for k in list(kw) if k in _CALL_KEYS}
    # every option checked (bounds, --hours) before the calls are read
    options = StaffingOptions(**kw)
    if options.hours_text:
        from geo_heart.staffing.data import schedule_from_text

        schedule_from_text(options.hours_text)
    if options.shifts_path is not None:
        from geo_heart.staffing.data import read_shifts

        read_shifts(options.shifts_path)
    ws, data = load_calls_from_options(obj, calls_kw)
    result = staffing_for_calls(ws, data, program, options)
    from geo_heart.staffing.budget import budget_table

    budget = budget_table(ws, result)
    written = {}
    if out_dir is not None:
        from geo_heart.staffing.outputs import write_outputs

        written = write_outputs(result, out_dir)
        if budget.available:
            from pathlib import Path

            from geo_heart.io.files import atomic_write

            path = Path(out_dir) / "budget.csv"
            with atomic_write(path) as tmp:
                budget.table.to_csv(tmp, index=False, float_format="%.2f")
            written["budget"] = path
    if as_json:
        d = result.to_dict()
        d["budget"] = budget.to_dict()
        d["outputs"] = {k: str(v) for k, v in written.items()}
        click.echo(json.dumps(d))
        return
    _print_text(result, written, budget)


_CALL_KEYS = {
    "calls_path",
    "rules",
    "as_of",
    "call_type_column",
    "time_column",
    "time_zone",
    "offsets",
    "hour_column",
    "beat_column",
    "lon_column",
    "lat_column",
    "address_column",
    "id_column",
}


def _pct(x) -> str:
    return "n/a" if x is None or x != x else f"{100 * x:.1f}%"


def _print_text(result, written, budget=None) -> None:
    d = result.demand
    ev = result.main
    if result.basis is not None:
        click.echo(f"basis: {result.basis.describe()}")
        if result.forecast:
            f = result.forecast
            click.echo(
                f"  forecast: {f['units']} {f['months'][0]} to {f['months'][1]}, mean "
                f"{f['mean']:,.0f}, p{100 * f['quantile']:g} {f['total']:,.0f} ({f['model']}); "
                f"planned on {f['volume']:,.0f} eligible calls a year"
            )
        if result.basis_note:
            click.echo(f"  note: {result.basis_note}")
    click.echo(
        f"{d.program}: {d.calls_per_year:,.0f} eligible calls/year (type and area), "
        f"{ev.mol.calls_in_service_per_week * 52.18:,.0f} in {int(d.service_hours.sum())} service "
        f"hours/week; service time {result.service.describe()}"
    )
    for n in d.notes:
        click.echo(f"  note: {n}")

    def show(title, e):
        sim = (
            f"; simulation {_pct(e.sim.answered_share)} (95% CI {_pct(e.sim.ci95[0])}-"
            f"{_pct(e.sim.ci95[1])}, {e.sim.replication_shares.size} runs, "
            f"{e.sim.calls_per_second:,.0f} calls/s)"
            if e.sim
            else ""
        )
        click.echo(
            f"{title}: max {e.max_teams} teams, {e.team_hours_per_week} team-hours/week → "
            f"answered {_pct(e.mol.answered_share)} of calls in service hours (analytic){sim}; "
            f"{_pct(e.mol.answered_share_all_hours)} of all eligible calls"
        )

    if result.given is not None:
        show(f"given staffing ({result.staffing_note})", result.given)
    if result.plan is not None:
        p = result.plan
        show(
            f"fewest team-hours for {_pct(p.target)} ({p.method}, "
            f"{'optimal' if p.optimal else 'heuristic'}, {p.seconds:.2f} s)",
            result.planned,
        )
        from geo_heart.staffing.analysis import plan_schedule

        floor = (
            f"at least {p.min_teams} team{'s' if p.min_teams != 1 else ''} in every open hour"
            if p.min_teams
            else "open hours may have no team (--min-teams-per-open-hour 0)"
        )
        click.echo(f"  teams on duty ({floor}):")
        for line in plan_schedule(p.teams):
            click.echo(f"    {line}")
        if p.open_hours_without_team:
            click.echo(f"  {p.open_hours_without_team} open hours a week have no team")
    if result.extended:
        x = result.extended
        click.echo(
            f"24/7 at the same target: {x['team_hours_per_week']} team-hours/week "
            f"(+{x['extra_team_hours_per_week']}), max {x['max_teams']} teams, "
            f"+{x['extra_answered_calls_per_year']:,.0f} answered calls/year"
        )
    if budget is not None:
        for line in budget.lines():
            click.echo(line)
    for name, path in written.items():
        click.echo(f"{name}: {path}")

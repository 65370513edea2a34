"""``geo-heart equity``: who the service area under a rule set reaches, by tract and resident group."""

from __future__ import annotations

import click

from geo_heart.cli.calls_options import calls_options, load_calls_from_options
from geo_heart.cli.options import (
    FOLDER_OUTPUTS,
    check_output_dir,
    emit_json,
    json_option,
    output_dir_option,
    pass_ctx,
)


@click.command()
@calls_options
@click.option(
    "--rules",
    "rules",
    metavar="NAME",
    help="Judge under this rule set (a [[rules]] name, e.g. pilot; default: the latest).",
)
@click.option("--as-of", metavar="DATE", help="Judge under the rules in force on this local date.")
@click.option(
    "--weights",
    type=click.Choice(["area", "address_points"]),
    help="Apportion tract counts to beats by area or by address points ([equity].weights).",
)
@click.option(
    "--geocode/--no-geocode",
    default=False,
    help="Geocode the calls' addresses to place them in tracts by point (default: spread each "
    "beat's calls over its tracts by residents).",
)
@click.option(
    "--bootstrap",
    type=click.IntRange(0, 10_000),
    help="Bootstrap resamples for the ratio intervals.",
)
@click.option(
    "--staffing/--no-staffing",
    "use_staffing",
    default=False,
    help="Add expected_answered: covered calls a team is free to answer, from the loss model "
    "with the teams of [staffing] (a covered call can still find every team busy).",
)
@output_dir_option(
    "Write equity_by_tract.csv, equity_groups.csv, equity_by_beat.csv, equity.json, "
    "equity.gpkg, equity_groups.png and equity_unmet_map.png here.",
    required=False,
    writes=FOLDER_OUTPUTS["equity"],
)
@json_option
@pass_ctx
def equity(
    obj, rules, as_of, weights, geocode, bootstrap, use_staffing, out_dir, as_json, **kwargs
) -> None:
    """Residents of each group ([equity] of the area file) in the service area, and eligible and
    unmet calls per 1,000 where they live, under one rule set (every call judged under it).

    \b
    Examples:
      geo-heart equity --as-of 2023-03-14          # the pilot
      geo-heart equity --rules citywide --json
      geo-heart equity --as-of 2023-03-14 -o out/  # tables, GeoPackage, chart, tract map
    """
    check_output_dir(out_dir)
    from geo_heart.analysis.equity import equity_analysis

    ws, data = load_calls_from_options(obj, kwargs, geocode=geocode)
    answered = None
    if use_staffing:
        from geo_heart.staffing.workflow import answered_shares

        answered = answered_shares(ws, data)
        if not answered:
            click.echo("Warning: no [staffing.programs.*] teams: no expected_answered", err=True)
    result = equity_analysis(
        ws,
        data,
        rules=rules,
        as_of=as_of,
        weights=weights,
        bootstrap=bootstrap,
        answered_share=answered,
    )
    if answered:
        result.meta["answered_share"] = {p: round(v, 4) for p, v in answered.items()}
    if "missing" in result.meta:
        click.echo(f"Warning: {result.meta['missing']}; only call counts by beat follow", err=True)
    if out_dir:
        from geo_heart.render.equity import write_equity

        written = write_equity(ws, result, out_dir)
        obj.say("wrote " + ", ".join(str(p) for p in written.values()))
    if as_json:
        emit_json(result.to_json())
        return
    click.echo(equity_text(result), nl=False)


def equity_text(result) -> str:
    """A readable summary of an :class:`~geo_heart.analysis.equity.EquityResult`."""
    r = result.rules
    lines = [
        f"Rules: {r.get('label')} ({r.get('name')}); service area: {result.service_area or 'none'}"
        f" ({len(result.service_beats)} beats)"
    ]
    g = result.groups
    if g is None:
        calls = result.by_beat
        if "eligible_calls" in calls.columns:
            lines.append(
                f"eligible calls {calls['eligible_calls'].sum():,.0f}, covered "
                f"{calls['covered_calls'].sum():,.0f} (by beat: equity_by_beat.csv with -o)"
            )
        return "\n".join(lines) + "\n"
    has_calls = "eligible_per_1000" in g.columns
    head = f"  {'group':<32}{'residents':>12}{'in area':>9}{'ratio (95% CI)':>22}"
    head += f"{'elig/1000':>11}{'ratio (95% CI)':>22}" if has_calls else ""
    lines.append(head)
    for row in g.itertuples():
        text = (
            f"  {row.label:<32}{row.residents:>12,.0f}{row.in_service_area_share:>9.1%}"
            f"{_ci(row.in_service_area_share_ratio, row.in_service_area_share_ratio_low, row.in_service_area_share_ratio_high):>22}"
        )
        if has_calls:
            text += (
                f"{row.eligible_per_1000:>11.1f}"
                f"{_ci(row.eligible_per_1000_ratio, row.eligible_per_1000_ratio_low, row.eligible_per_1000_ratio_high):>22}"
            )
        lines.append(text)
    for c in result.meta.get("caveats", []):
        lines.append(f"Note: {c}")
    return "\n".join(lines) + "\n"


def _ci(v, lo, hi) -> str:
    if v != v:
        return "-"
    return f"{v:.2f} ({lo:.2f}-{hi:.2f})" if lo == lo else f"{v:.2f}"


def period_groups_text(table) -> str:
    """Fixed-width text: each group's share living in the service area under each rule set."""
    labels = list(dict.fromkeys(table["label"]))
    width = max(12, *(len(x) + 2 for x in labels))
    lines = ["Residents living in the service area, by rule set:"]
    lines.append(f"  {'group':<32}" + "".join(f"{x:>{width}}" for x in labels))
    for _g, rows in table.groupby("group", sort=False):
        share = rows.set_index("label")["in_service_area_share"]
        lines.append(
            f"  {rows['group_label'].iloc[0]:<32}"
            + "".join(f"{share[x]:>{width}.1%}" for x in labels)
        )
    return "\n".join(lines) + "\n"

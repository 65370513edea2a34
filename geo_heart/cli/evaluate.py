"""``geo-heart evaluate``: did the pilot change what happened where it ran? (docs/evaluation.md)"""

from __future__ import annotations

import json

import click

from geo_heart.cli.calls_options import calls_options, load_calls_from_options
from geo_heart.cli.options import json_option, pass_ctx


@click.command()
@calls_options
@click.option("--program", help="Program code (default: [evaluation] program, else CRT).")
@click.option(
    "--treated",
    metavar="BEATS",
    help="Treated beats, comma- or space-separated (default: the pilot rule set's service area).",
)
@click.option("--start", metavar="DATE", help="First treated day (default: the pilot's start).")
@click.option(
    "--end",
    metavar="DATE",
    help="Last day of the window (default: the day before the next rule set, else the data's end).",
)
@click.option(
    "--method",
    type=click.Choice(["ppml", "staggered"]),
    default="ppml",
    show_default=True,
    help="Headline estimator: Poisson with beat and month effects (single start date), or "
    "Gardner's two-stage estimator over the pilot and citywide starts.",
)
@click.option(
    "--ri-draws",
    type=click.IntRange(min=0),
    default=199,
    show_default=True,
    help="Random beat sets for randomization inference (0: none; cluster-robust interval).",
)
@click.option(
    "--boot-reps",
    type=click.IntRange(min=0),
    default=999,
    show_default=True,
    help="Wild cluster bootstrap replications (0: none).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--list-targeted",
    is_flag=True,
    help="Write the id of every row counted as targeted (the months the estimate uses) to -o "
    "FILE (CSV) and stop.",
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(),
    help="Folder for the tables, JSON and event-study chart; with --list-targeted, the CSV file.",
)
@json_option
@pass_ctx
def evaluate(obj, output, as_json, list_targeted, **kw) -> None:
    """The effect of a program on the police incident reports it should replace.

    Difference-in-differences on beat × month counts of the program's eligible call types
    (targeted) and of types it cannot touch (placebo), treated beats against every other city
    beat. Default design from the area file's rule timeline: the pilot service area's beats from
    the pilot's start, to the day before citywide service. Poisson with beat and month effects
    (pyfixest), standard errors clustered by beat, randomization inference and a wild cluster
    bootstrap, an event study with a pre-trend test, placebo outcome and start dates, the
    minimum detectable effect and a dose check.

    \b
    Examples:
      geo-heart evaluate
      geo-heart evaluate --json
      geo-heart evaluate -o out/evaluation/
      geo-heart evaluate --method staggered
      geo-heart evaluate --treated 111,112,113 --start 2022-06-27 --end 2023-10-22
      geo-heart evaluate --list-targeted -o targeted.csv
    """
    from geo_heart.analysis.evaluate import evaluate_calls, targeted_rows

    design = {k: kw.pop(k) for k in ("program", "treated", "start", "end")}
    options = {k: kw.pop(k) for k in ("method", "ri_draws", "boot_reps", "seed")}
    if list_targeted and output is None:
        raise click.UsageError("--list-targeted needs -o FILE (a CSV)")
    ws, data = load_calls_from_options(obj, kw)
    if list_targeted:
        from geo_heart.analysis.calls import calls_layer
        from geo_heart.io.tables import write_table

        id_name = calls_layer(ws.config).get("id_column") or "call_id"
        rows = targeted_rows(ws, data, id_name=str(id_name), **design)
        path = write_table(rows, output)
        if as_json:
            click.echo(json.dumps({"rows": len(rows), "output": str(path)}))
        elif not obj.quiet:
            click.echo(f"{len(rows):,} targeted rows written to {path}")
        return
    result = evaluate_calls(ws, data, **design, **options)
    written = {}
    if output is not None:
        from geo_heart.render.evaluation import write_evaluation

        written = write_evaluation(result, output)
    if as_json:
        d = result.to_dict()
        d["outputs"] = {k: str(v) for k, v in written.items()}
        click.echo(json.dumps(d, ensure_ascii=False))
        return
    if obj.quiet:
        return
    click.echo(_text(result))
    for name, path in written.items():
        click.echo(f"  wrote {name}: {path}")


def _text(result) -> str:
    """The readable summary."""
    d = result.to_dict()
    inf = d["inference"]
    lines = [result.summary(), ""]
    lines.append(
        f"design: {d['n_treated']} treated of {d['n_beats']} beats, {d['start']} to {d['end']}, "
        f"{d['n_months']} months ({d['months'][0]} to {d['months'][-1]}); method {d['method']}, "
        f"interval: {d['ci_method']}"
    )
    t = d["outcome"]["targeted"]
    lines.append(
        f"targeted: {', '.join(t['call_types'])} ({t['reports_in_window']:,} reports in the "
        f"window; source: {t['source']})"
    )
    c = inf["cluster"]
    lines.append(
        f"  cluster-robust (by beat): {_p(c['ci95'][0])} to {_p(c['ci95'][1])}, p = {c['p_value']}"
    )
    if inf["randomization"]:
        r = inf["randomization"]
        lines.append(
            f"  randomization ({r['draws']} random beat sets): {_p(r['ci95'][0])} to "
            f"{_p(r['ci95'][1])}, p = {r['p_value']}"
        )
    if inf["wild_bootstrap"]:
        w = inf["wild_bootstrap"]
        lines.append(
            f"  wild cluster bootstrap (log(1+count) model, {w['reps']} reps): p = {w['p_value']}"
        )
    if d["staggered"]:
        s = d["staggered"]
        lines.append(
            f"  staggered (Gardner two-stage): {_p(s['effect'])} ({_p(s['ci95'][0])} to "
            f"{_p(s['ci95'][1])}), p = {s['p_value']}"
        )
    lines.append(f"pre-trend test (event study leads): p = {d['pre_trend_p']}")
    pl = d["placebo"]
    if pl["outcome"]:
        o = pl["outcome"]
        lines.append(
            f"placebo outcome, {o['label']}: {_p(o['effect'])} ({_p(o['ci95'][0])} to "
            f"{_p(o['ci95'][1])}), p = {o['p_value']}"
        )
    for s in pl["start_dates"]:
        if "skipped" in s:
            lines.append(f"placebo start {s['start']}: skipped ({s['skipped']})")
        else:
            lines.append(
                f"placebo start {s['start']} ({s['months_before']} months early, pre-period "
                f"only): {_p(s['effect'])} ({_p(s['ci95'][0])} to {_p(s['ci95'][1])})"
            )
    dose = d["dose"]
    line = (
        f"dose: the estimate implies {dose['prevented']:,.0f} reports prevented "
        f"(95% CI {dose['prevented_ci95'][0]:,.0f} to {dose['prevented_ci95'][1]:,.0f})"
    )
    if dose.get("answered_in_window") is not None:
        line += f" against about {dose['answered_in_window']:,.0f} calls answered in the window" + (
            ": MORE THAN THE DOSE" if dose["exceeds"] else ""
        )
    lines.append(line)
    lines += [f"note: {n}" for n in d["notes"]]
    return "\n".join(lines)


def _p(x) -> str:
    from geo_heart.analysis.evaluate import _pct

    return _pct(x) if x is not None else "n/a"

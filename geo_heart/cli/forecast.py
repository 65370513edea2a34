"""``geo-heart forecast``: next year's eligible calls per program, monthly, with intervals."""

from __future__ import annotations

import click

from geo_heart.cli.calls_options import calls_options, load_calls_from_options
from geo_heart.cli.options import emit_json, json_option, output_dir_option, pass_ctx


@click.command()
@calls_options
@click.option(
    "--by",
    type=click.Choice(["city", "beat"]),
    default="city",
    show_default=True,
    help="Citywide per program, or by beat (the city forecast split top-down; means add up).",
)
@click.option(
    "--horizon", type=click.IntRange(1, 36), default=12, show_default=True, help="Months ahead."
)
@click.option(
    "--backtest",
    metavar="DATE",
    help="Fit on the months before DATE (a month's first day) and score the months after it: "
    "relative_mae (÷ the same month a year earlier) and interval coverage.",
)
@click.option(
    "--program",
    "programs",
    multiple=True,
    help="Program to forecast (repeatable; default: every program with enough eligible calls).",
)
@click.option("--seed", default=0, show_default=True, help="Seed of the sample paths.")
@output_dir_option(
    "Folder for forecast.csv, history.csv, forecast.json and forecast.png.", required=False
)
@json_option
@pass_ctx
def forecast(obj, out_dir, as_json, by, horizon, backtest, programs, seed, **kw) -> None:
    """Forecast each program's eligible calls in CALLS (default: [layers.calls]) for the next
    months, citywide or by beat, with 80% and 95% intervals.

    Counts every month by today's rules (call type and service area, any hour), so earlier rule
    changes do not break the series; the model (AutoETS, AutoARIMA, seasonal naive or their mean)
    is chosen per program by rolling-origin cross-validation, and intervals are widened to its
    cross-validation errors where those are larger. See docs/forecast.md.

    \b
    Examples:
      geo-heart forecast
      geo-heart forecast --by beat -o out/forecast
      geo-heart forecast --backtest 2024-01-01 --json
    """
    from geo_heart.analysis.forecast import check_backtest, forecast_calls
    from geo_heart.cli.options import check_output_dir

    check_backtest(backtest)  # before any calls are loaded
    out = check_output_dir(out_dir)
    ws, data = load_calls_from_options(obj, kw)
    result = forecast_calls(
        ws,
        data,
        horizon=horizon,
        by=by,
        backtest=backtest,
        programs=list(programs) or None,
        seed=seed,
    )
    written = {}
    if out is not None:
        from geo_heart.render.forecast import write_forecast_outputs

        written = write_forecast_outputs(result, out)
    if as_json:
        d = result.to_dict()
        d["outputs"] = {k: str(v) for k, v in written.items()}
        emit_json(d)
        return
    _print_text(obj, result, written)


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if x >= 10 else f"{x:,.1f}"


def _print_text(obj, result, written) -> None:
    click.echo(f"basis: {result.basis}")
    for p, m in result.models.items():
        cv = result.cv[p]
        scores = ", ".join(
            f"{k} {v:.2f}" if v is not None else f"{k} n/a"
            for k, v in cv.items()
            if k not in ("h", "windows", "step") and not k.startswith("halfwidth")
        )
        click.echo(
            f"{p}: {m} (cross-validated MAE, {cv['windows']} origins × {cv['h']} months: {scores})"
        )
    if not result.programs:  # nothing to forecast: the summary says why
        click.echo(result.summary())
        return
    table = result.table
    if result.by == "beat":
        click.echo(f"{len(table):,} beat rows (beat means add up to the city's); citywide:")
        table = result.city
    header = f"{'month':8} {'program':7} {'beat':5} {'mean':>7} {'80%':>15} {'95%':>15}  model"
    click.echo(header)
    for r in table.itertuples(index=False):
        click.echo(
            f"{r.month:8} {r.program:7} {r.beat:5} {_fmt(r.mean):>7} "
            f"{_fmt(r.lo80) + '-' + _fmt(r.hi80):>15} {_fmt(r.lo95) + '-' + _fmt(r.hi95):>15}  "
            f"{r.model}"
        )
    click.echo(result.summary())
    bt = result.backtest
    if bt is not None:
        click.echo(f"backtest from {bt.start} (fitted on the months before it):")
        for p, f in bt.programs.items():
            rel = "n/a" if f["relative_mae"] is None else f"{f['relative_mae']:.3f}"
            cov = " ".join(
                f"{lv}% {100 * f[f'coverage{lv}']:.0f}%"
                for lv in (80, 95)
                if f[f"coverage{lv}"] is not None
            )
            click.echo(
                f"  {p}: relative_mae {rel} (MAE {f['mae']:.2f} vs same month a year earlier "
                f"{f['mae_seasonal_naive']:.2f}, {f['months']} months); inside intervals: {cov}"
            )
        if bt.relative_mae is not None:
            click.echo(f"  all programs pooled: relative_mae {bt.relative_mae:.3f}")
        if bt.beats:
            b = bt.beats
            click.echo(
                f"  beats pooled ({b['rows']:,} beat-months): relative_mae "
                f"{b['relative_mae']}, inside 80% {b['coverage80']}, inside 95% {b['coverage95']}"
            )
    for n in result.notes:
        click.echo(f"note: {n}")
    for name, path in written.items():
        click.echo(f"{name}: {path}")

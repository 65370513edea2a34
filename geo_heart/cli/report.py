"""``geo-heart report``: the planner report a council can act on (HTML, and PDF with --pdf)."""

from __future__ import annotations

import json
import sys

import click

from geo_heart.cli.calls_options import calls_options, load_calls_from_options
from geo_heart.cli.options import check_output_dir, json_option, maps_dir_option, pass_ctx


def council_inputs(area, data, *, evaluate: bool = True, forecast: bool = True):
    """The pilot evaluation and the demand forecast for the report, each a result or an
    :class:`~geo_heart.render.council.Unavailable` saying why not (never an invented figure)."""
    from geo_heart.errors import GeoHeartError
    from geo_heart.render.council import Unavailable

    def attempt(what: str, verb: str, wanted: bool):
        if not wanted:
            return Unavailable(what, f"not run (--no-{verb})")
        fn = getattr(area, verb, None)
        if fn is None:
            return Unavailable(what, f"this geo-heart has no {verb} step (Area.{verb})")
        try:
            return fn(data)
        except (GeoHeartError, ImportError) as exc:  # e.g. too little data, a missing extra
            return Unavailable(what, str(exc))

    return (
        attempt("The pilot's effect", "evaluate", evaluate),
        attempt("Next year's demand", "forecast", forecast),
    )


@click.command("report")
@calls_options
@maps_dir_option("Output folder (default: the maps folder, GEO_HEART_MAPS, 'maps').")
@click.option("--pdf", is_flag=True, help="Also write report.pdf (reportlab; no system library).")
@click.option("--no-evaluate", "no_evaluate", is_flag=True, help="Leave out the pilot evaluation.")
@click.option("--no-forecast", "no_forecast", is_flag=True, help="Leave out the forecast.")
@json_option
@pass_ctx
def report(obj, out_dir, pdf, no_evaluate, no_forecast, as_json, **kwargs) -> None:
    """Write report.html (and report.pdf with --pdf) for CALLS: a first page with one figure per
    label (coverage today, the pilot's estimated effect, next year's demand and the teams it
    takes, who the service reaches), "Did the pilot work?", "Next year", then demand, coverage,
    rules over time, staffing and equity, with the maps and tables beside it.

    An estimate that cannot be made (e.g. calls that do not span the rollout) is stated with
    its reason, never invented.

    \b
    Examples:
      geo-heart report --pdf -o council/
      geo-heart --area portland report --pdf -o council_pdx/
    """
    out = check_output_dir(out_dir or obj.settings.maps_dir)

    from geo_heart.errors import InputError
    from geo_heart.render.report import write_planner_outputs

    ws, data = load_calls_from_options(obj, kwargs)
    if data.rows == 0:
        raise InputError(f"{data.source}: the call file has no rows (only a header)")
    evaluation, forecast = council_inputs(
        ws, data, evaluate=not no_evaluate, forecast=not no_forecast
    )
    metric = "rate" if "population" in ws.config.layers else "count"
    written = write_planner_outputs(
        ws,
        data,
        out,
        metric=metric,
        evaluation=evaluation,
        forecast=forecast,
        pdf=pdf,
        progress=sys.stderr.isatty() and not obj.quiet,
    )
    written.pop("html_bytes", None)
    if as_json:
        click.echo(json.dumps({"outputs": {k: str(v) for k, v in written.items()}}))
        return
    obj.say(f"report: {written['report']}")
    if pdf:
        obj.say(f"report (PDF): {written['report_pdf']}")

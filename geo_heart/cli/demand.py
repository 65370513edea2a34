"""``geo-heart demand``: eligible-demand tables by beat, hour of the week and month."""

from __future__ import annotations

import click

from geo_heart.cli.calls_options import calls_options, load_calls_from_options
from geo_heart.cli.options import emit_json, json_option, output_dir_option, pass_ctx


@click.command()
@calls_options
@output_dir_option("Folder for the CSV tables and beats.gpkg.")
@json_option
@pass_ctx
def demand(obj, out_dir, as_json, **kwargs) -> None:
    """Write demand tables for CALLS (default: the area's [layers.calls] file).

    \b
    Outputs in DIR (columns documented in docs/outputs.md):
      demand_by_beat.csv      per beat: calls, eligible per program, rates, in pilot
      demand_by_hour.csv      168 hours of the week: average calls per week in each hour
      demand_by_month.csv     trend by month (partial months flagged)
      unknown_call_types.csv  codes not in the call-type table, with counts
      beats.gpkg              layer demand_by_beat: the beat table with beat polygons

    \b
    Example:
      geo-heart demand -o out/
      geo-heart demand calls.csv --lon-column x --lat-column y --time-zone America/New_York -o out/
    """
    from pathlib import Path

    from geo_heart.cli.options import check_output_dir

    out = check_output_dir(out_dir)

    from geo_heart.analysis import demand as dm
    from geo_heart.io.vector import write_beat_layers

    ws, data = load_calls_from_options(obj, kwargs)
    from geo_heart.render.tables import (
        data_period,
        with_partial_months,
        with_weekly_averages,
        write_demand_tables,
    )

    period = data_period(data)
    tables = (
        dm.beat_demand(ws, data),
        with_weekly_averages(dm.hour_of_week_demand(ws, data), period["weeks"]),
        with_partial_months(dm.monthly_demand(data), period),
    )
    written = write_demand_tables(ws, data, out, tables=tables)
    layers = write_beat_layers(ws, {"demand_by_beat": tables[0]}, Path(out) / "beats.gpkg")
    written["beats_gpkg"] = layers["path"]
    s = data.summary()
    if as_json:
        emit_json({**s, "period": period, "outputs": {k: str(v) for k, v in written.items()}})
        return
    elig = ", ".join(f"{p} {n:,}" for p, n in s["eligible"].items())
    obj.say(f"covered under the rules in force at each call's time (type, area, hours): {elig}")
    for name, path in written.items():
        obj.say(f"{name}: {path}")

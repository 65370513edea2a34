"""``geo-heart demand``: eligible-demand tables by beat, hour of the week and month."""

from __future__ import annotations

import json

import click

from geo_heart.cli.calls_options import calls_options, load_calls_from_options
from geo_heart.cli.options import json_option, output_dir_option, pass_ctx


@click.command()
@calls_options
@output_dir_option("Folder for the CSV tables.")
@json_option
@pass_ctx
def demand(obj, out_dir, as_json, **kwargs) -> None:
    """Write demand tables for CALLS (default: the area's [layers.calls] file).

    \b
    Outputs in DIR (columns documented in docs/demand.md):
      demand_by_beat.csv      per beat: calls, eligible per program, rates, in pilot
      demand_by_hour.csv      168 hours of the week with each program's hours
      demand_by_month.csv     trend by month
      unknown_call_types.csv  codes not in the call-type table, with counts

    \b
    Example:
      geo-heart demand -o out/
      geo-heart demand calls.csv --lon-column x --lat-column y --time-zone America/New_York -o out/
    """
    from geo_heart.analysis.demand import write_demand_tables

    ws, data = load_calls_from_options(obj, kwargs)
    written = write_demand_tables(ws, data, out_dir)
    if as_json:
        click.echo(
            json.dumps({**data.summary(), "outputs": {k: str(v) for k, v in written.items()}})
        )
    else:
        s = data.summary()
        elig = ", ".join(f"{p} {n:,}" for p, n in s["eligible"].items())
        click.echo(
            f"covered under the rules in force at each call's time (type, area, hours): {elig}"
        )
        for name, path in written.items():
            click.echo(f"{name}: {path}")

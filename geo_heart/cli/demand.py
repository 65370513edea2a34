"""``geo-heart demand``: eligible-demand tables by beat, hour of the week and month."""

from __future__ import annotations

import click

from geo_heart.cli.calls_options import (
    calls_options,
    load_calls_from_options,
    rules_options,
    say_calls_summary,
)
from geo_heart.cli.engine_options import engine_options, pop_engine
from geo_heart.cli.options import (
    FOLDER_OUTPUTS,
    emit_json,
    json_option,
    output_dir_option,
    pass_ctx,
)


@click.command()
@calls_options
@rules_options
@output_dir_option("Folder for the CSV tables and beats.gpkg.", writes=FOLDER_OUTPUTS["demand"])
@engine_options
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
      geo-heart --area portland demand --as-of 2022-04-01 -o out/
      geo-heart demand calls.csv --lon-column x --lat-column y --time-zone America/New_York -o out/
      geo-heart demand 'calls/*.parquet' -o out/ --engine dask --scheduler tcp://host:8786

    With --engine dask (the [dask] extra; docs/scale.md) the calls are counted in partitions on a
    dask cluster and the counts summed: the same tables, every call judged under its own rules.
    """
    from pathlib import Path

    from geo_heart.cli.options import check_output_dir

    out = check_output_dir(out_dir)

    from geo_heart.io.vector import write_beat_layers
    from geo_heart.render.tables import (
        data_period,
        period_between,
        with_partial_months,
        with_weekly_averages,
        write_demand_tables,
    )

    engine = pop_engine(kwargs)
    ws = obj.workspace
    if engine["engine"] == "dask":
        from geo_heart.scale.demand import demand_dask

        if kwargs.pop("rules", None) or kwargs.pop("as_of", None):
            raise click.UsageError("--rules/--as-of are not available with --engine dask yet")
        kwargs.pop("as_of", None)
        calls = kwargs.pop("calls_path")
        got = demand_dask(ws, calls, **{k: v for k, v in engine.items() if k != "engine"}, **kwargs)
        data, s = None, got["summary"]
        say_calls_summary(obj, s)
        period = period_between(got["start"], got["end"])
        base = (got["beat"], got["hour"], got["month"])
        extra = {"unknown": got["unknown"], "periods": got["periods"]}
    else:
        from geo_heart.analysis import demand as dm

        ws, data = load_calls_from_options(obj, kwargs)
        s = data.summary()
        period = data_period(data)
        base = (dm.beat_demand(ws, data), dm.hour_of_week_demand(ws, data), dm.monthly_demand(data))
        extra = {}
    tables = (
        base[0],
        with_weekly_averages(base[1], period["weeks"]),
        with_partial_months(base[2], period),
    )
    written = write_demand_tables(ws, data, out, tables=tables, **extra)
    from geo_heart.render.styles import beat_layer_styles

    layer_tables = {"demand_by_beat": tables[0]}
    layers = write_beat_layers(
        ws, layer_tables, Path(out) / "beats.gpkg", styles=beat_layer_styles(ws, layer_tables)
    )
    written["beats_gpkg"] = layers["path"]
    # notes of the tables the summary line did not already print (e.g. no population layer)
    table_notes = [n for n in tables[0].attrs.get("notes", []) if n not in s.get("notes", [])]
    if as_json:
        emit_json(
            {
                **s,
                "notes": [*s.get("notes", []), *table_notes],
                "period": period,
                "outputs": {k: str(v) for k, v in written.items()},
            }
        )
        return
    for note in table_notes:
        obj.say(f"note: {note}")
    elig = ", ".join(f"{p} {n:,}" for p, n in s["eligible"].items())
    under = (
        "the rules in force at each call's time"
        if data is None or data.judged_under is None
        else f"the {getattr(data.judged_under, 'rule_set', data.judged_under).label} rules"
    )
    obj.say(f"covered under {under} (type, area, hours): {elig}")
    for name, path in written.items():
        obj.say(f"{name}: {path}")

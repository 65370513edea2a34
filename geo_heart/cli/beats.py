"""``geo-heart beats``: the beats of the area with districts, areas and service-area membership."""

from __future__ import annotations

import json

import click

from geo_heart.cli.options import json_option, pass_ctx


@click.command()
@json_option
@pass_ctx
def beats(obj, as_json) -> None:
    """List beats, districts, areas (sq mi) and service-area membership."""
    from geo_heart.analysis.beat_table import beats_table

    ws = obj.workspace
    table = beats_table(ws.beat_index, ws.config)
    if as_json:
        click.echo(json.dumps(table.to_dict(orient="records")))
        return
    click.echo(table.to_string(index=False))
    pilot = ws.config.service_area
    n = int(table[f"in_{pilot.key}"].sum())
    click.echo(f"\n{len(table)} beats; {n} in the {pilot.label}; layer: {ws.beat_index.source}")

"""``geo-heart hotspots``: Getis-Ord Gi* hot spots of eligible demand by beat and hexagon."""

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
    program_option,
)


@click.command()
@calls_options
@program_option("Only calls eligible for this program (default: any program).")
@click.option(
    "--beat-metric",
    type=click.Choice(["count", "per_sq_mi"]),
    default="count",
    show_default=True,
    help="Gi* variable for beats.",
)
@click.option("--no-hexagons", is_flag=True, help="Beats only (skip the H3 hexagon analysis).")
@output_dir_option(
    "Folder for hotspots_beats.csv/.geojson, hotspots_hexagons.csv/.geojson and beats.gpkg.",
    writes=FOLDER_OUTPUTS["hotspots"],
)
@json_option
@pass_ctx
def hotspots(obj, programs, beat_metric, no_hexagons, out_dir, as_json, **kwargs) -> None:
    """Gi* (esda) hot and cold spots of eligible demand, permutation p with an FDR correction.

    Hexagons only when the calls carry coordinates (lon/lat columns): counts known only by beat
    are never spread over hexagons and tested.

    \b
    Example:
      geo-heart hotspots -o out/ --program CRT
    """
    out = check_output_dir(out_dir)

    from geo_heart.analysis.hotspots import hotspots as run
    from geo_heart.io.tables import write_table
    from geo_heart.io.vector import write_beat_layers
    from geo_heart.render.styles import beat_layer_styles, write_qml

    program = programs
    ws, data = load_calls_from_options(obj, kwargs)
    hot = run(ws, data, program=program, hexagons=not no_hexagons, beat_metric=beat_metric)
    styles = beat_layer_styles(ws, {"hotspots_beats": hot.beats})
    outputs = {
        "beats_csv": write_table(hot.beats.drop(columns="geometry"), out / "hotspots_beats.csv"),
        "beats_geojson": write_table(hot.beats, out / "hotspots_beats.geojson"),
        "beats_gpkg": write_beat_layers(
            ws, {"hotspots_beats": hot.beats}, out / "beats.gpkg", styles=styles
        )["path"],
    }
    # the same style beside the GeoJSON (QGIS loads hotspots_beats.qml with it)
    outputs["beats_qml"] = write_qml(out / "hotspots_beats.geojson", styles["hotspots_beats"])
    if hot.hexagons is not None:
        outputs["hexagons_csv"] = write_table(
            hot.hexagons.drop(columns="geometry"), out / "hotspots_hexagons.csv"
        )
        outputs["hexagons_geojson"] = write_table(hot.hexagons, out / "hotspots_hexagons.geojson")
    counts = {"beats": hot.beats["hotspot"].value_counts().to_dict()}
    if hot.hexagons is not None:
        counts["hexagons"] = hot.hexagons["hotspot"].value_counts().to_dict()
    if as_json:
        emit_json(
            {
                "variable": hot.variable,
                "hexagon_values": hot.hex_source,
                "hexagon_note": hot.hex_note,
                "classes": counts,
                "outputs": {k: str(v) for k, v in outputs.items()},
            }
        )
        return
    sig = hot.beats[hot.beats["hotspot"] != "not significant"].sort_values("gi_z", ascending=False)
    click.echo(f"Gi* on {hot.variable} by beat ({beat_metric}), FDR-corrected:")
    for r in sig.itertuples():
        click.echo(
            f"  beat {r.beat:>5}  {r.hotspot:<12} z={r.gi_z:+.2f}  p={r.p_sim:.3f}  "
            f"p_fdr={r.p_fdr:.3f}  value={r.value:,}"
        )
    if sig.empty:
        click.echo("  no significant beats")
    if hot.hexagons is not None:
        click.echo(f"hexagons ({hot.hex_source}): {counts['hexagons']}")
    elif hot.hex_note:
        click.echo(f"hexagons: {hot.hex_note}")
    for name, path in outputs.items():
        obj.say(f"{name}: {path}")

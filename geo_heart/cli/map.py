"""``geo-heart map``: interactive map, static PNG maps and the planner report."""

from __future__ import annotations

import json
import sys

import click

from geo_heart.cli.calls_options import calls_options, load_calls_from_options
from geo_heart.cli.options import (
    FOLDER_OUTPUTS,
    basemap_option,
    check_output_dir,
    json_option,
    maps_dir_option,
    pass_ctx,
)


@click.command("map")
@calls_options
@maps_dir_option(
    "Output folder (default: the maps folder, GEO_HEART_MAPS, 'maps').",
    writes=FOLDER_OUTPUTS["map"],
)
@click.option(
    "--metric",
    type=click.Choice(["rate", "count", "density"]),
    default=None,
    help="Choropleth: per 1,000 residents, count, or per sq mi (default: rate when the area "
    "file has a [layers.population], else count).",
)
@click.option(
    "--points",
    is_flag=True,
    help="Add a layer of individual eligible calls (sensitive; needs coordinates or --geocode).",
)
@click.option(
    "--geocode", is_flag=True, help="Geocode the address column to get call points (for --points)."
)
@basemap_option
@click.option(
    "--min-count",
    type=click.IntRange(1),
    default=5,
    show_default=True,
    help="Counts below this are shown as '<N' on the beat and hexagon layers (small-count suppression).",
)
@click.option(
    "--tiles", help="Optional web base tiles (folium name or URL template; needs network)."
)
@click.option(
    "--cdn",
    is_flag=True,
    help="Link Leaflet from its CDN (smaller file, needs network) instead of inlining the local copy.",
)
@click.option("--pdf", is_flag=True, help="Also write report.pdf (reportlab).")
@json_option
@pass_ctx
def map_cmd(
    obj, out_dir, metric, points, geocode, basemap, min_count, tiles, cdn, pdf, as_json, **kwargs
) -> None:
    """Write demand_map.html, static PNG maps and report.html for CALLS.

    Maps aggregate by beat and H3 hexagon; call points only with --points.

    \b
    Example:
      geo-heart map                       # Durham incidents -> maps/
      geo-heart map --metric count -o council/ --basemap roads
    """
    out = check_output_dir(out_dir or obj.settings.maps_dir)

    from geo_heart.errors import InputError
    from geo_heart.render.report import write_planner_outputs

    has_population = "population" in obj.workspace.config.layers
    if metric is None:
        metric = "rate" if has_population else "count"
        if not has_population:
            obj.say("note: no [layers.population] in the area file: mapping counts, not rates")
    elif metric == "rate" and not has_population:
        raise InputError(
            "--metric rate needs residents: the area file has no [layers.population]; "
            "use --metric count or density"
        )

    ws, data = load_calls_from_options(obj, kwargs, geocode=geocode)
    if data.rows == 0:
        raise InputError(
            f"{data.source}: the call file has no rows (only a header); nothing to map"
        )
    from geo_heart.render.council import Unavailable

    # the evaluation and the forecast take a minute or more: `geo-heart report` runs them
    later = "geo-heart map does not run it (geo-heart report does)"
    evaluation = Unavailable("The pilot's effect", later)
    forecast = Unavailable("Next year's demand", later)
    try:
        written = write_planner_outputs(
            ws,
            data,
            out,
            metric=metric,
            points=points,
            tiles=tiles,
            inline_assets=not cdn,
            basemap=basemap,
            min_count=min_count,
            progress=sys.stderr.isatty() and not obj.quiet,
            evaluation=evaluation,
            forecast=forecast,
            pdf=pdf,
        )
    except ValueError as exc:
        if tiles and "tiles" in str(exc).lower():
            raise InputError(
                f"--tiles {tiles!r}: {exc} (a URL template needs an attribution; use a folium "
                "tile name such as OpenStreetMap or CartoDB positron)"
            ) from None
        raise
    size = written.pop("html_bytes")
    if as_json:
        click.echo(
            json.dumps({"outputs": {k: str(v) for k, v in written.items()}, "map_bytes": size})
        )
        return
    obj.say(f"interactive map: {written['map']} ({size / 1e6:.2f} MB)")
    obj.say(f"report: {written['report']}")
    for k, v in written.items():
        if k not in ("map", "report"):
            obj.say(f"{k}: {v}")

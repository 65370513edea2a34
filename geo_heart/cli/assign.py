"""``geo-heart assign``: add beat, district and service-area columns to a table of points."""

from __future__ import annotations

import click

from geo_heart.cli.options import (
    crs_option,
    emit_json,
    encoding_option,
    format_option,
    input_argument,
    json_option,
    output_file_option,
    pass_ctx,
)


@click.command()
@input_argument
@output_file_option("Output file: .csv .tsv .parquet (GeoParquet) .gpkg .fgb .shp .geojson.")
@format_option
@crs_option
@click.option(
    "--lon-column", default="lon", show_default=True, help="Longitude column (CSV/Parquet)."
)
@click.option(
    "--lat-column", default="lat", show_default=True, help="Latitude column (CSV/Parquet)."
)
@encoding_option
@json_option
@pass_ctx
def assign(
    obj, input_path, output_path, out_format, out_crs, lon_column, lat_column, encoding, as_json
) -> None:
    """Add beat, district, in_service_area, status, reason and census GEOIDs to every row of INPUT.

    Exactly one output row (feature) per input row, in input order. Rows with missing or invalid
    coordinates get an empty beat and geometry, status 'invalid' and a reason naming the value.
    INPUT's columns are kept as they are: a result whose name INPUT already uses is written as
    assign_<name>. OUTPUT may not be INPUT; two runs writing the same OUTPUT are refused.

    \b
    Example:
      geo-heart assign points.csv -o points_with_beats.gpkg --crs EPSG:2264
    """
    from geo_heart.io.files import output_lock
    from geo_heart.io.tables import read_header, refuse_duplicate_names
    from geo_heart.io.vector import check_output

    # every refusal before any work (the output against every input: cli.options)
    spec = check_output(output_path, fmt=out_format, crs=out_crs)
    refuse_duplicate_names(
        read_header(input_path, encoding=encoding), fmt=spec.fmt, source=input_path
    )
    with output_lock(spec.path):
        _assign(obj, input_path, spec, lon_column, lat_column, encoding, as_json)


def _assign(obj, input_path, spec, lon_column, lat_column, encoding, as_json) -> None:
    from geo_heart.geo.assign import assign_table
    from geo_heart.geo.census import add_census_geoids
    from geo_heart.io.tables import read_table
    from geo_heart.io.vector import write_vector

    ws = obj.workspace
    df = read_table(input_path, encoding=encoding)
    out, summary = assign_table(
        ws, df, lon_column=lon_column, lat_column=lat_column, source=input_path
    )
    geom = getattr(out, "_geometry_column_name", None)
    if geom is not None:  # a layer: census from its points, geometry kept
        import numpy as np

        pts = out.geometry.to_crs(4326)
        is_pt = (pts.geom_type == "Point").to_numpy()
        out["_lon"] = np.where(is_pt, pts.x.where(is_pt), np.nan)
        out["_lat"] = np.where(is_pt, pts.y.where(is_pt), np.nan)
        out = add_census_geoids(ws, out, lon_column="_lon", lat_column="_lat")
        out = out.drop(columns=["_lon", "_lat"])
        info = write_vector(out, spec)
    else:
        out = add_census_geoids(ws, out, lon_column=lon_column, lat_column=lat_column)
        info = write_vector(out, spec, lon_column=lon_column, lat_column=lat_column)
    summary = {**summary, "output": info}
    if as_json:
        emit_json(summary)
        return
    from geo_heart.geo.workspace import service_area_today

    obj.say(
        f"{summary['rows']:,} rows -> {spec.path} ({spec.fmt}): {summary['ok']:,} in a beat, "
        f"{summary['in_service_area']:,} in the service area in force today ({service_area_today(ws.config).label}), "
        f"{summary['outside']:,} outside every beat, {summary['invalid']:,} invalid coordinates"
    )
    if info.get("renamed"):
        obj.say(f"Shapefile column names cut to 10 characters; map in {info['columns_map']}")

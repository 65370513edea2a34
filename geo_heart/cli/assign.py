"""``geo-heart assign``: add beat, district and service-area columns to a table of points."""

from __future__ import annotations

import click

from geo_heart.cli.engine_options import batch_input_argument, engine_options, pop_engine
from geo_heart.cli.options import (
    crs_option,
    emit_json,
    encoding_option,
    format_option,
    json_option,
    layer_option,
    output_file_option,
    pass_ctx,
)


@click.command()
@batch_input_argument
@output_file_option(
    "Output file: .csv .tsv .parquet (GeoParquet) .gpkg .fgb .shp .geojson; with --engine dask "
    "also a folder (a partitioned GeoParquet dataset).",
    dir_okay=True,
)
@format_option
@layer_option
@crs_option
@click.option(
    "--lon-column", default="lon", show_default=True, help="Longitude column (CSV/Parquet)."
)
@click.option(
    "--lat-column", default="lat", show_default=True, help="Latitude column (CSV/Parquet)."
)
@encoding_option
@engine_options
@json_option
@pass_ctx
def assign(
    obj,
    input_path,
    output_path,
    out_format,
    out_layer,
    out_crs,
    lon_column,
    lat_column,
    encoding,
    as_json,
    **kwargs,
) -> None:
    """Add beat, district, in_service_area, status, reason and census GEOIDs to every row of INPUT.

    Exactly one output row (feature) per input row, in input order. Rows with missing or invalid
    coordinates get an empty beat and geometry, status 'invalid' and a reason naming the value.
    INPUT's columns are kept as they are: a result whose name INPUT already uses (ignoring case,
    or on its first 10 characters, as GeoPackage and Shapefile compare names) is written as
    gh_<name>, for every output format. OUTPUT may not be INPUT; two runs writing the same OUTPUT are refused.

    With --engine dask (the [dask] extra) the rows are processed in partitions on a dask
    cluster, with the same answers in the same order; INPUT may then be a folder or glob of
    CSV or Parquet partitions, and OUTPUT a folder (a partitioned GeoParquet dataset).

    \b
    Example:
      geo-heart assign points.csv -o points_with_beats.gpkg --crs EPSG:2264
      geo-heart assign 'points/*.parquet' -o points_beats/ --engine dask
    """
    from geo_heart.io.files import output_lock

    engine = pop_engine(kwargs)
    if engine["engine"] == "dask":
        from geo_heart.scale.run import check_output_target

        spec = check_output_target(input_path, output_path, fmt=out_format, crs=out_crs)
    else:
        from geo_heart.io.tables import read_header, refuse_duplicate_names
        from geo_heart.io.vector import check_output

        # every refusal before any work (the output against every input: cli.options)
        spec = check_output(output_path, fmt=out_format, crs=out_crs, layer=out_layer)
        refuse_duplicate_names(
            read_header(input_path, encoding=encoding), fmt=spec.fmt, source=input_path
        )
    with output_lock(spec.path):
        _assign(obj, input_path, spec, lon_column, lat_column, encoding, as_json, engine)


def _assign(obj, input_path, spec, lon_column, lat_column, encoding, as_json, engine) -> None:
    ws = obj.workspace
    if engine["engine"] == "dask":
        from geo_heart.scale.run import assign_dask

        summary, info = assign_dask(
            ws,
            input_path,
            spec,
            lon_column=lon_column,
            lat_column=lat_column,
            encoding=encoding,
            **{k: v for k, v in engine.items() if k != "engine"},
        )
    else:
        from geo_heart.geo.assign import assign_chunk
        from geo_heart.io.tables import read_table
        from geo_heart.io.vector import write_vector

        df = read_table(input_path, encoding=encoding)
        out, summary = assign_chunk(
            ws, df, lon_column=lon_column, lat_column=lat_column, source=input_path
        )
        if getattr(out, "_geometry_column_name", None) is not None:  # a layer: geometry kept
            info = write_vector(out, spec)
        else:
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

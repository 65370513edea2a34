"""``geo-heart assign``: add beat, district and service-area columns to a table of points."""

from __future__ import annotations

import click

from geo_heart.cli.options import encoding_option, input_argument, output_file_option, pass_ctx


@click.command()
@input_argument
@output_file_option("Output file (.csv, .parquet, .geojson, .gpkg).")
@click.option(
    "--lon-column", default="lon", show_default=True, help="Longitude column (CSV/Parquet)."
)
@click.option(
    "--lat-column", default="lat", show_default=True, help="Latitude column (CSV/Parquet)."
)
@encoding_option
@pass_ctx
def assign(obj, input_path, output_path, lon_column, lat_column, encoding) -> None:
    """Add beat, district, in_service_area, status and reason to every row of INPUT.

    Exactly one output row per input row, in input order, INPUT's columns kept as they are
    (a result whose name INPUT already uses is written as assign_<name>). Rows with missing or
    invalid coordinates get an empty beat, status 'invalid' and a reason naming the value.
    OUTPUT may not be INPUT; two runs writing the same OUTPUT are refused.
    """
    from geo_heart.geo.assign import assign_table
    from geo_heart.io.files import output_lock, refuse_same_file
    from geo_heart.io.tables import read_table, table_kind, write_table

    refuse_same_file(input_path, output_path)
    table_kind(output_path)
    ws = obj.workspace
    with output_lock(output_path):
        df = read_table(input_path, encoding=encoding)
        out, summary = assign_table(
            ws, df, lon_column=lon_column, lat_column=lat_column, source=input_path
        )
        write_table(out, output_path)
    click.echo(
        f"{summary['rows']:,} rows -> {output_path}: {summary['ok']:,} in a beat, "
        f"{summary['in_service_area']:,} in the {ws.config.default_service_area} area, "
        f"{summary['outside']:,} outside every beat, {summary['invalid']:,} invalid coordinates",
        err=True,
    )

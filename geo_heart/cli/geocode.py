"""``geo-heart geocode``: batch-geocode a table's address column (resumable)."""

from __future__ import annotations

import sys

import click

from geo_heart.cli.options import encoding_option, input_argument, output_file_option, pass_ctx


@click.command()
@input_argument
@output_file_option("Output table (.csv, .tsv, .parquet).")
@click.option(
    "--address-column", required=True, metavar="COL", help="Column holding the address text."
)
@click.option(
    "--min-score",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Rows scoring below this keep their match type but get no point or beat (status low_score).",
)
@click.option(
    "--chunk-rows",
    type=click.IntRange(1),
    default=50_000,
    show_default=True,
    help="Rows per chunk; progress is saved after each chunk.",
)
@encoding_option
@pass_ctx
def geocode(obj, input_path, output_path, address_column, min_score, chunk_rows, encoding) -> None:
    """Geocode ADDRESS text in INPUT to lon, lat, beat, district and match quality.

    One output row per input row, in input order, original columns kept. An interrupted run
    resumes where it stopped when rerun with the same arguments (progress is kept in
    OUTPUT.parts/). The input is streamed in chunks, so memory does not grow with its length.
    Two runs writing the same OUTPUT are refused; OUTPUT may not be INPUT. A summary of match types and rates is printed at the end (stderr).

    \b
    Example:
      geo-heart geocode incidents.csv -o incidents_geo.parquet --address-column ADDRESS2
    """
    from tqdm import tqdm

    from geo_heart.geocode.batch import geocode_file
    from geo_heart.io.files import refuse_same_file

    refuse_same_file(input_path, output_path)
    ws = obj.workspace
    bar = tqdm(
        total=None, unit="rows", desc="geocoding", disable=not sys.stderr.isatty(), leave=False
    )
    try:
        summary = geocode_file(
            ws,
            input_path,
            output_path,
            address_column=address_column,
            min_score=min_score,
            chunk_rows=chunk_rows,
            encoding=encoding,
            progress=bar.update,
            on_total=lambda n: setattr(bar, "total", n),
        )
    finally:
        bar.close()
    n = summary["rows"] or 1
    click.echo(
        f"{summary['rows']:,} rows -> {output_path}: "
        f"{summary['with_coordinates']:,} with coordinates ({100 * summary['with_coordinates'] / n:.1f}%), "
        f"{summary['with_beat']:,} with a beat ({100 * summary['with_beat'] / n:.1f}%), "
        f"{summary['in_service_area']:,} in the {ws.config.default_service_area} area"
        + (f"; resumed after {summary['resumed_rows']:,} rows" if summary["resumed_rows"] else ""),
        err=True,
    )
    types = ", ".join(f"{k} {v:,} ({100 * v / n:.1f}%)" for k, v in summary["match_types"].items())
    click.echo(f"match types: {types}", err=True)
    status = ", ".join(f"{k} {v:,}" for k, v in summary["status"].items())
    click.echo(f"status: {status}", err=True)

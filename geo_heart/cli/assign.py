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
    on_loss_option,
    output_file_option,
    pass_ctx,
    types_option,
)
from geo_heart.cli.rules_options import at_column_options


@click.command()
@batch_input_argument
@output_file_option(
    "Output file: .csv .tsv .parquet (GeoParquet) .gpkg .fgb .shp .geojson; with --engine dask "
    "also a folder (a partitioned GeoParquet dataset).",
    dir_okay=True,
)
@format_option
@layer_option
@types_option
@on_loss_option
@crs_option
@click.option(
    "--lon-column",
    "--x-column",
    "lon_column",
    default="lon",
    show_default=True,
    help="Longitude column (CSV/Parquet); with --input-crs, the x column.",
)
@click.option(
    "--lat-column",
    "--y-column",
    "lat_column",
    default="lat",
    show_default=True,
    help="Latitude column (CSV/Parquet); with --input-crs, the y column.",
)
@click.option(
    "--input-crs",
    metavar="CRS",
    help="CRS of the x/y columns, e.g. EPSG:2264 (NC State Plane feet); default WGS84 lon/lat. "
    "The WGS84 lon and lat are added to the output.",
)
@at_column_options
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
    types,
    on_loss,
    out_crs,
    lon_column,
    lat_column,
    input_crs,
    at_column,
    at_time_zone,
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

    The table is streamed in chunks of rows (memory stays flat whatever its length); a vector
    layer INPUT is read whole. With --input-crs, --x-column and --y-column name coordinates in
    that CRS (e.g. State Plane feet), and the WGS84 lon and lat are added.

    With --engine dask (the [dask] extra) the rows are processed in partitions on a dask
    cluster, with the same answers in the same order; INPUT may then be a folder or glob of
    CSV or Parquet partitions, and OUTPUT a folder (a partitioned GeoParquet dataset).

    \b
    Example:
      geo-heart assign points.csv -o points_with_beats.gpkg --crs EPSG:2264
      geo-heart assign sp.csv -o sp_beats.csv --input-crs EPSG:2264 --x-column x_ft --y-column y_ft
      geo-heart assign 'points/*.parquet' -o points_beats/ --engine dask
      geo-heart assign calls.csv -o calls_beats.gpkg --at-column DATE_REPT

    Without --at-column, in_service_area follows the rules in force today (named in the summary
    and the output's metadata); with it, each row is judged under the rules in force at its
    own time and rules, service_area and programs are added (docs/outputs.md).
    """
    from geo_heart.geo.assign import input_crs_of
    from geo_heart.io.files import output_lock

    input_crs = input_crs_of(input_crs)  # before any work
    engine = pop_engine(kwargs)
    if engine["engine"] == "dask":
        from geo_heart.scale.run import check_output_target

        spec = check_output_target(input_path, output_path, fmt=out_format, crs=out_crs)
    else:
        from geo_heart.io.tables import read_header, refuse_duplicate_names
        from geo_heart.io.vector import check_output

        # every refusal before any work (the output against every input: cli.options)
        spec = check_output(output_path, fmt=out_format, crs=out_crs, layer=out_layer)
        header = read_header(input_path, encoding=encoding)
        refuse_duplicate_names(header, fmt=spec.fmt, source=input_path)
        from geo_heart.cli.rules_options import check_at_column

        check_at_column(obj.workspace, header, at_column, at_time_zone, input_path)
        from geo_heart.geo.assign import RESULT_COLUMNS, XY_COLUMNS, result_column_names
        from geo_heart.geo.census import census_columns
        from geo_heart.geo.rules_at import AT_COLUMNS
        from geo_heart.io.shapefile import check_result_names
        from geo_heart.io.textloss import enforce, name_losses

        # every result's name (gh_<name> where INPUT has the name; a taken gh_ name refused) and
        # the input's names a Shapefile cannot hold (refused or warned about), before any work;
        # the results have fixed Shapefile names (docs/outputs.md), refused if the input has one
        results = RESULT_COLUMNS + (XY_COLUMNS if input_crs else ()) + (
            AT_COLUMNS if at_column else ()) + census_columns(obj.workspace.config)  # fmt: skip
        from geo_heart.io.ogr import format_columns

        own = list(result_column_names(header, results, source=input_path).values())
        result_column_names(header, format_columns(spec.fmt), source=input_path)
        enforce(name_losses(header, spec.fmt), spec.path, spec.fmt, on_loss)
        if spec.fmt == "shp":
            check_result_names(header, own, source=input_path)
    if engine["engine"] == "dask" and (at_column or at_time_zone):
        raise click.BadParameter("runs with the local engine", param_hint="--at-column")
    with output_lock(spec.path):
        _assign(
            obj, input_path, spec, lon_column, lat_column, input_crs, encoding, as_json, engine,
            types=types, at_column=at_column, at_time_zone=at_time_zone, on_loss=on_loss,
        )  # fmt: skip


def _assign(
    obj,
    input_path,
    spec,
    lon_column,
    lat_column,
    input_crs,
    encoding,
    as_json,
    engine,
    types="text",
    at_column=None,
    at_time_zone=None,
    on_loss="refuse",
) -> None:
    ws = obj.workspace
    if engine["engine"] == "dask":
        from geo_heart.scale.run import assign_dask

        summary, info = assign_dask(
            ws,
            input_path,
            spec,
            lon_column=lon_column,
            lat_column=lat_column,
            input_crs=input_crs,
            encoding=encoding,
            **{k: v for k, v in engine.items() if k != "engine"},
        )
    else:
        from geo_heart.io.tables import table_kind

        options = {"lon_column": lon_column, "lat_column": lat_column, "input_crs": input_crs}
        if at_column:
            options.update(at_column=at_column, at_time_zone=at_time_zone)
        if table_kind(input_path) == "geo":  # a layer is read whole; its geometry is kept
            from geo_heart.geo.assign import assign_chunk
            from geo_heart.io.tables import read_table
            from geo_heart.io.vector import write_vector

            df = read_table(input_path, encoding=encoding)
            out, summary = assign_chunk(ws, df, source=input_path, **options)
            kinds = None
            if types == "auto":
                from geo_heart.io.coltypes import area_identifier_columns, infer_kinds

                kinds = infer_kinds(
                    out,
                    [c for c in df.columns if c != df.geometry.name],
                    keep_text=area_identifier_columns(ws.config),
                )
            info = write_vector(out, spec, kinds=kinds, on_loss=on_loss, input_columns=df.columns)
        else:
            summary, info = assign_streamed(
                ws, input_path, spec, encoding=encoding, types=types, on_loss=on_loss,
                **options,
            )  # fmt: skip
    from geo_heart.cli.rules_options import rules_summary, say_rules, service_area_words

    note = rules_summary(ws, at_column, at_time_zone, summary.pop("rules_at", None), spec)
    summary = {**summary, "rules": note, "output": info}
    if as_json:
        emit_json(summary)
        return
    obj.say(
        f"{summary['rows']:,} rows -> {spec.path} ({spec.fmt}): {summary['ok']:,} in a beat, "
        f"{summary['in_service_area']:,} {service_area_words(ws, note)}, "
        f"{summary['outside']:,} outside every beat, {summary['invalid']:,} invalid coordinates"
    )
    if summary.get("invalid_projected"):
        obj.say(
            f"{summary['invalid_projected']:,} of the invalid rows hold numbers out of WGS84's "
            "range: if they are projected x/y (feet or metres), give their CRS with --input-crs"
        )
    say_rules(obj, note)
    _say_fields(obj, info)


def _say_fields(obj, info: dict) -> None:
    """Where a Shapefile's full column names are, and the input's columns the format holds in
    another form (shared by ``assign`` and ``geocode``)."""
    for note in info.get("notes") or []:
        obj.say(f"note: {note}")
    if info.get("renamed"):
        obj.say(f"Shapefile field names of {len(info['renamed'])} columns (10 characters at "
                f"most): {info['columns_map']}; QGIS shows the full names ({info['aliases']})")
    split = {c: f for c, f in (info.get("fields") or {}).items() if len(f) > 1}
    for c, f in split.items():
        obj.say(f"{c}: values over 254 bytes continue in {', '.join(f[1:])} (joined back by "
                "--retry-failed)")


def assign_streamed(
    ws,
    input_path,
    spec,
    *,
    lon_column: str,
    lat_column: str,
    input_crs: str | None = None,
    encoding: str | None = None,
    chunk_rows: int = 50_000,
    types: str = "text",
    at_column: str | None = None,
    at_time_zone: str | None = None,
    on_loss: str = "refuse",
) -> tuple[dict, dict]:
    """Assign a CSV/TSV/Parquet table chunk by chunk into ``spec``: memory bounded by a chunk.

    Returns the summed summary and what was written.
    """
    from geo_heart.geo.assign import assign_chunk, output_point_columns
    from geo_heart.geo.rules_at import merge_counts
    from geo_heart.io.coltypes import area_identifier_columns
    from geo_heart.io.tables import iter_table, read_header, table_kind
    from geo_heart.scale.run import write_frames

    summary = {"rows": 0, "ok": 0, "outside": 0, "invalid": 0, "invalid_projected": 0,
               "in_service_area": 0}  # fmt: skip
    options = {"lon_column": lon_column, "lat_column": lat_column, "input_crs": input_crs}
    judged: dict = {}

    def frames():
        for chunk in iter_table(input_path, chunk_rows=chunk_rows, encoding=encoding):
            out, part = assign_chunk(
                ws, chunk, source=input_path, at_column=at_column, at_time_zone=at_time_zone,
                **options,
            )  # fmt: skip
            for k in summary:
                summary[k] += int(part[k])
            if at_column:
                merge_counts(judged, part["rules_at"])
            yield out

    header = read_header(input_path, encoding=encoding)
    lon_out, lat_out = output_point_columns(header, **options)
    info = write_frames(
        frames(),
        spec,
        lon_column=lon_out,
        lat_column=lat_out,
        typed_columns=header if types == "auto" else None,
        keep_text=area_identifier_columns(ws.config),
        on_loss=on_loss,
        input_columns=header,
        csv_input=table_kind(input_path) in ("csv", "tsv"),
        source=input_path,
    )
    if info.get("features") is None:
        info = {**info, "features": summary["rows"]}
    if at_column:
        summary["rules_at"] = judged
    return summary, info

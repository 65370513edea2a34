"""``geo-heart geocode``: batch-geocode a table's address column (resumable), any table or layer."""

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
    "Output file: .csv .tsv .parquet (GeoParquet) .gpkg .fgb .shp .geojson (see --format); "
    "with --engine dask also a folder (a partitioned GeoParquet dataset).",
    dir_okay=True,
)
@format_option
@layer_option
@crs_option
@click.option(
    "--address-column", required=True, metavar="COL", help="Column holding the address text."
)
@types_option
@on_loss_option
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
@click.option(
    "--overrides",
    "overrides_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Fix-ups applied before matching: CSV address,corrected_address,lon,lat,note.",
)
@click.option(
    "--retry-failed",
    "previous_path",
    type=click.Path(exists=True, dir_okay=False),
    metavar="PREVIOUS_OUTPUT",
    help="Geocode again only the rows that failed in this earlier output of INPUT and merge.",
)
@click.option(
    "--review",
    "review_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also write a CSV of the failed and unsure rows (one line per address) with the "
    "columns of an overrides file, ready to fill in, plus the candidates and the reason.",
)
@click.option(
    "--review-min-score",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="With --review: list located rows scoring below this too.",
)
@click.option(
    "--point-for-beat-only",
    is_flag=True,
    help="Rows with a beat but no point (beat_only) get their beat's representative point, "
    "flagged point_kind=beat_point.",
)
@at_column_options
@encoding_option
@engine_options
@json_option
@pass_ctx
def geocode(
    obj,
    input_path,
    output_path,
    out_format,
    out_layer,
    out_crs,
    address_column,
    types,
    on_loss,
    min_score,
    chunk_rows,
    overrides_path,
    previous_path,
    review_path,
    review_min_score,
    point_for_beat_only,
    at_column,
    at_time_zone,
    encoding,
    as_json,
    **kwargs,
) -> None:
    """Geocode ADDRESS text in INPUT to lon, lat, beat, district, census GEOIDs and match quality.

    One output row (or feature) per input row, in input order, original columns kept; rows
    without a location keep an empty geometry. An interrupted run resumes where it stopped when
    rerun with the same arguments (progress is kept in OUTPUT.parts/). The
    fix-up loop: write an overrides table for the failures, then rerun with
    --retry-failed OUTPUT --overrides fixes.csv. Columns: docs/outputs.md.

    With --engine dask (the [dask] extra; docs/scale.md) the rows are geocoded in partitions on
    a dask cluster with the same answers in the same order; INPUT may then be a folder or glob
    of CSV or Parquet partitions, and OUTPUT a folder (a partitioned GeoParquet dataset).

    \b
    Examples:
      geo-heart geocode incidents.csv -o incidents_geo.gpkg --address-column ADDRESS2
      geocode calls.csv -o calls.parquet --address-column ADDRESS --crs EPSG:2264
      geocode calls.csv -o calls2.gpkg --address-column ADDRESS --retry-failed calls.gpkg --overrides fixes.csv
      geocode 'calls/*.parquet' -o calls_geo/ --address-column ADDRESS --engine dask
      geocode incidents.csv -o geo.gpkg --address-column ADDRESS2 --at-column DATE_REPT

    Without --at-column, in_service_area follows the rules in force today (named in the summary
    and the output's metadata); with it, each row is judged under the rules in force at its
    own time and rules, service_area and programs are added (docs/outputs.md).
    """
    from geo_heart.io.tables import refuse_duplicate_names, table_kind
    from geo_heart.io.vector import check_output

    engine = pop_engine(kwargs)
    if engine["engine"] == "dask":
        if at_column or at_time_zone or review_path or point_for_beat_only:
            raise click.BadParameter(
                "--at-column, --review and --point-for-beat-only run with the local engine",
                param_hint="--engine",
            )
        if overrides_path or previous_path:
            raise click.BadParameter(
                "--overrides and --retry-failed run with the local engine", param_hint="--engine"
            )
        _geocode_dask(obj, input_path, output_path, out_format, out_crs, address_column,
                      min_score, chunk_rows, encoding, as_json, engine)  # fmt: skip
        return
    # every refusal before any work (the output against every input: cli.options)
    spec = check_output(output_path, fmt=out_format, crs=out_crs, layer=out_layer)
    from geo_heart.geocode.batch import geocode_header

    header = geocode_header(input_path, encoding=encoding)  # a layer: its fields
    refuse_duplicate_names(header, fmt=spec.fmt, source=input_path)
    from geo_heart.cli.rules_options import check_at_column

    check_at_column(obj.workspace, header, at_column, at_time_zone, input_path)
    if review_path:
        from geo_heart.io.files import refuse_output_over_inputs
        from geo_heart.io.tables import table_kind

        refuse_output_over_inputs(review_path, {
            "the input file": input_path, "the --overrides file": overrides_path,
            "the --retry-failed file": previous_path, "the output file": output_path,
        })  # fmt: skip
        if table_kind(review_path) != "csv":
            raise click.BadParameter("the review table is a .csv file", param_hint="--review")
    elif review_min_score is not None:
        raise click.BadParameter("needs --review", param_hint="--review-min-score")
    from geo_heart.io.textloss import enforce, name_losses

    # every result column's name (gh_<name> where INPUT has the name; a taken gh_ name refused),
    # and the input's names a Shapefile cannot hold (refused or warned about), before any work;
    # the results have fixed Shapefile names (docs/outputs.md), refused if the input has one
    own = geocode_result_names(
        obj.workspace, header, at_column=at_column, point_for_beat_only=point_for_beat_only,
        overrides=bool(overrides_path or previous_path), source=input_path,
    )  # fmt: skip
    from geo_heart.geo.assign import result_column_names
    from geo_heart.io.ogr import format_columns

    result_column_names(header, format_columns(spec.fmt), source=input_path)  # geometry …
    enforce(name_losses(header, spec.fmt), spec.path, spec.fmt, on_loss)
    if spec.fmt == "shp":
        from geo_heart.io.shapefile import check_result_names

        check_result_names(header, list(own.values()), source=input_path)


    from geo_heart.geo.census import add_census_geoids
    from geo_heart.geocode import fixup
    from geo_heart.io.files import output_lock
    from geo_heart.io.tables import read_table
    from geo_heart.io.vector import write_vector

    ws = obj.workspace
    csv_input = table_kind(input_path) in ("csv", "tsv")  # an empty cell: a missing value
    lock = output_lock(spec.path)
    lock.__enter__()  # a second run writing OUTPUT is refused
    try:
        extra: dict[str, object] = {}
        if overrides_path or previous_path:
            from geo_heart.geocode.batch import layer_attributes

            df = layer_attributes(read_table(input_path, encoding=encoding))
            ov = fixup.read_overrides(overrides_path) if overrides_path else None
            if previous_path:
                out, extra = fixup.retry_failed(
                    ws,
                    df,
                    read_table(previous_path),
                    address_column=address_column,
                    overrides=ov,
                    min_score=min_score,
                    source=input_path,
                    previous_path=previous_path,
                )
            else:
                out = fixup.geocode_with_overrides(
                    ws,
                    df,
                    address_column=address_column,
                    overrides=ov,
                    min_score=min_score,
                    source=input_path,
                )
            resumed = 0
        else:
            from geo_heart.geocode.batch import geocode_file

            # CSV/TSV: geocode straight into OUTPUT (resume state in OUTPUT.parts/); other formats
            # go through a Parquet work file streamed into the output batch by batch. Census
            # GEOIDs are added chunk by chunk, so memory stays bounded at any row count.
            streamed = spec.fmt in ("csv", "tsv")
            from geo_heart.io.files import make_marked_dir, remove_marked_dir

            # other formats: a Parquet work file in a marked work folder of geo-heart's (a
            # fixed name, so an interrupted run resumes; never a user's file)
            work_dir = spec.path.with_name(f".{spec.path.name}.geo-heart-work")
            work = spec.path if streamed else make_marked_dir(work_dir) / "geocoded.parquet"

            hook = None
            if at_column:
                from geo_heart.geo.rules_at import RulesAtHook

                hook = RulesAtHook(
                    ws.config, input_columns=header, at_column=at_column,
                    time_zone=at_time_zone, source=input_path,
                )  # fmt: skip
            if point_for_beat_only:
                from geo_heart.geocode.review import BeatPointHook

                hook = BeatPointHook(ws, then=hook, input_columns=header)
            bar = obj.progress(total=None, unit="rows", desc="geocoding")
            try:
                s = geocode_file(
                    ws,
                    input_path,
                    work,
                    address_column=address_column,
                    min_score=min_score,
                    chunk_rows=chunk_rows,
                    encoding=encoding,
                    census=True,
                    chunk_hook=hook,
                    progress=bar.update,
                    on_total=lambda n: setattr(bar, "total", n),
                )
            finally:
                bar.close()
            counts = getattr(getattr(hook, "then", hook), "counts", None)
            rules_at = {"at_column": at_column, "at_time_zone": at_time_zone, "counts": counts}
            if point_for_beat_only:
                s["beat_points"] = hook.count
            if review_path:
                s["review"] = _review_from_file(ws, work, header, address_column, review_path,
                                                review_min_score)  # fmt: skip
            if streamed:
                notes = s.pop("type_notes", None)
                _report(obj, ws, spec, {**s, "overrides_applied": 0, "output": {
                    "path": str(spec.path), "format": spec.fmt, "crs": spec.crs,
                    "features": s["rows"], "located": None,
                    **({"notes": notes} if notes else {})}}, as_json, rules_at)  # fmt: skip
                return
            from geo_heart.io.vector_stream import infer_parquet_kinds, write_vector_from_parquet

            names = _names(header)
            from geo_heart.io.coltypes import area_identifier_columns

            kinds = (
                infer_parquet_kinds(work, header, keep_text=area_identifier_columns(ws.config))
                if types == "auto"
                else None
            )
            info = write_vector_from_parquet(
                work, spec, lon_column=names["lon"], lat_column=names["lat"], kinds=kinds,
                on_loss=on_loss, input_columns=header, csv_input=csv_input, source=input_path,
            )  # fmt: skip
            if kinds:
                info["typed_columns"] = kinds
            remove_marked_dir(work_dir)
            _report(obj, ws, spec, {**s, "overrides_applied": 0, "output": info}, as_json,
                    rules_at)  # fmt: skip
            return
        names = _names(header)
        out = add_census_geoids(
            ws, out, lon_column=names["lon"], lat_column=names["lat"], input_columns=header,
            source=input_path,
        )  # fmt: skip
        rules_at = {"at_column": at_column, "at_time_zone": at_time_zone, "counts": None}
        if at_column:
            from geo_heart.geo.rules_at import apply_rules_at

            out, rules_at["counts"] = apply_rules_at(
                ws.config, out, input_columns=header, beat_column=names["beat"],
                in_service_column=names["in_service_area"], at_column=at_column,
                time_zone=at_time_zone, source=input_path,
            )  # fmt: skip
        if point_for_beat_only:
            from geo_heart.geocode.review import add_beat_points

            out, extra["beat_points"] = add_beat_points(ws, out, names, input_columns=header)
        if review_path:
            from geo_heart.geocode.review import write_review

            extra["review"] = write_review(ws, out, review_path, address_column=address_column,
                                           names=names, min_score=review_min_score)  # fmt: skip
        kinds = None
        if types == "auto":
            from geo_heart.io.coltypes import area_identifier_columns, infer_kinds

            kinds = infer_kinds(out, header, keep_text=area_identifier_columns(ws.config))
        info = write_vector(
            out, spec, lon_column=names["lon"], lat_column=names["lat"], kinds=kinds,
            on_loss=on_loss, input_columns=header, csv_input=csv_input, source=input_path,
        )  # fmt: skip
        summary = fixup.summarize(out, names, override_column=own["override"])
        summary.update(resumed_rows=resumed, output=info, **extra)
        _report(obj, ws, spec, summary, as_json, rules_at)

    finally:
        lock.__exit__(None, None, None)


def _geocode_dask(obj, input_path, output_path, out_format, out_crs, address_column, min_score,
                  chunk_rows, encoding, as_json, engine) -> None:  # fmt: skip
    from geo_heart.io.files import output_lock
    from geo_heart.scale.run import check_output_target, geocode_dask

    spec = check_output_target(input_path, output_path, fmt=out_format, crs=out_crs)
    with output_lock(spec.path):
        bar = obj.progress(total=None, unit="rows", desc="geocoding (dask)")
        try:
            s, info = geocode_dask(
                obj.workspace, input_path, spec, address_column=address_column,
                min_score=min_score, chunk_rows=chunk_rows, encoding=encoding,
                progress=bar.update, **{k: v for k, v in engine.items() if k != "engine"},
            )  # fmt: skip
        finally:
            bar.close()
    _report(obj, obj.workspace, spec, {**s, "overrides_applied": 0, "output": info}, as_json)


def _report(obj, ws, spec, summary: dict, as_json: bool, rules_at: dict | None = None) -> None:
    from geo_heart.cli.rules_options import rules_summary, say_rules, service_area_words

    rules_at = rules_at or {}
    note = rules_summary(
        ws, rules_at.get("at_column"), rules_at.get("at_time_zone"), rules_at.get("counts"), spec
    )
    summary = {**summary, "rules": note}
    resumed = summary.get("resumed_rows", 0)
    extra = {k: summary[k] for k in ("retried", "fixed") if k in summary}
    if as_json:
        emit_json(summary)
        return
    n = summary["rows"] or 1
    obj.say(
        f"{summary['rows']:,} rows -> {spec.path} ({spec.fmt}, {spec.crs}): "
        f"{summary['with_coordinates']:,} with coordinates ({100 * summary['with_coordinates'] / n:.1f}%"
        + (
            f"; {summary['beat_points']:,} of them beats' points"
            if summary.get("beat_points")
            else ""
        )
        + "), "
        f"{summary['with_beat']:,} with a beat ({100 * summary['with_beat'] / n:.1f}%), "
        f"{summary['in_service_area']:,} {service_area_words(ws, note)}"
        + (f"; resumed after {resumed:,} rows" if resumed else "")
        + (
            f"; retried {extra['retried']:,} failed rows, {extra['fixed']:,} now found"
            if extra
            else ""
        )
        + (
            f"; {summary['overrides_applied']:,} overrides applied"
            if summary["overrides_applied"]
            else ""
        )
    )
    types = ", ".join(f"{k} {v:,} ({100 * v / n:.1f}%)" for k, v in summary["match_types"].items())
    obj.say(f"match types: {types}")
    obj.say("status: " + ", ".join(f"{k} {v:,}" for k, v in summary["status"].items()))
    say_rules(obj, note)
    if "beat_points" in summary:
        obj.say(f"{summary['beat_points']:,} beat_only rows given their beat's representative "
                "point (point_kind=beat_point)")  # fmt: skip
    if summary.get("review"):
        r = summary["review"]
        obj.say(f"review table: {r['path']}: {r['addresses']:,} addresses ({r['rows']:,} rows) "
                "to check; fill in corrected_address or lon,lat and rerun with --retry-failed "
                "OUTPUT --overrides it")  # fmt: skip
    from geo_heart.cli.assign import _say_fields

    _say_fields(obj, summary.get("output") or {})


def _review_from_file(ws, work, header, address_column, review_path, min_score) -> dict:
    """The review table of a batch run, from its CSV output or Parquet work file."""
    import pandas as pd

    from geo_heart.geocode.batch import result_column_names
    from geo_heart.geocode.review import write_review

    names = result_column_names(pd.Index(header, dtype=object))
    cols = [
        address_column,
        *(names[c] for c in ("status", "reason", "match_type", "score", "beat")),
    ]
    from geo_heart.io.tables import read_parquet, read_table

    if str(work).endswith(".parquet"):
        frame = read_parquet(work, columns=cols)
    else:
        frame = read_table(work)[cols]
    return write_review(ws, frame, review_path, address_column=address_column, names=names,
                        min_score=min_score)  # fmt: skip


def _names(header) -> dict[str, str]:
    """The geocoder's result columns → their output names for an input with ``header``
    (``gh_`` prefixed where the input has the name)."""
    import pandas as pd

    from geo_heart.geocode.batch import result_column_names

    return result_column_names(pd.Index(list(header), dtype=object))


def geocode_result_names(
    ws, header, *, at_column=None, point_for_beat_only=False, overrides=False, source="input"
) -> dict[str, str]:
    """Every column a ``geocode`` run adds → its output name for an input with ``header``:
    the geocoder's results, the census GEOIDs, with ``--at-column`` rules/service_area/programs,
    with ``--point-for-beat-only`` point_kind, with ``--overrides``/``--retry-failed`` override
    and override_note (``gh_<name>`` where INPUT has the name; one rule:
    :func:`geo_heart.geo.assign.result_column_names`).

    Raises InputError, before any work, when a ``gh_`` name is taken too.
    """
    from geo_heart.geo.assign import result_column_names
    from geo_heart.geo.census import census_columns
    from geo_heart.geo.rules_at import AT_COLUMNS
    from geo_heart.geocode.fixup import OVERRIDE_RESULTS
    from geo_heart.geocode.match import RESULT_COLUMNS
    from geo_heart.geocode.review import POINT_KIND

    results = (
        *RESULT_COLUMNS, *census_columns(ws.config), *(AT_COLUMNS if at_column else ()),
        *((POINT_KIND,) if point_for_beat_only else ()),
        *(OVERRIDE_RESULTS if overrides else ()),
    )  # fmt: skip
    return result_column_names(list(map(str, header)), results, source=str(source))

"""``geo-heart area check``: validate an area file and its data, reporting every problem."""

from __future__ import annotations

import json

import click

from geo_heart.cli.options import json_option, pass_ctx


@click.group()
def area() -> None:
    """Work with the area file (boundaries/<name>.toml)."""


@area.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@json_option
@pass_ctx
def check(obj, file, as_json) -> None:
    """Validate FILE (default: the current area file) and its data.

    Checks the schema (unknown keys, types, hours, dates), the cross-references (programs, service
    areas, call types, rule sets), that every layer file exists in the data folder, that every
    configured column exists in its layer, and that every beat a service area names is in the
    beats layer. Every layer is opened whole; a vector layer needs a CRS and bounds possible in
    it; the time zone must be a region zone (America/New_York, never EST); hours may not hold a
    zero-length window or two windows sharing an hour. Warns when the beats layer does not cover
    the area's own address points and places. Prints every problem; exit code 1 if there is any.

    \b
    Examples:
      geo-heart area check
      geo-heart area check my_city.toml --json
    """
    from geo_heart.config.check import check_area, check_area_warnings
    from geo_heart.config.schema import display_path
    from geo_heart.config.settings import resolve_area_file

    settings = obj.settings
    path = resolve_area_file(file, areas_dir=settings.areas_dir) if file else settings.area_file
    if file and settings.data_dir_default:  # FILE brings its own default data folder
        settings = settings.with_overrides(area=str(path))
    problems = check_area(path, settings.data_dir)
    warnings = check_area_warnings(path, settings.data_dir)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "file": str(path),
                    "data_dir": str(settings.data_dir),
                    "ok": not problems,
                    "problems": problems,
                    "warnings": warnings,
                }  # fmt: skip
            )
        )
    elif problems:
        n = len(problems)
        click.echo(f"{display_path(path)}: {n} problem{'s' if n != 1 else ''}")
        for line in problems:
            click.echo(f"  {line}")
    else:
        click.echo(f"{display_path(path)}: OK (schema, layers, columns and beats checked)")
    for line in warnings if not as_json else ():
        click.echo(f"  warning: {line}", err=True)
    if problems:
        raise SystemExit(1)


@area.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the schema to this file (default: print it).",
)
def schema(output) -> None:
    """Export the area file's JSON Schema (from the pydantic models), for editors to validate.

    \b
    Examples:
      geo-heart area schema -o area.schema.json
      # then, in an editor with a TOML language server (Taplo / Even Better TOML):
      #:schema ./area.schema.json        (first line of the area file)
    """
    from geo_heart.config.schema import area_json_schema

    text = json.dumps(area_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output:
        from geo_heart.io.files import write_text_file

        write_text_file(output, text)
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)

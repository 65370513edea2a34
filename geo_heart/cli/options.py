"""Reusable click options and the context object shared by subcommands."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

import click

from geo_heart.config.settings import Settings


class Ctx:
    """What the group hands to subcommands: resolved settings and a lazily loaded workspace."""

    def __init__(self, settings: Settings, *, quiet: bool = False, verbose: int = 0) -> None:
        self.settings = settings
        self.quiet = quiet
        self.verbose = verbose
        self._ws = None

    def say(self, message: str) -> None:
        """A summary/status line on stderr, unless ``-q``."""
        if not self.quiet:
            click.echo(message, err=True)

    def progress(self, **kwargs):
        """A tqdm bar on stderr, shown only on a terminal and without ``-q``."""
        from tqdm import tqdm

        return tqdm(disable=self.quiet or not sys.stderr.isatty(), leave=False, **kwargs)

    @property
    def workspace(self):
        """The :class:`~geo_heart.area.Area` (area config validated on first use)."""
        if self._ws is None:
            from geo_heart.area import Area

            self._ws = Area.from_settings(self.settings)
        return self._ws


pass_ctx = click.make_pass_decorator(Ctx)

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
call_type_option = click.option(
    "--call-type",
    "call_type",
    metavar="TYPE",
    help="Raw CAD code (e.g. 'CRT - TRESPASS', 'URGENT WE') or canonical type (e.g. trespass).",
)
at_option = click.option(
    "--at",
    "at",
    metavar="ISO_TIME",
    help="When the call comes in: ISO 8601; without an offset it is local time of the area. Default: now.",
)
risk_option = click.option(
    "--weapon",
    "--violent",
    "risk",
    is_flag=True,
    help="A weapon is present or the person is physically violent toward others (routes CRT calls to CoR).",
)
scenario_option = click.option(
    "--scenario", metavar="NAME", help="Apply a what-if scenario from the area file."
)

input_argument = click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
encoding_option = click.option(
    "--encoding",
    metavar="CODEC",
    help="Text encoding of a CSV/TSV INPUT (e.g. cp1252, latin-1). Default: UTF-8, or UTF-16 "
    "when the file starts with its byte-order mark; other encodings are refused, not guessed.",
)


def output_file_option(
    help_text: str, *, required: bool = True, dir_okay: bool = False
) -> Callable:
    """``-o/--output FILE`` stored as ``output_path`` (hidden alias ``--out``); ``dir_okay``
    lets the command take a folder (``--engine dask`` writes a partitioned dataset there).

    Before the command runs, the output is checked against every file the command reads (each
    parameter of type ``click.Path``: INPUT, ``--overrides``, ``--retry-failed`` …): an output
    that would overwrite one of them is refused with one line naming the option.
    """
    return _with_alias(
        click.option(
            "-o", "--output", "output_path", type=click.Path(dir_okay=dir_okay), help=help_text
        ),
        "output_path",
        "--output",
        required=required,
        check=_refuse_output_over_inputs,
    )


#: parameters that name what a command writes (never inputs)
OUTPUT_PARAMS = frozenset(
    {"output_path", "out_dir", "_output_path_alias", "_out_dir_alias", "output", "review_path"}
)


def path_inputs(command: click.Command, kwargs: dict, *, skip: str | None = None) -> dict:
    """Label → path of the files a command's path parameters name as inputs (INPUT,
    ``--overrides`` …); the output parameters are left out."""
    inputs: dict[str, object] = {}
    for param in command.params:
        if (
            param.name in OUTPUT_PARAMS
            or param.name == skip
            or not isinstance(param.type, click.Path)
            or not param.type.file_okay
        ):
            continue
        values = kwargs.get(param.name)
        for value in values if isinstance(values, (list, tuple)) else [values]:
            if value is None:
                continue
            label = (
                "the input file"
                if param.name == "input_path"
                else f"the {param.human_readable_name} file"
                if isinstance(param, click.Argument)
                else f"the {max(param.opts, key=len)} file"
            )
            inputs[label] = value
    return inputs


def _refuse_output_over_inputs(dest: str, kwargs: dict) -> None:
    """InputError when ``kwargs[dest]`` names a file another path parameter reads."""
    output = kwargs.get(dest)
    ctx = click.get_current_context(silent=True)
    if output is None or ctx is None:
        return
    from geo_heart.io.files import refuse_output_over_inputs

    refuse_output_over_inputs(output, path_inputs(ctx.command, kwargs, skip=dest))


#: the names a folder command may write (fnmatch patterns), by what it writes; checked against
#: its inputs before any work (every write is checked again by io.files.guard_output)
FOLDER_OUTPUTS = {
    "staffing": ("staffing_*",),
    "coverage": ("coverage*", "equity_by_period.csv", "beats.gpkg", "*.qml"),
    "demand": (
        "demand_*",
        "unknown_call_types.csv",
        "coverage_by_period.*",
        "beats.gpkg",
        "*.qml",
    ),  # fmt: skip
    "equity": ("equity*",),
    "hotspots": ("hotspots_*", "beats.gpkg", "*.qml"),
    "expand": ("expansion_*", "beats.gpkg", "*.qml"),
    "map": (
        "demand_*",
        "coverage*",
        "hotspots_*",
        "expansion_*",
        "equity*",
        "staffing_*",
        "report.html",
        "unknown_call_types.csv",
        "beats.gpkg",
        "*.qml",
    ),  # fmt: skip
}


def output_dir_option(
    help_text: str, *, required: bool = True, writes: tuple[str, ...] = ()
) -> Callable:
    """``-o/--output-dir DIR`` stored as ``out_dir`` (hidden alias ``--out``).

    ``writes``: the names (fnmatch patterns) the command writes into DIR; an input file there
    with such a name is refused before any work (:func:`_refuse_folder_over_inputs`).
    """
    return _with_alias(
        click.option(
            "-o", "--output-dir", "out_dir", type=click.Path(file_okay=False), help=help_text
        ),
        "out_dir",
        "--output-dir",
        required=required,
        check=functools.partial(_refuse_folder_over_inputs, writes=writes),
    )


def _refuse_folder_over_inputs(dest: str, kwargs: dict, *, writes: tuple[str, ...]) -> None:
    """InputError when an input file lies in the output folder under a name the command writes."""
    import fnmatch
    import os

    out = kwargs.get(dest)
    ctx = click.get_current_context(silent=True)
    if out is None or ctx is None or not writes:
        return
    from geo_heart.errors import InputError

    try:
        folder = os.path.realpath(out)
    except (OSError, ValueError):
        return
    for label, path in path_inputs(ctx.command, kwargs, skip=dest).items():
        real = os.path.realpath(str(path))
        name = os.path.basename(real)
        if os.path.dirname(real) == folder and any(fnmatch.fnmatch(name, w) for w in writes):
            raise InputError(
                f"output folder {str(out)!r} holds {label} {str(path)!r}, and "
                f"{ctx.command.name} writes {name!r} there; write into another folder"
            )


def maps_dir_option(help_text: str, *, writes: tuple[str, ...] = ()) -> Callable:
    """``-o/--output-dir DIR`` for commands that write maps (default: the maps folder)."""
    return output_dir_option(help_text, required=False, writes=writes)


def _with_alias(
    option: Callable,
    dest: str,
    name: str,
    *,
    required: bool,
    check: Callable[[str, dict], None] | None = None,
) -> Callable:
    """Add ``option`` plus a hidden ``--out`` alias that fills the same parameter."""
    alias_dest = f"_{dest}_alias"

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            alias = kwargs.pop(alias_dest, None)
            if kwargs.get(dest) is None and alias is not None:
                kwargs[dest] = alias
            if required and kwargs.get(dest) is None:
                raise click.MissingParameter(param_hint=f"'-o' / '{name}'", param_type="option")
            if check is not None:
                check(dest, kwargs)
            return func(*args, **kwargs)

        wrapper = click.option(
            "--out", alias_dest, hidden=True, type=click.Path(), help="Old spelling of -o."
        )(wrapper)
        return option(wrapper)

    return decorate


def program_option(help_text: str, *, multiple: bool = False) -> Callable:
    """``--program NAME`` (repeatable / comma-separated when ``multiple``), hidden ``--programs``.

    The command receives ``programs``: a list of names (``multiple``) or one name or ``None``.
    """

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            one = kwargs.pop("_program", None)
            vals = ([one] if isinstance(one, str) else list(one or ())) + list(
                kwargs.pop("_programs", ()) or ()
            )
            names = [x.strip() for v in vals for x in v.split(",") if x.strip()]
            if multiple:
                kwargs["programs"] = names
            else:
                if len(names) > 1:
                    raise click.BadParameter(f"one program, got {names}", param_hint="--program")
                kwargs["programs"] = names[0] if names else None
            return func(*args, **kwargs)

        wrapper = click.option("--programs", "_programs", multiple=True, hidden=True)(wrapper)
        return click.option(
            "--program", "_program", multiple=multiple, metavar="NAME", help=help_text
        )(wrapper)

    return decorate


#: the keys of geo_heart.io.vector.FORMATS (kept here so --help imports nothing heavy)
OUTPUT_FORMATS = ["csv", "fgb", "geojson", "gpkg", "parquet", "shp", "tsv"]


#: ``--basemap``: an offline base map drawn from the area's road layer (same on every map command)
basemap_option = click.option(
    "--basemap",
    type=click.Choice(["none", "roads"]),
    default="none",
    show_default=True,
    help="Offline base map: the area's road layer ([layers.roads]).",
)


def format_option(func: Callable) -> Callable:
    """``--format`` of a table/layer output (default: from the extension)."""
    return click.option(
        "--format",
        "out_format",
        type=click.Choice(OUTPUT_FORMATS, case_sensitive=False),
        help="Output format (default: from the extension: .gpkg .parquet .fgb .shp .geojson .csv).",
    )(func)


types_option = click.option(
    "--types",
    "types",
    type=click.Choice(["text", "auto"]),
    default="text",
    show_default=True,
    help="Input columns as read (text), or auto: whole-column integers, reals, dates and "
    "date-times get their type in Parquet and vector outputs; a column with any leading-zero "
    "value stays text.",
)

on_loss_option = click.option(
    "--on-loss",
    "on_loss",
    type=click.Choice(["refuse", "warn"]),
    default="refuse",
    show_default=True,
    help="Text the output format cannot hold exactly (a NUL byte; in a Shapefile a value over "
    "254 bytes, a name over 10 characters, spaces around a value, an empty value): refuse "
    "before writing, or warn (naming column and count) and write it changed.",
)

layer_option = click.option(
    "--layer",
    "out_layer",
    metavar="NAME",
    help="Layer name in a GeoPackage output (default: the file's name without extension).",
)

crs_option = click.option(
    "--crs",
    "out_crs",
    default="EPSG:4326",
    show_default=True,
    metavar="CRS",
    help="CRS of vector outputs, e.g. EPSG:2264 (GeoJSON is always EPSG:4326).",
)


def emit_json(payload: dict) -> None:
    """Print one JSON object on stdout."""
    import json

    click.echo(json.dumps(payload, default=str))


def check_output_dir(out_dir: str | None, *, create: bool = True):
    """Check an output folder before work starts: not a file, parent exists; create it.

    Raises click.BadParameter (usage error, exit 2) with the path.
    """
    from pathlib import Path

    if out_dir is None:
        return None
    p = Path(out_dir)
    if p.exists() and not p.is_dir():
        raise click.BadParameter(
            f"{str(p)!r} is a file, not a folder", param_hint="-o/--output-dir"
        )
    parent = p.resolve().parent
    if not p.exists() and not parent.is_dir():
        raise click.BadParameter(
            f"the parent folder of {str(p)!r} does not exist", param_hint="-o/--output-dir"
        )
    if create:
        p.mkdir(exist_ok=True)
    return p

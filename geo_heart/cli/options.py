"""Reusable click options and the context object shared by subcommands."""

from __future__ import annotations

from collections.abc import Callable

import click

from geo_heart.config.settings import Settings


class Ctx:
    """What the group hands to subcommands: resolved settings and a lazily loaded workspace."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._ws = None

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


def output_file_option(help_text: str) -> Callable:
    """``-o/--output FILE`` (required), stored as ``output_path``."""
    return click.option(
        "-o",
        "--output",
        "output_path",
        required=True,
        type=click.Path(dir_okay=False),
        help=help_text,
    )


def output_dir_option(help_text: str, *, required: bool = True) -> Callable:
    """``-o/--output-dir DIR``, stored as ``out_dir``."""
    return click.option(
        "-o",
        "--output-dir",
        "out_dir",
        required=required,
        type=click.Path(file_okay=False),
        help=help_text,
    )


def maps_dir_option(help_text: str) -> Callable:
    """``--out DIR`` for commands that write maps (default: the maps folder), stored as ``out_dir``."""
    return click.option("--out", "out_dir", type=click.Path(file_okay=False), help=help_text)

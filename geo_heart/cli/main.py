"""``geo-heart``: the command group.

Global options (``--data``, ``--area``, ``--cache``, ``-v/-q``) live here; each subcommand is a thin
module in this package (parse → call the library → write), imported only when it runs so that
``--help`` is instant. :func:`main` turns library errors into one clean line and exit code 1 (usage
errors exit 2).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import sys

import click

from geo_heart import __version__
from geo_heart.cli.options import Ctx, path_inputs

#: command name → (module, attribute, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "lookup": (
        "geo_heart.cli.lookup",
        "lookup",
        "Beat, service area and program eligibility (rules in force at the time) for a point or an address.",
    ),
    "assign": (
        "geo_heart.cli.assign",
        "assign",
        "Add beat, district and service-area columns to a table of points.",
    ),
    "beats": (
        "geo_heart.cli.beats",
        "beats",
        "List beats, districts, areas and service-area membership.",
    ),
    "geocode": (
        "geo_heart.cli.geocode",
        "geocode",
        "Batch-geocode 911-style addresses to points and beats.",
    ),
    "index": ("geo_heart.cli.index", "index", "Build or inspect the geocoder's reference index."),
    "demand": (
        "geo_heart.cli.demand",
        "demand",
        "Demand tables: eligible calls by beat, hour of week and month.",
    ),
    "coverage": (
        "geo_heart.cli.coverage",
        "coverage",
        "Share of eligible calls the service area and hours cover.",
    ),
    "equity": (
        "geo_heart.cli.equity",
        "equity",
        "Who the service area reaches: residents by group and tract, unmet demand per 1,000.",
    ),
    "hotspots": (
        "geo_heart.cli.hotspots",
        "hotspots",
        "Getis-Ord Gi* hot spots of eligible demand.",
    ),
    "map": ("geo_heart.cli.map", "map_cmd", "Interactive and static maps and the planner report."),
    "report": (
        "geo_heart.cli.report",
        "report",
        "The council report: first page, did the pilot work, next year (HTML; --pdf).",
    ),
    "expand": ("geo_heart.cli.expand", "expand", "Which beats to add to the service area next."),
    "staffing": (
        "geo_heart.cli.staffing",
        "staffing",
        "Teams and shifts: answered share of eligible calls, fewest team-hours for a target.",
    ),
    "evaluate": (
        "geo_heart.cli.evaluate",
        "evaluate",
        "Did the pilot work? Its effect on the incident reports it should replace (DiD).",
    ),
    "forecast": (
        "geo_heart.cli.forecast",
        "forecast",
        "Next year's eligible calls per program, monthly, citywide or by beat, with intervals.",
    ),
    "serve": (
        "geo_heart.cli.serve",
        "serve",
        "Run the dispatch lookup HTTP service and call-taker page.",
    ),
    "data": ("geo_heart.cli.data", "data", "Fetch or check the area's data files."),
    "area": ("geo_heart.cli.area", "area", "Validate the area file and its data (area check)."),
    "rules": ("geo_heart.cli.rules", "rules", "Timeline of program rules (dated rule sets)."),
    "qgis": ("geo_heart.cli.qgis", "qgis", "Install the geo-heart Processing provider in QGIS."),
}


#: command name → the extra it needs before it starts (others need only the core install; a
#: command that reaches an optional module anyway still names its extra in one line, see main())
COMMAND_EXTRAS: dict[str, str] = {
    "map": "planning",
    "report": "planning",
    "hotspots": "planning",
    "staffing": "planning",
    "forecast": "planning",
    "demand": "planning",
    "equity": "planning",
    "evaluate": "evaluation",
    "serve": "service",
}


def _needs_extra(command: click.Command, extra: str) -> click.Command:
    """Make ``command`` check its extra when it runs (``--help`` still works without it)."""
    callback = command.callback
    if callback is None or getattr(callback, "_extra_checked", False):
        return command

    @functools.wraps(callback)
    def checked(*args, **kwargs):
        from geo_heart.errors import require_extra

        require_extra(extra)
        return callback(*args, **kwargs)

    checked._extra_checked = True  # type: ignore[attr-defined]
    command.callback = checked
    return command


def _io_guarded(command: click.Command) -> click.Command:
    """Run ``command`` inside :func:`geo_heart.io.files.command_io_guard`: every file named by a
    path parameter (INPUT, ``--overrides``, ``--shifts`` …, not the outputs) and every file the
    command reads is an input, and no file the command writes may be one of them."""
    callback = command.callback
    if callback is None or getattr(callback, "_io_guarded", False):
        return command

    @functools.wraps(callback)
    def guarded(*args, **kwargs):
        from geo_heart.io.files import command_io_guard

        with command_io_guard(path_inputs(command, kwargs)):
            return callback(*args, **kwargs)

    guarded._io_guarded = True  # type: ignore[attr-defined]
    command.callback = guarded
    return command


class LazyGroup(click.Group):
    """A group whose subcommands are imported on use; unfinished modules are simply not listed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [n for n, (mod, _a, _h) in COMMANDS.items() if importlib.util.find_spec(mod)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        mod, attr, _help = COMMANDS[cmd_name]
        if importlib.util.find_spec(mod) is None:
            return None
        command = getattr(importlib.import_module(mod), attr)
        extra = COMMAND_EXTRAS.get(cmd_name)
        command = _needs_extra(command, extra) if extra else command
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                _io_guarded(sub)
            return command
        return _io_guarded(command)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self._globals_first(ctx, list(args)))

    def _globals_first(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Move the group's own options given after the subcommand in front of it, so
        ``geo-heart map -q --data D`` means ``geo-heart -q --data D map``.

        Tokens are read the way the subcommand reads them: the value of one of its options is
        never taken for a global option, and nothing after ``--`` moves.
        """
        takes_value: dict[str, bool] = {}
        for p in self.params:
            if isinstance(p, click.Option):
                for name in (*p.opts, *p.secondary_opts):
                    takes_value[name] = not (p.is_flag or p.count)
        # find the subcommand: the first token that is not a group option or its value
        i = 0
        while i < len(args):
            tok = args[i]
            if tok == "--" or not tok.startswith("-"):
                break
            name = tok.split("=", 1)[0]
            i += 2 if takes_value.get(name) and "=" not in tok else 1
        if i >= len(args) or args[i] == "--" or args[i] not in COMMANDS:
            return args
        head, cmd_name, rest = args[:i], args[i], args[i + 1 :]
        try:
            command = self.get_command(ctx, cmd_name)
        except Exception:  # an unimportable command reports itself later
            return args
        own: dict[str, bool] = {}
        for p in getattr(command, "params", []):
            if isinstance(p, click.Option):
                for name in (*p.opts, *p.secondary_opts):
                    own[name] = not (p.is_flag or p.count)
        moved, kept = [], []
        j = 0
        while j < len(rest):
            tok = rest[j]
            if tok == "--":
                kept += rest[j:]
                break
            name = tok.split("=", 1)[0]
            if name in own:
                n = 2 if own[name] and "=" not in tok else 1
                kept += rest[j : j + n]
                j += n
                continue
            short_count = len(tok) > 2 and tok[0] == "-" and tok[1] != "-" and set(tok[1:]) == {"v"}
            if name in takes_value or short_count:
                n = 2 if takes_value.get(name) and "=" not in tok else 1
                moved += rest[j : j + n]
                j += n
                continue
            kept.append(tok)
            j += 1
        return head + moved + [cmd_name] + kept

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(n, COMMANDS[n][2]) for n in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="geo-heart")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False),
    envvar="GEO_HEART_DATA",
    help="Data folder (beats layer, address points …). Env: GEO_HEART_DATA. Default: the area "
    "file's [area] data_dir if that folder exists, else ./data.",
)
@click.option(
    "--area",
    envvar="GEO_HEART_AREA",
    help="Area configuration: a name (default: durham; see --areas-dir) or a path to a .toml file. Env: GEO_HEART_AREA.",
)
@click.option(
    "--areas-dir",
    "areas_dir",
    type=click.Path(file_okay=False),
    envvar="GEO_HEART_AREAS",
    help="Your own folder of area files, searched by name before the ones geo-heart ships. Env: GEO_HEART_AREAS.",
)
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(file_okay=False),
    envvar="GEO_HEART_CACHE",
    help="Cache folder for built indexes. Env: GEO_HEART_CACHE. Default: ~/.cache/geo-heart.",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors: no summary lines or progress bars.")
@click.pass_context
def cli(
    ctx: click.Context, data_dir, area, areas_dir, cache_dir, verbose: int, quiet: bool
) -> None:
    """Plan and run alternative 911 crisis response (the default area is Durham's HEART; another
    city brings its own area file: --area portland, docs/area-file.md).

    \b
    Examples:
      geo-heart lookup --lon -78.9016 --lat 35.9960 --call-type trespass --at 2024-06-01T11:00
      geo-heart lookup "200 PACIFIC AVE" --call-type "MENTAL HE" --json
      geo-heart assign points.csv -o with_beats.csv
      geo-heart beats
      geo-heart --area portland lookup "5300 BLOCK OF NE PRESCOTT ST, PORTLAND, OR"
    """
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    from geo_heart.config.settings import Settings

    settings = Settings().with_overrides(
        data_dir=data_dir, area=area, areas_dir=areas_dir, cache_dir=cache_dir
    )
    ctx.obj = Ctx(settings, quiet=quiet, verbose=verbose)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the group and turn GeoHeartErrors into one line and exit code 1."""
    from geo_heart.errors import GeoHeartError

    try:
        rv = cli.main(args=argv, prog_name="geo-heart", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except GeoHeartError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as exc:  # a file problem no library function caught: still one line
        from geo_heart.io.files import describe_os_error

        where = f" {str(exc.filename)!r}" if exc.filename else ""
        click.echo(f"Error: cannot use{where}: {describe_os_error(exc)}", err=True)
        sys.exit(1)
    except Exception as exc:  # a bug: one line for the user, the traceback with -vv
        from geo_heart.errors import missing_extra

        missing = missing_extra(exc) if isinstance(exc, ModuleNotFoundError) else None
        if missing is not None:  # an optional extra is not installed: say which one
            click.echo(f"Error: {missing}", err=True)
            sys.exit(1)
        logging.getLogger("geo_heart").debug("unexpected error", exc_info=True)
        click.echo(
            f"Error: unexpected {type(exc).__name__}: {exc} (a bug; rerun with -vv for details "
            "and report it)",
            err=True,
        )
        sys.exit(1)
    else:
        sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()

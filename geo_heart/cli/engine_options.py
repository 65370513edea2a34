"""``--engine`` and the dask sizing options shared by ``geocode``, ``assign`` and ``demand``."""

from __future__ import annotations

from collections.abc import Callable

import click

_OPTIONS = [
    click.option(
        "--engine",
        type=click.Choice(["local", "dask"]),
        default="local",
        show_default=True,
        help="local: this process. dask: a dask cluster (the [dask] extra; docs/scale.md).",
    ),
    click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="dask scheduler address (default $DASK_SCHEDULER_ADDRESS, else a LocalCluster "
        "with one worker per core).",
    ),
    click.option(
        "--workers",
        type=click.IntRange(1),
        help="LocalCluster worker processes (default: one per core).",
    ),
    click.option(
        "--partitions",
        type=click.IntRange(1),
        help="dask: split each input into about this many partitions.",
    ),
    click.option(
        "--blocksize",
        metavar="SIZE",
        help="dask: input bytes per partition, e.g. 64MB (default: --chunk-rows rows).",
    ),
]


def engine_options(func: Callable) -> Callable:
    """Decorate a command with ``--engine``, ``--scheduler``, ``--workers``, ``--partitions``
    and ``--blocksize`` (passed as an ``engine`` dict)."""
    for opt in reversed(_OPTIONS):
        func = opt(func)
    return func


def pop_engine(kwargs: dict) -> dict:
    """Take the engine options out of a command's ``kwargs``; refuse dask options without dask."""
    engine = {
        k: kwargs.pop(k) for k in ("engine", "scheduler", "workers", "partitions", "blocksize")
    }
    if engine["engine"] != "dask":
        for k in ("scheduler", "workers", "partitions", "blocksize"):
            if engine[k] is not None:
                raise click.BadParameter("only with --engine dask", param_hint=f"--{k}")
    if engine["engine"] == "dask":
        from geo_heart.scale.cluster import require_dask

        require_dask()  # one line naming the extra, before any work
    if engine["partitions"] is not None and engine["blocksize"] is not None:
        raise click.BadParameter(
            "give --partitions or --blocksize, not both", param_hint="--blocksize"
        )
    return engine


#: INPUT of a batch command: a file, or with --engine dask also a folder or glob of partitions.
batch_input_argument = click.argument("input_path", metavar="INPUT", type=click.Path())

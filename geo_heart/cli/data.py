"""``geo-heart data``: check the data folder, fetch official layers."""

from __future__ import annotations

import click

from geo_heart.cli.options import pass_ctx


@click.group()
def data() -> None:
    """Check or fetch the data files the area configuration names."""


@data.command("check")
@pass_ctx
def check(obj) -> None:
    """List every configured layer, whether its file is in the data folder, and its size."""
    from geo_heart.io.fetch import layer_statuses

    ws = obj.workspace
    click.echo(f"area {ws.config.name} ({ws.config.path}); data folder {ws.settings.data_dir}")
    missing = 0
    for st in layer_statuses(ws):
        mark = "ok " if st.exists else "MISSING"
        missing += not st.exists
        size = f"{st.size_bytes / 1e6:8.2f} MB" if st.exists else " " * 11
        click.echo(f"  {mark:<7} {st.role:<15} {size}  {st.path}")
    if missing:
        raise click.ClickException(
            f"{missing} configured file(s) missing; `geo-heart data fetch` downloads those with an address"
        )


@data.command("fetch")
@click.option(
    "--layer", "roles", multiple=True, help="Only this layer role (repeatable), e.g. beats."
)
@click.option("--overwrite", is_flag=True, help="Download again even if the file exists.")
@pass_ctx
def fetch(obj, roles, overwrite) -> None:
    """Download official layers into the data folder (needs network access)."""
    from geo_heart.io.fetch import fetch_layers

    for st, outcome in fetch_layers(obj.workspace, roles=list(roles) or None, overwrite=overwrite):
        click.echo(f"  {st.role:<15} {outcome:<20} {st.path}")

"""``geo-heart data``: check the data folder, fetch official layers."""

from __future__ import annotations

import click

from geo_heart.cli.options import emit_json, json_option, pass_ctx


@click.group()
def data() -> None:
    """Check or fetch the data files the area configuration names."""


@data.command("check")
@json_option
@pass_ctx
def check(obj, as_json) -> None:
    """List every configured layer, whether its file is in the data folder, and its size."""
    from geo_heart.io.fetch import layer_statuses

    ws = obj.workspace
    statuses = list(layer_statuses(ws))
    if as_json:
        emit_json(
            {
                "area": ws.config.name,
                "area_file": str(ws.config.path),
                "data_dir": str(ws.settings.data_dir),
                "layers": [
                    {
                        "role": st.role,
                        "path": str(st.path),
                        "exists": bool(st.exists),
                        "size_bytes": st.size_bytes if st.exists else None,
                        "optional": st.optional,
                        "download_url": st.download_url,
                    }
                    for st in statuses
                ],
                "missing": sum(not st.exists and not st.optional for st in statuses),
                "optional_missing": sum(not st.exists and st.optional for st in statuses),
            }
        )
        if any(not st.exists and not st.optional for st in statuses):
            raise SystemExit(1)  # the JSON says which; the exit code says that something is
        return
    click.echo(f"area {ws.config.name} ({ws.config.path}); data folder {ws.settings.data_dir}")
    missing = 0
    for st in statuses:
        mark = "ok " if st.exists else "optional" if st.optional else "MISSING"
        missing += not st.exists and not st.optional
        size = f"{st.size_bytes / 1e6:8.2f} MB" if st.exists else " " * 11
        click.echo(f"  {mark:<8} {st.role:<15} {size}  {st.path}")
    if missing:
        raise click.ClickException(
            f"{missing} configured file(s) missing; `geo-heart data fetch` downloads those with an address"
        )


@data.command("fetch")
@click.option(
    "--layer", "roles", multiple=True, help="Only this layer role (repeatable), e.g. beats."
)
@click.option("--overwrite", is_flag=True, help="Download again even if the file exists.")
@click.option(
    "--all",
    "with_optional",
    is_flag=True,
    help="Also the optional layers (TIGER, OpenStreetMap …); --layer names them one by one.",
)
@json_option
@pass_ctx
def fetch(obj, roles, overwrite, with_optional, as_json) -> None:
    """Download official layers into the data folder (needs network access).

    Optional layers (``optional = true`` in the area file: TIGER/Line, the OpenStreetMap extract)
    are fetched only when named with --layer or with --all.
    """
    from geo_heart.io.fetch import fetch_layers

    done = []
    results = fetch_layers(
        obj.workspace, roles=list(roles) or None, overwrite=overwrite, optional=with_optional
    )
    for st, outcome in results:
        done.append({"role": st.role, "outcome": outcome, "path": str(st.path)})
        if not as_json:
            click.echo(f"  {st.role:<15} {outcome:<20} {st.path}")
    if as_json:
        emit_json({"layers": done})

"""``geo-heart index``: build or inspect the geocoder's reference index."""

from __future__ import annotations

import json

import click

from geo_heart.cli.options import json_option, pass_ctx


@click.group()
def index() -> None:
    """Build or inspect the geocoder's reference index (cached in the cache folder)."""


@index.command()
@click.option("--force", is_flag=True, help="Rebuild even if a cached index matches the inputs.")
@json_option
@pass_ctx
def build(obj, force, as_json) -> None:
    """Build the reference index from the area's layers and cache it."""
    import time

    from geo_heart.geocode.match import geocoder_for
    from geo_heart.geocode.reference import cache_path

    ws = obj.workspace
    t = time.perf_counter()
    g = geocoder_for(ws, rebuild=force)
    g.index.crossing_table()  # found on a lookup's first crossing; built and cached here too
    _road_report(ws, g.index)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "streets": len(g.index.streets),
                    "road_intersections": len(g.index.intersections),
                    "places": len(g.index.places),
                    "cache_file": str(cache_path(ws)),
                    "seconds": round(time.perf_counter() - t, 2),
                }
            )
        )
        return
    obj.say(
        f"geocode index: {len(g.index.streets):,} streets, "
        f"{len(g.index.intersections):,} road intersections, {len(g.index.places):,} places "
        f"-> {cache_path(ws)} ({time.perf_counter() - t:.1f} s)"
    )


@index.command()
@json_option
@pass_ctx
def info(obj, as_json) -> None:
    """Show what the cached reference index was built from."""
    from geo_heart.geocode.match import geocoder_for
    from geo_heart.geocode.reference import cache_path

    ws = obj.workspace
    g = geocoder_for(ws)
    _road_report(ws, g.index)
    data = {
        "cache_file": str(cache_path(ws)),
        "streets": len(g.index.streets),
        "streets_with_points": sum(1 for s in g.index.streets.values() if s.numbers is not None),
        "streets_with_history": sum(1 for s in g.index.streets.values() if s.history),
        "road_intersections": len(g.index.intersections),
        "history_intersections": len(g.index.pair_history),
        "places": len(g.index.places),
        "sources": g.index.sources,
    }
    if as_json:
        click.echo(json.dumps(data, default=str))
        return
    for k, v in data.items():
        if k != "sources":
            click.echo(f"{k:<24}{v}")
    for role, src in data["sources"].items():
        click.echo(f"{role:<24}" + ", ".join(f"{k}={v}" for k, v in src.items()))


def _road_report(ws, index) -> None:
    """Where road lines cross (a count these commands report; no lookup needs it)."""
    from geo_heart.geocode.reference import road_intersections

    if index.intersections is None:
        index.intersections = road_intersections(ws)

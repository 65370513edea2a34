"""``geo-heart lookup``: one dispatch lookup, by coordinates or by address."""

from __future__ import annotations

import json

import click

from geo_heart.cli.options import (
    at_option,
    call_type_option,
    json_option,
    pass_ctx,
    risk_option,
    scenario_option,
)
from geo_heart.errors import InputError


@click.command()
@click.argument("address", required=False)
@click.option("--lon", type=float, help="Longitude (WGS84).")
@click.option("--lat", type=float, help="Latitude (WGS84).")
@click.option(
    "--radius-m",
    type=float,
    help="With --lon/--lat: the location's uncertainty radius, metres (answers every beat the "
    "circle covers, with its share).",
)
@click.option(
    "--pidf",
    "pidf_file",
    type=click.Path(dir_okay=False, path_type=str),
    help="An NG9-1-1 caller location: a PIDF-LO XML file, or - for standard input (civic address "
    "and/or a point, circle, ellipse or polygon).",
)
@call_type_option
@at_option
@risk_option
@scenario_option
@json_option
@pass_ctx
def lookup(
    obj, address, lon, lat, radius_m, pidf_file, call_type, at, risk, scenario, as_json
) -> None:
    """Beat (or the area's unit), service-area membership and program eligibility for ADDRESS,
    --lon/--lat (with an optional --radius-m) or a PIDF-LO caller location (--pidf).

    \b
    Examples:
      geo-heart lookup --lon -78.9016 --lat 35.9960 --call-type trespass --at 2024-06-01T11:00
      geo-heart lookup "200 PACIFIC AVE" --call-type "MENTAL HE" --json
      geo-heart lookup --lon -78.9016 --lat 35.9960 --radius-m 250
      geo-heart lookup --pidf caller.xml --call-type trespass
    """
    import math

    for name, value, limit in (("--lon", lon, 180), ("--lat", lat, 90)):
        if value is not None and not (math.isfinite(value) and -limit <= value <= limit):
            raise InputError(
                f"{name} {value!r} is not a WGS84 coordinate (a number in -{limit}..{limit})"
            )
    ws = obj.workspace
    if at is not None:
        from geo_heart.dispatch.eligibility import parse_time

        try:
            at = parse_time(at, ws.config.timezone)
        except InputError as exc:
            raise InputError(f"--at: {exc}") from None
    if address is not None and (lon is not None or lat is not None):
        raise click.UsageError("give an ADDRESS or --lon/--lat, not both")
    kw = {"call_type": call_type, "at": at, "risk": risk, "scenario": scenario}
    if pidf_file is not None:
        if address is not None or lon is not None or lat is not None or radius_m is not None:
            raise click.UsageError("give --pidf alone (no ADDRESS, --lon/--lat or --radius-m)")
        from geo_heart.dispatch.pidf import read_pidf
        from geo_heart.dispatch.shape_lookup import lookup_pidf

        try:
            result = lookup_pidf(ws, read_pidf(pidf_file), **kw)
        except InputError as exc:
            text = str(exc)
            raise InputError(f"{pidf_file}: {text}" if pidf_file not in text else text) from None
    elif radius_m is not None:
        if lon is None or lat is None:
            raise click.UsageError("--radius-m needs --lon and --lat")
        if not (math.isfinite(radius_m) and radius_m >= 0):
            raise InputError(f"--radius-m {radius_m!r} is not a distance in metres (0 or more)")
        from geo_heart.dispatch.shape_lookup import lookup_shape
        from geo_heart.geo.shapes import Shape

        result = lookup_shape(ws, Shape.circle(lon, lat, radius_m), **kw)
    elif address is None:
        if lon is None or lat is None:
            raise click.UsageError("give an ADDRESS, or both --lon and --lat")
        from geo_heart.dispatch.lookup import lookup_point

        result = lookup_point(
            ws, lon, lat, call_type=call_type, at=at, risk=risk, scenario=scenario
        )
    else:
        from geo_heart.dispatch.lookup import lookup_address

        result = lookup_address(
            ws, address, call_type=call_type, at=at, risk=risk, scenario=scenario
        )
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        cfg = ws.config
        click.echo(render_card(result, labels=cfg.beats.labels, service_name=cfg.service_name))


def render_card(
    r: dict, *, labels: dict[str, str] | None = None, service_name: str = "the service"
) -> str:
    """A short, plain text answer card for a terminal.

    ``labels`` names the units (``{"unit": "district", "group": "precinct"}``; default beat /
    district), ``service_name`` the programs together ("PSR").
    """
    words = {"unit": "beat", "group": "district", **(labels or {})}
    unit, group = words["unit"], words["group"]
    head = f"{unit.capitalize() + ':':<11}"
    none_text = f"no {service_name} program"
    lines = []
    status = r.get("status")
    if status in ("ambiguous", "approximate"):
        # the first line a call-taker reads says the answer is not sure
        lines.append(f"{status.upper()}: not sure of the place - confirm with the caller")
    if r.get("match_type") is not None:
        lines.append(
            f"Location:  {r.get('matched_address') or '(no match)'}  "
            f"[{r.get('match_type')}, score {r.get('score') or 0:.2f}]"
        )
    lines.extend(_shape_lines(r, unit))
    for i, c in enumerate(r.get("candidates") or [], start=1):
        sa = {True: "IN", False: "not in", None: "?"}[c.get("in_service_area")]
        progs = ", ".join(c.get("programs") or []) or none_text
        place = c.get("matched_address")
        if place is None and c.get("match_type") == "shape":
            place = f"{100 * (c.get('share') or 0):.0f}% of the shape:"
        lines.append(f"  {i}. {place}  {unit} {c.get('beat') or '?'} ({sa}) - {progs}")
    shaped = (r.get("shape") or {}).get("kind") not in (None, "point")  # the centre is shown
    if r.get("lon") is not None and r.get("lat") is not None and not shaped:
        lines.append(f"Point:     {r['lon']:.6f}, {r['lat']:.6f}")
    if r.get("status") == "approximate":
        beats = {c.get("beat") for c in r.get("candidates") or [] if c.get("beat")}
        beats |= set(r.get("straddle_beats") or ())  # every beat within the radius
        lines.append(
            f"{head}{r.get('beat') or 'not known'} - approximate ({len(beats)} possible "
            f"{unit}{'s' if len(beats) != 1 else ''}): confirm with the caller ({r.get('reason', '')})"
        )
    elif r.get("status") in ("unknown", "invalid") or (
        r.get("status") == "ambiguous" and not r.get("beat")
    ):
        what = "several places fit" if r.get("status") == "ambiguous" else "location not determined"
        lines.append(f"{head}unknown - {what}: ask the caller ({r.get('reason', '')})")
    elif r.get("beat") and status == "ambiguous":
        lines.append(f"{head}{r['beat']} ({group} {r.get('district') or '?'}) - ambiguous: "
                     "most likely, not sure; confirm with the caller")  # fmt: skip
    elif r.get("beat"):
        sa = "IN" if r["in_service_area"] else "NOT in"
        lines.append(
            f"{head}{r['beat']} ({group} {r.get('district') or '?'}) - {sa} the "
            f"{r['service_area']} service area"
        )
    else:
        lines.append(f"{head}none - {r.get('reason', '')}")
    if r.get("reason") and r.get("beat"):
        lines.append(f"Note:      {r['reason']}")
    ct = r.get("call_type")
    ct_text = (
        f"{ct['label'] or 'not in the call-type table'} ({ct['raw']})"
        f"{' - weapon/violence' if ct['risk'] else ''}"
        if ct
        else "not given"
    )
    lines.append(f"Call type: {ct_text}")
    lines.append(f"Time:      {r['local_time']} {r['timezone']}")
    progs = r["programs"]
    sure = (
        ""
        if status not in ("ambiguous", "approximate") or not progs
        else " (if the place is right)"
    )
    # programs that hold in some of the possible places: never stated as "no program"
    maybe = [c for c, why in r["reasons"].items() if str(why).startswith("depends on where")]
    if not progs and maybe and status in ("ambiguous", "approximate"):
        lines.append(
            f"Eligible:  not sure - depends on where: {', '.join(maybe)} possible "
            "(confirm the place)"
        )
    else:
        lines.append(f"Eligible:  {', '.join(progs) if progs else none_text}{sure}")
    for code, why in r["reasons"].items():
        verdict = "?" if code in maybe else "no"
        lines.append(f"  {code:<4} {verdict + ':':<3} {why}")
    for note in r.get("notes", []):
        lines.append(f"Note:      {note}")
    return "\n".join(lines)


def _shape_lines(r: dict, unit: str) -> list[str]:
    """The caller-location shape and each beat's share of it (``--radius-m``, ``--pidf``)."""
    shape = r.get("shape")
    lines = []
    if (r.get("pidf") or {}).get("civic_text"):
        used = r["pidf"].get("used")
        lines.append(f"Civic:     {r['pidf']['civic_text']}  [{'used' if used != 'geodetic' else 'not used'}]")
    if not shape:
        return lines
    kind = shape["kind"]
    size = {
        "circle": f"radius {shape.get('radius_m') or 0:,.0f} m",
        "ellipse": f"{shape.get('semi_major_m') or 0:,.0f} x {shape.get('semi_minor_m') or 0:,.0f} m, "
        f"bearing {shape.get('orientation_deg') or 0:g} deg",
    }.get(kind, "")
    area = f"area {shape['area_m2'] / 1e6:.3f} km2" if shape.get("area_m2") else ""
    lines.append(
        f"Shape:     {kind}{' ' + size if size else ''}{', ' + area if area else ''}"
        f"  (centre {shape['lon']:.6f}, {shape['lat']:.6f})"
    )
    shares = [f"{s['beat']} {100 * s['share']:.1f}%" for s in shape.get("shares") or []]
    if shape.get("outside_share", 0) >= 0.0005:
        shares.append(f"outside {100 * shape['outside_share']:.1f}%")
    if shares and kind != "point":
        lines.append(f"Shares:    {'; '.join(shares)}  ({unit} needs {100 * shape['ok_share']:.0f}% for ok)")
    return lines

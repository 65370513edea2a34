"""``geo-heart rules``: the timeline of program rules (dated rule sets) of the area file."""

from __future__ import annotations

import json
from datetime import date, timedelta

import click

from geo_heart.cli.options import json_option, pass_ctx


def timeline_records(area) -> list[dict]:
    """One record per rule period: dates, rule set, and each program's area, hours and status."""
    out = []
    for period in area.timeline.periods:
        rs = period.rule_set
        sa = area.service_area_under(rs)
        programs = {}
        for code, p in period.programs.items():
            o = rs.programs.get(code)
            programs[code] = {
                "active": p.active,
                "service_area": p.service_area if p.active else None,
                "hours": p.hours.describe() if p.active else None,
                "call_types": sorted(p.call_types) if p.active else [],
                "risk_call_types": sorted(p.risk_call_types) if p.active else [],
                "inactive_reason": p.inactive_reason or None,
                "assumed": bool(o and o.assumed),
                "source": o.source if o else None,
                "note": o.note if o else None,
            }
        out.append(
            {
                **rs.as_dict(),
                "period_from": None if period.start is None else period.start.isoformat(),
                "period_to": None if period.end is None else period.end.isoformat(),
                "service_area": None if sa is None else sa.key,
                "assumed": rs.assumed,
                "source": rs.source,
                "note": rs.note,
                "synthetic": rs.synthetic,
                "programs": programs,
            }
        )
    return out


def timeline_text(area, records: list[dict]) -> str:
    """The timeline as readable text, newest last; assumptions marked with '*'."""
    lines = [f"{area.name}: program rules over time (local dates, {area.timezone})"]
    for r in records:
        a, b = r["period_from"], r["period_to"]
        if b is not None:  # show the last day, inclusive
            b = (date.fromisoformat(b) - timedelta(days=1)).isoformat()
        span = f"{a or '...':<10} to {b or '...':<10}" if (a or b) else "always (undated)        "
        lines.append("")
        lines.append(f"{span}  {r['label']} [{r['name']}]" + ("  *assumed" if r["assumed"] else ""))
        if r["note"]:
            lines.append(f"    {r['note']}")
        if r["source"]:
            lines.append(f"    source: {r['source']}")
        if r["synthetic"]:
            continue
        lines.append(f"    service area (lookups): {r['service_area']}")
        for code, p in r["programs"].items():
            mark = " *" if p["assumed"] else ""
            if not p["active"]:
                lines.append(f"    {code:<4} not operating: {p['inactive_reason']}")
                continue
            lines.append(f"    {code:<4} {p['service_area']:<10} {p['hours']}{mark}")
            if p["assumed"] and p["source"]:
                lines.append(f"           source: {p['source']}")
            if p["note"]:
                lines.append(f"           note: {p['note']}")
    lines.append("")
    lines.append("* assumed: not published; correct it in the area file ([[rules]]).")
    return "\n".join(lines) + "\n"


@click.command()
@json_option
@pass_ctx
def rules(obj, as_json) -> None:
    """Print the timeline of program rules: which rule set was in force when, per program.

    \b
    Examples:
      geo-heart rules
      geo-heart rules --json
    """
    area = obj.workspace.config
    records = timeline_records(area)
    if as_json:
        click.echo(json.dumps({"area": area.name, "timezone": area.timezone, "periods": records}))
    else:
        click.echo(timeline_text(area, records), nl=False)

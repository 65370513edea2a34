"""Tables and charts of a staffing analysis. Chart functions return a matplotlib ``Figure`` and
never save; :func:`write_outputs` writes everything into a folder."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from geo_heart.config.schedule import DAY_NAMES
from geo_heart.staffing.analysis import StaffingResult

log = logging.getLogger(__name__)


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def chart_by_hour(result: StaffingResult):
    """Demand, teams and answered share by hour of the week (three stacked panels)."""
    t = result.hour_table()
    x = t["hour_of_week"].to_numpy()
    fig = _figure(12, 7.5)
    ax1, ax2, ax3 = fig.subplots(3, 1, sharex=True)
    svc = t["in_service"].to_numpy()
    for ax in (ax1, ax2, ax3):
        ax.fill_between(
            x,
            0,
            1,
            where=svc,
            step="post",
            color="#e8f0fa",
            transform=ax.get_xaxis_transform(),
            label=None,
        )
        for d in range(1, 7):
            ax.axvline(d * 24, color="#999999", lw=0.6)
        ax.grid(axis="y", color="#dddddd", lw=0.6)
    ax1.step(x, t["arrivals_per_week"], where="post", color="#1f4e79", lw=1.3)
    ax1.set_ylim(bottom=0)
    ax1.set_ylabel("eligible calls\nper hour (avg week)")
    ax1.set_title(
        f"{result.demand.program}: demand, teams and answered share by hour of the week "
        f"(shaded: service hours; service time {result.service.describe()})",
        fontsize=10,
    )
    ax2.step(x, t["teams"], where="post", color="#2e7d32", lw=1.5, label="teams on duty")
    ax2.plot(
        x + 0.5,
        t["offered_load_erlangs"],
        color="#c77c02",
        lw=1.0,
        label="offered load (Erlangs, MOL)",
    )
    ax2.set_ylabel("teams / Erlangs")
    ax2.legend(loc="upper left", fontsize=8, ncols=2)
    ax3.plot(
        x + 0.5,
        100 * t["answered_share_analytic"],
        color="#1f4e79",
        lw=1.3,
        label="analytic (Erlang-B, MOL)",
    )
    ax3.plot(
        x + 0.5,
        100 * t["answered_share_sim"],
        ".",
        ms=3,
        color="#c62828",
        label="simulation (SimPy)",
    )
    ax3.set_ylim(0, 105)
    ax3.set_ylabel("calls answered (%)")
    ax3.legend(loc="lower left", fontsize=8, ncols=2)
    ax3.set_xlim(0, 168)
    ax3.set_xticks(np.arange(0, 169, 6))
    ax3.set_xticklabels(
        [
            f"{DAY_NAMES[(h // 24) % 7]}\n{h % 24:02d}" if h % 24 == 0 else f"{h % 24:02d}"
            for h in range(0, 169, 6)
        ],
        fontsize=7,
    )
    ax3.set_xlabel("hour of the week (local time, Mon 00:00 = 0)")
    return fig


def chart_curve(result: StaffingResult):
    """Team-hours per week against answered share (the staffing curve), with the plan marked."""
    c = result.curve_table()
    fig = _figure(7.5, 4.8)
    ax = fig.subplots()
    ax.plot(
        c["team_hours_per_week"],
        100 * c["answered_share"],
        color="#1f4e79",
        lw=1.5,
        label="fewest team-hours (greedy, analytic)",
    )
    ev = result.main
    label = "plan for target" if result.plan is not None else "given staffing"
    ax.plot(
        [ev.team_hours_per_week],
        [100 * ev.mol.answered_share],
        "o",
        color="#c62828",
        label=f"{label}: {ev.team_hours_per_week} team-h, {100 * ev.mol.answered_share:.1f}%",
    )
    if result.plan is not None and result.given is not None:
        g = result.given
        ax.plot(
            [g.team_hours_per_week],
            [100 * g.mol.answered_share],
            "s",
            color="#2e7d32",
            label=f"given staffing: {g.team_hours_per_week} team-h, {100 * g.mol.answered_share:.1f}%",
        )
    ax.set_xlabel("team-hours on duty per week")
    ax.set_ylabel("calls in service hours answered (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(left=0)
    ax.grid(color="#dddddd", lw=0.6)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(
        f"{result.demand.program} staffing curve ({result.demand.calls_per_year:,.0f} eligible calls/year, {int(result.demand.service_hours.sum())} service hours/week)",
        fontsize=10,
    )
    return fig


def write_outputs(result: StaffingResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``staffing_by_hour.csv``, ``staffing_curve.csv``, ``staffing_by_hour.png`` and
    ``staffing_curve.png`` (and ``staffing_plan.csv`` with a plan) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    from geo_heart.io.files import save_figure, write_text_file

    p = out / "staffing_by_hour.csv"
    write_text_file(p, result.hour_table().to_csv(index=False, float_format="%.6g"))
    written["by_hour_csv"] = p
    p = out / "staffing_curve.csv"
    write_text_file(p, result.curve_table().to_csv(index=False, float_format="%.6g"))
    written["curve_csv"] = p
    if result.plan is not None:
        import pandas as pd

        p = out / "staffing_plan.csv"
        plan = pd.DataFrame(
            [
                {
                    "day": DAY_NAMES[b.start_hour // 24],
                    "start": f"{b.start_hour % 24:02d}:00",
                    "end": f"{(b.start_hour + b.length) % 24:02d}:00",
                    "hours": b.length,
                    "teams": n,
                }
                for b, n in result.plan.blocks
            ]
        )
        write_text_file(p, plan.to_csv(index=False))
        written["plan_csv"] = p
    for name, fn in (("by_hour_png", chart_by_hour), ("curve_png", chart_curve)):
        p = out / f"staffing_{name.removesuffix('_png')}.png"
        save_figure(fn(result), p)
        written[name] = p
    log.info("wrote %s", ", ".join(str(v) for v in written.values()))
    return written

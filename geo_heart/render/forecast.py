"""The forecast chart (history and the forecast fan) and the files ``geo-heart forecast -o DIR``
writes. :func:`forecast_chart` returns a matplotlib ``Figure`` and never saves."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from geo_heart.analysis.forecast import ForecastResult

log = logging.getLogger(__name__)


def forecast_chart(result: ForecastResult, *, title: str = ""):
    """One panel per program: the monthly counts fitted on, the forecast mean and its 80% and
    95% intervals (city level); the count axis starts at zero."""
    from matplotlib.figure import Figure

    programs = result.programs
    n = max(1, len(programs))
    fig = Figure(figsize=(10, 2.6 * n + 0.6), dpi=110, layout="constrained")
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    hist = result.history
    for ax, p in zip(axes, programs, strict=False):
        h = hist[hist["program"] == p]
        hx = pd.to_datetime(h["month"] + "-01")
        ax.plot(hx, h["observed"], color="#1f4e79", lw=1.4, label="counted")
        if (h["observed"] != h["count"]).any():
            ax.plot(hx, h["count"], color="#1f4e79", lw=1.0, ls=":", label="level-shift adjusted")
        c = result.city[result.city["program"] == p]
        cx = pd.to_datetime(c["month"] + "-01")
        ax.fill_between(cx, c["lo95"], c["hi95"], color="#f4b183", alpha=0.45, lw=0, label="95%")
        ax.fill_between(cx, c["lo80"], c["hi80"], color="#e07b39", alpha=0.55, lw=0, label="80%")
        ax.plot(cx, c["mean"], color="#a0410d", lw=1.6, label=f"forecast ({c['model'].iat[0]})")
        if result.backtest is not None:
            bt = result.backtest.table
            b = bt[(bt["program"] == p) & (bt["beat"] == "city")]
            ax.plot(
                pd.to_datetime(b["month"] + "-01"),
                b["actual"],
                "o",
                ms=3.5,
                color="#222222",
                label="actual (backtest)",
            )
        ax.set_ylim(bottom=0)
        ax.set_ylabel(f"{p}\n{result.units} / month", fontsize=9)
        ax.grid(axis="y", color="#dddddd", lw=0.6)
        ax.legend(loc="lower left", fontsize=7, ncols=6)
    what = "backtest from " + result.backtest.start if result.backtest is not None else "forecast"
    fig.suptitle(
        title or f"{result.units.capitalize()} by month: history and {what} (citywide)",
        fontsize=11,
    )
    return fig


def write_forecast_outputs(result: ForecastResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``forecast.csv`` (the table), ``forecast_city.csv`` (by beat only),
    ``history.csv``, ``backtest.csv`` (with a backtest), ``forecast.json`` and ``forecast.png``.

    Returns name → path of what was written.
    """
    from geo_heart.io.files import atomic_write

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}

    def csv(name: str, table: pd.DataFrame) -> None:
        path = out / f"{name}.csv"
        with atomic_write(path) as tmp:
            table.to_csv(tmp, index=False, float_format="%.3f")
        written[name] = path

    csv("forecast", result.table)
    if result.by == "beat":
        csv("forecast_city", result.city)
    csv("history", result.history)
    if result.backtest is not None and len(result.backtest.table):
        csv("backtest", result.backtest.table)
    path = out / "forecast.json"
    with atomic_write(path) as tmp:
        Path(tmp).write_text(json.dumps(result.to_dict(), indent=1), encoding="utf-8")
    written["json"] = path
    if result.programs:
        fig = forecast_chart(result)
        path = out / "forecast.png"
        with atomic_write(path) as tmp:
            fig.savefig(tmp, format="png")
        written["chart"] = path
    return written

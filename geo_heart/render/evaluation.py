"""Written outputs of ``geo-heart evaluate``: the panel, the event study, the JSON answer and the
event-study chart."""

from __future__ import annotations

import json
from pathlib import Path

from geo_heart.io.tables import write_table


def event_study_chart(result, path: str | Path) -> Path:
    """PNG of the event study: the effect by event time (relative change, %) with its 95%
    interval, a zero line and the start marked. Returns the path written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    t = result.event_table
    d = result.design
    fig, ax = plt.subplots(figsize=(8, 4.5))
    # each bin drawn at its middle month (a bin starts at rel_month and holds 3 months)
    width = (
        int(result.event_study[1]["months"][1] - result.event_study[1]["months"][0] + 1)
        if len(result.event_study) > 1
        else 1
    )
    x = t["rel_month"].to_numpy() + (width - 1) / 2
    y = 100 * t["effect"].to_numpy()
    lo = 100 * t["ci_low"].to_numpy()
    hi = 100 * t["ci_high"].to_numpy()
    pre = t["rel_month"].to_numpy() < 0
    for mask, color, label in ((pre, "#7f7f7f", "before the start"), (~pre, "#2166ac", "after")):
        ax.errorbar(
            x[mask],
            y[mask],
            yerr=[y[mask] - lo[mask], hi[mask] - y[mask]],
            fmt="o",
            color=color,
            capsize=3,
            label=label,
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="#b2182b", lw=1, ls="--", label=f"start {d.start}")
    ax.set_xlabel(
        "months relative to the start (3-month bins; reference: the bin before; end bins pool the rest)"
    )
    ax.set_ylabel("change in targeted incident reports (%)")
    pre_p = result.pre_trend_p
    ax.set_title(
        f"{d.program}: {len(d.treated)} treated vs {len(d.controls)} control beats"
        + (f" (pre-trend test p = {pre_p:.2f})" if pre_p is not None else ""),
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_evaluation(result, out_dir: str | Path) -> dict[str, Path]:
    """Write ``evaluation_panel.csv`` (beat × month counts in the window), ``event_study.csv``,
    ``evaluation.json`` and ``event_study.png`` to ``out_dir``; return name → path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    cols = ["beat", "month", "targeted", "placebo", "total", "treated", "post", "rel"]
    written["panel"] = write_table(result.panel[cols], out / "evaluation_panel.csv")
    written["event_study"] = write_table(result.event_table, out / "event_study.csv")
    p = out / "evaluation.json"
    p.write_text(
        json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    written["json"] = p
    written["chart"] = event_study_chart(result, out / "event_study.png")
    return written

"""Before/after chart: the share of eligible calls each rule period covered, by area, hours and both."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

PERIOD_COLORS = ("#9e9e9e", "#e08214", "#2166ac", "#1b7837", "#762a83")


def period_chart(table: pd.DataFrame, path: str | Path, *, min_eligible: int = 20) -> Path:
    """Write a PNG of :func:`~geo_heart.analysis.coverage.rules_coverage_table`.

    Three panels (in the service area, in hours, both = covered); in each, one bar per program and
    rule period (synthetic periods such as "Before HEART" are left out: nothing was covered).
    Programs with fewer than ``min_eligible`` eligible calls in every period are left out.

    When no call was covered in any period (a table of calls from before the program, or only
    at hours it never ran), the chart says so instead of drawing empty panels.

    Returns the path written.
    """
    from matplotlib.figure import Figure  # not pyplot: no backend or figure manager (~0.1 s)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    t = table[table["in_area"].notna()].copy()
    real = [r for r in t["rules"].unique() if (t.loc[t["rules"] == r, "covered"].sum() > 0)]
    if not real:
        return _nothing_covered_chart(path)
    t = t[t["rules"].isin(real)]
    labels = {
        r["rules"]: f"{r['label']} ({r['first_call']} to {r['last_call']})"
        for _i, r in t.drop_duplicates("rules").iterrows()
    }
    keep = t.groupby("program", sort=False)["eligible"].max()
    programs = [p for p, n in keep.items() if n >= min_eligible] or list(keep.index)
    t = t[t["program"].isin(programs)]
    panels = (
        ("share_in_area", "in the service area"),
        ("share_in_hours", "within hours"),
        ("share_covered", "covered (area and hours)"),
    )
    fig = Figure(figsize=(12, 4.2))
    axes = fig.subplots(1, 3, sharey=True)
    width = 0.8 / max(len(real), 1)
    for ax, (col, title) in zip(axes, panels, strict=True):
        for j, name in enumerate(real):
            g = t[t["rules"] == name].set_index("program").reindex(programs)
            xs = [i + (j - (len(real) - 1) / 2) * width for i in range(len(programs))]
            label = labels[name]
            vals = g[col].fillna(0).to_numpy(dtype=float) * 100
            bars = ax.bar(
                xs, vals, width=width * 0.95, color=PERIOD_COLORS[(j + 1) % 5], label=label
            )
            for b, v in zip(bars, vals, strict=True):
                ax.text(b.get_x() + b.get_width() / 2, v + 1, f"{v:.0f}", ha="center", fontsize=7)
        ax.set_xticks(range(len(programs)), programs)
        ax.set_title(title, fontsize=10)
        ax.set_ylim(0, 110)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("% of calls eligible by type")
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=len(real), fontsize=8, frameon=False)
    else:  # no period covered any call (calls before the programs, or hours not judged)
        fig.text(
            0.5, 0.03, "No rule period covered any call in these data", ha="center", fontsize=9
        )
    fig.suptitle(
        "Share of type-eligible calls each period's rules covered (each call under its own "
        "period's rules)",
        fontsize=11,
    )
    from geo_heart.io.files import save_figure
    from geo_heart.render.static import tight_layout_once

    tight_layout_once(fig, rect=(0, 0.08, 1, 0.95))

    save_figure(fig, path, dpi=120)
    return path


def _nothing_covered_chart(path: Path) -> Path:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 2.2))
    ax = fig.subplots()
    ax.axis("off")
    ax.text(
        0.5,
        0.5,
        "No call in this table was covered in any rule period: the calls fall before the\n"
        "programs began, or outside their areas or hours. Nothing to compare.",
        ha="center",
        va="center",
        fontsize=11,
    )
    from geo_heart.io.files import save_figure

    save_figure(fig, path, dpi=120)
    return path


def periods_sentence(
    table: pd.DataFrame, service_name: str = "the service", overall: dict | None = None
) -> str:
    """One sentence comparing the rule periods' coverage, naming the periods.

    E.g. "Under the HEART pilot (12 beats) rules (calls 2022-06-27 to 2023-10-22) HEART covered
    12.3% of the calls eligible by type (CRT 17.0%, CoR 10.1%); under the HEART citywide rules
    (2023-10-23 to 2024-12-31) 70.8% (CRT 52.1%, CoR 77.2%)."
    """
    parts = []
    for _name, g in table.groupby("rules", sort=False):
        if g["covered"].sum() == 0:
            continue
        row = g.iloc[0]
        n = int(g["eligible"].sum())
        share = g["covered"].sum() / n if n else 0.0
        if overall and _name in overall and overall[_name] is not None:
            # one definition with the report's first page: a call two programs take counts once
            share = overall[_name]
        per = ", ".join(
            f"{r.program} {r.share_covered:.1%}"
            for r in g.itertuples()
            if r.eligible >= 20 and r.share_covered == r.share_covered
        )
        parts.append((row["label"], row["first_call"], row["last_call"], share, per))
    if not parts:
        return f"No call in the table fell in a period when {service_name} operated."
    texts = []
    for i, (label, a, b, share, per) in enumerate(parts):
        lead = f"{service_name} covered " if i == 0 else ""
        texts.append(
            f"under the {label} rules (calls {a} to {b}) {lead}{share:.1%} of the calls eligible "
            f"by type ({per})"
        )
    text = "; ".join(texts)
    return text[0].upper() + text[1:] + "."


def period_png(ws, table: pd.DataFrame, *, min_eligible: int = 20) -> bytes:
    """PNG bytes of :func:`period_chart` for ``table``, drawn once per area and table content.

    ``map`` writes the chart beside ``coverage_by_period.csv`` and embeds the same chart in the
    report; drawing it once saves a figure layout and encode (~0.3 s).
    """
    import hashlib
    import tempfile

    h = hashlib.sha1(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
    h.update(repr((list(table.columns), min_eligible)).encode())

    def build() -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            return period_chart(table, Path(tmp) / "p.png", min_eligible=min_eligible).read_bytes()

    return ws.cached(("period_chart_png", h.hexdigest()), build)

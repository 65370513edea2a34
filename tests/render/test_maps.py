"""Hot spots, the interactive map (rendered in headless Chromium), static PNGs and the report."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from geo_heart.analysis.calls import load_calls
from geo_heart.analysis.demand import beat_demand
from geo_heart.analysis.hotspots import hotspots
from geo_heart.errors import InputError


@pytest.fixture(scope="module")
def durham_calls(workspace):
    return load_calls(workspace)


@pytest.fixture(scope="module")
def beat_table(workspace, durham_calls):
    return beat_demand(workspace, durham_calls)


@pytest.fixture(scope="module")
def hot(workspace, durham_calls):
    return hotspots(workspace, durham_calls)


@pytest.fixture(scope="module")
def map_html(workspace, beat_table, hot):
    from geo_heart.render.maps import demand_map, html_from_map

    m = demand_map(workspace, beat_table, metric="rate", hot=hot, title="Test map")
    return m, html_from_map(m)


def _pixels(path):
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _count_color(px, hex_color, tol=12):
    rgb = np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(px.astype(int) - rgb).max(axis=2) <= tol).sum())


# ------------------------------------------------------------------ hot spots
@pytest.mark.slow
def test_hotspots_on_durham(hot, workspace, durham_calls):
    b = hot.beats
    special = set(workspace.config.beats.special)
    assert len(b) == len(workspace.beat_index.beats) - len(special)
    assert not set(b["beat"]) & special
    assert ((b["p_sim"] > 0) & (b["p_sim"] <= 1)).all()
    hot_rows = b[b["hotspot"].str.startswith("hot")]
    assert (hot_rows["gi_z"] > 0).all() and (hot_rows["p_fdr"] <= 0.10).all()
    assert (b["p_fdr"] >= b["p_sim"] - 1e-9).all()  # the FDR correction never lowers p
    # the incident table carries only a beat: no modelled hexagons, and the result says why
    assert hot.hexagons is None and "only a beat" in hot.hex_note


def test_hotspots_find_a_planted_cluster(workspace, tmp_path):
    cluster = ["111", "112", "113", "114", "122"]
    rows = []
    for b in workspace.beat_index.beats:
        n = 60 if b in cluster else 2
        rows += [("CRT - TRESPASS", "2023/06/05 15:00:00+00", b)] * n
    pd.DataFrame(rows, columns=["REPORTEDAS", "DATE_REPT", "BEAT"]).to_csv(
        tmp_path / "c.csv", index=False
    )
    data = load_calls(workspace, tmp_path / "c.csv")
    res = hotspots(workspace, data, hexagons=False)
    classes = res.beats.set_index("beat")["hotspot"]
    assert sum(classes[b].startswith("hot") for b in cluster) >= 3
    assert not any(
        classes.drop(cluster).str.startswith("hot") & (classes.drop(cluster) == "hot 99%")
    )


# ------------------------------------------------------------------ interactive map
@pytest.mark.slow
def test_interactive_map_layers(map_html, workspace):
    import folium

    m, html = map_html
    assert isinstance(m, folium.Map)
    for name in (
        "Eligible demand by beat (eligible calls per 1,000 residents)",
        "HEART pilot service area (12 beats) (outline)",
    ):
        assert name in html, name
    assert "H3 hexagon" not in html  # beat-only calls: no hexagon layers
    assert "L.control.layers" in html and 'id="geo-heart-legend"' in html
    assert "no data (special code or no residents)" in html
    assert html.count("geo_json_") >= 3
    assert "tooltip" in html.lower()
    assert not any(isinstance(c, folium.TileLayer) for c in m._children.values())  # no tiles
    assert "Eligible calls (points" not in html  # aggregate by default
    assert len(html.encode()) < 5_000_000


def test_points_need_explicit_coordinates(workspace, tmp_path):
    from geo_heart.render.maps import demand_map

    pd.DataFrame(
        {"REPORTEDAS": ["TRESPASS"], "DATE_REPT": ["2023/06/05 15:00:00+00"], "BEAT": ["111"]}
    ).to_csv(tmp_path / "c.csv", index=False)
    data = load_calls(workspace, tmp_path / "c.csv")
    table = beat_demand(workspace, data, population=False)
    with pytest.raises(InputError, match="--points needs calls with coordinates"):
        demand_map(workspace, table, metric="count", data=data, points=True)
    with pytest.raises(InputError, match="map metric 'bogus'"):
        demand_map(workspace, table, metric="bogus")


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.slow
@pytest.mark.browser
def test_interactive_map_renders_in_headless_chromium(map_html, tmp_path):
    from geo_heart.render.maps import HOT_COLORS

    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium binary on PATH (apt-get install chromium)")
    _m, html = map_html
    assert "cdn.jsdelivr.net/npm/leaflet" not in html  # inlined
    page = tmp_path / "map.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp_path / "map.png"
    cmd = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,900",
        "--virtual-time-budget=8000", "--hide-scrollbars", f"--screenshot={shot}", page.as_uri(),
    ]  # fmt: skip
    subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    assert shot.exists(), "chromium wrote no screenshot"
    px = _pixels(shot)
    assert px.shape[:2] == (900, 1200)
    # not blank: many distinct colours, and the choropleth's colours are on screen
    assert len(np.unique(px.reshape(-1, 3), axis=0)) > 50
    from geo_heart.render.maps import class_colors

    painted = sum(_count_color(px, c, tol=40) for c in class_colors(5))
    assert painted > 20_000, f"only {painted} choropleth pixels"
    # the beat hot-spot outline colour appears (drawn on by default)
    assert (
        sum(_count_color(px, c, tol=30) for c in (HOT_COLORS["hot 95%"], HOT_COLORS["cold 95%"]))
        > 50
    )


# ------------------------------------------------------------------ static maps and report
@pytest.mark.slow
def test_static_beat_map_png(workspace, beat_table, tmp_path):
    from geo_heart.render.maps import class_colors, static_beat_map

    fig = static_beat_map(workspace, beat_table, metric="count")
    out = tmp_path / "beats.png"
    fig.savefig(out)
    px = _pixels(out)
    assert px.shape[0] > 500 and px.shape[1] > 500
    # the beats are drawn in the class colours, with a lot of area
    painted = sum(_count_color(px, c, tol=6) for c in class_colors(5))
    assert painted > 50_000
    ax = fig.axes[0]
    assert "by police beat" in ax.get_title()
    texts = {t.get_text() for t in ax.texts}
    assert {"N", "0"} <= texts and any(t.endswith(" mi") for t in texts)  # north arrow, scale
    assert {"111", "423"} <= texts  # beat labels
    assert ax.get_legend() is not None


def test_map_cli_writes_everything(cli_env, tmp_path):
    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    rows = [
        ("CRT - TRESPASS", "2023/06/05 15:00:00+00", b) for b in ["111", "121", "223", "421"] * 5
    ]
    pd.DataFrame(rows, columns=["REPORTEDAS", "DATE_REPT", "BEAT"]).to_csv(
        tmp_path / "c.csv", index=False
    )
    out = tmp_path / "maps"
    r = CliRunner().invoke(
        cli, ["map", str(tmp_path / "c.csv"), "--out", str(out), "--metric", "count", "--json"],
        catch_exceptions=False,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert not (out / "demand_by_hexagon.png").exists()  # beat-only calls: no hexagon map
    for name in ("demand_map.html", "report.html", "demand_by_beat.png",
                 "hotspots_beats.png", "demand_by_hour.png", "demand_by_month.png",
                 "demand_by_beat.csv", "coverage.csv", "hotspots_beats.csv"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    report = (out / "report.html").read_text()
    assert "Coverage" in report and "data:image/png;base64" in report
    assert 'href="demand_map.html"' in report
    beat = pd.read_csv(out / "demand_by_beat.csv", dtype={"beat": str}).set_index("beat")
    assert beat.loc["111", "eligible_CRT"] == 5

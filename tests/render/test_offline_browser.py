"""Every HTML file the map and expand commands write, opened in headless Chromium with the network
blocked (Playwright aborts any request that is not ``file:`` or ``data:``): the maps draw their
polygons, the report shows its figures, and nothing was fetched from outside."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]


#: JS: the folium map object, its polygon layers, and painted canvas/SVG pixels or paths
POLYGONS_DRAWN = """() => {
  const name = Object.keys(window).find(k => k.startsWith("map_") && window[k] instanceof L.Map);
  if (!name) return {map: false};
  const map = window[name];
  let polygons = 0;
  map.eachLayer(l => { if (l instanceof L.Polygon) polygons += 1; });
  let painted = 0;
  document.querySelectorAll(".leaflet-overlay-pane canvas").forEach(c => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted += 1;
  });
  const paths = document.querySelectorAll(".leaflet-overlay-pane path").length;
  return {map: true, polygons, painted, paths};
}"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory, data_dir, cache_dir):
    """Run `map` and `expand` as a user would; return every HTML file they wrote."""
    import os

    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    tmp = tmp_path_factory.mktemp("offline-html")
    rows = [
        ("CRT - TRESPASS", "2024/06/03 15:00:00+00", b) for b in ["111", "121", "223", "421"] * 5
    ]
    rows += [("MENTAL HE", "2024/07/15 13:00:00+00", "313")] * 3
    calls = tmp / "calls.csv"
    pd.DataFrame(rows, columns=["REPORTEDAS", "DATE_REPT", "BEAT"]).to_csv(calls, index=False)
    env = {"GEO_HEART_DATA": str(data_dir), "GEO_HEART_CACHE": str(cache_dir)}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        runner = CliRunner()
        r = runner.invoke(cli, ["-q", "map", str(calls), "-o", str(tmp / "maps")])
        assert r.exit_code == 0, r.output
        r = runner.invoke(
            cli, ["-q", "expand", str(calls), "--rules", "pilot", "--k", "2", "-o", str(tmp / "x")]
        )
        assert r.exit_code == 0, r.output
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    pages = sorted(tmp.rglob("*.html"))
    names = {p.name for p in pages}
    assert {"demand_map.html", "report.html", "expansion_map.html"} <= names, names
    assert sum('class="folium-map"' in p.read_text(encoding="utf-8") for p in pages) >= 2
    return pages


def _open_offline(browser, page_path: Path):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(page_path.as_uri(), wait_until="load")
    return context, pg, outside, errors


def test_every_generated_html_works_offline(generated, browser):
    for path in generated:
        context, pg, outside, errors = _open_offline(browser, path)
        try:
            if 'class="folium-map"' not in path.read_text(encoding="utf-8"):  # a report
                imgs = pg.eval_on_selector_all(
                    "img", "els => els.map(e => [e.complete, e.naturalWidth])"
                )
                assert imgs and all(ok and w > 0 for ok, w in imgs), (path.name, imgs)
            else:
                pg.wait_for_timeout(300)  # let Leaflet paint its canvas
                info = pg.evaluate(POLYGONS_DRAWN)
                assert info["map"], f"{path.name}: no Leaflet map (Leaflet did not load)"
                assert info["polygons"] > 10, (path.name, info)
                assert info["painted"] > 10_000 or info["paths"] > 10, (path.name, info)
        finally:
            context.close()
        assert errors == [], f"{path.name}: JavaScript errors {errors}"
        assert outside == [], f"{path.name} tried to reach the network: {outside}"

"""PIDF-LO shapes in Durham, judged against beat shares computed independently from the City's
beat layer (geopandas; the shapes drawn in a local azimuthal equidistant projection)."""

from __future__ import annotations

import pytest
import shapely
from dispatch.test_pidf import doc, ellipse
from shapely import affinity

from geo_heart.dispatch.shape_lookup import lookup_pidf

CENTRE = (-78.9016, 35.9960)  # downtown, near the 511 | 512 line


@pytest.fixture(scope="module")
def beats_local(workspace):
    import geopandas as gpd

    cfg = workspace.config.beats
    aeqd = f"+proj=aeqd +lat_0={CENTRE[1]} +lon_0={CENTRE[0]} +ellps=WGS84 +units=m"
    gdf = gpd.read_file(workspace.data_path(cfg.file)).to_crs(aeqd)
    gdf["id"] = gdf[cfg.id_field].astype(str)
    return gdf.dissolve("id").geometry


def test_durham_ellipse_shares_match_the_city_layer(workspace, beats_local):
    r = lookup_pidf(workspace, doc(ellipse(CENTRE[1], CENTRE[0], 1275, 670, 43.2)))
    e = affinity.rotate(
        affinity.scale(shapely.Point(0, 0).buffer(1, quad_segs=64), 670, 1275, origin=(0, 0)),
        -43.2, origin=(0, 0),
    )  # fmt: skip
    want = (beats_local.intersection(e).area / e.area).to_dict()
    got = {s["beat"]: s["share"] for s in r["shape"]["shares"]}
    assert set(got) == {b for b, s in want.items() if s > 0}
    assert all(abs(got[b] - want[b]) < 0.002 for b in got), (got, want)
    assert r["status"] == "approximate" and r["beat"] is None
    assert r["shape"]["area_m2"] == pytest.approx(e.area, rel=0.002)

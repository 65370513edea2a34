"""Cold build, issue 31 item 1: the road lines merged per street in a few grouped
``shapely.union_all`` calls (``reference.union_each``) give, bit for bit, what one call per street
gave; and the crossings' past records by street are made once per index and shared."""

from __future__ import annotations

import numpy as np
import shapely

from geo_heart.geocode.reference import union_each
from geo_heart.geocode.street_tables import adjacency


def _random_group(rng: np.random.Generator) -> list:
    """1-40 lines: straight, zigzag (often self-crossing), closed, repeated, overlapping, multi."""
    out = []
    base = rng.integers(0, 20, size=2).astype(float)
    for _ in range(int(rng.choice([1, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 40]))):
        kind = rng.integers(0, 5)
        n = int(rng.integers(2, 7))
        pts = base + np.round(rng.normal(0, 3, size=(n, 2)), int(rng.integers(0, 4)))
        if kind == 0:
            out.append(shapely.linestrings(pts))
        elif kind == 1 and n >= 3:  # closed
            out.append(shapely.linestrings(np.vstack([pts, pts[:1]])))
        elif kind == 2 and out:  # the same line again (overlap)
            out.append(out[-1])
        elif kind == 3:
            out.append(
                shapely.multilinestrings(
                    [shapely.linestrings(pts), shapely.linestrings(pts[::-1] + 1)]
                )
            )
        else:  # with a repeated vertex
            out.append(shapely.linestrings(np.vstack([pts[:1], pts])))
    return out


def test_grouped_union_is_each_streets_own_union_bit_for_bit():
    rng = np.random.default_rng(31)
    groups = [_random_group(rng) for _ in range(300)]
    got = union_each(groups)
    want = [shapely.union_all(g) for g in groups]
    assert len(got) == len(want) == 300
    assert [shapely.to_wkb(g) for g in got] == [shapely.to_wkb(w) for w in want]
    # sizes across the padding widths, and some results made of several parts
    assert {len(g) for g in groups} >= {1, 2, 3, 4, 5, 8, 9, 16, 17, 40}
    assert any(shapely.get_num_geometries(g) > 1 for g in got)


def test_grouped_union_of_no_groups_and_of_single_lines():
    assert union_each([]) == []
    line = shapely.LineString([(0, 0), (2, 2), (0, 2), (2, 0)])  # crosses itself: noded
    (got,) = union_each([[line]])
    assert got.wkb == shapely.union_all([line]).wkb
    assert shapely.get_num_geometries(got) > 1


def test_adjacency_both_ways():
    rec1, rec2 = {"A1": 2.0}, {"B2": 1.0}
    adj = adjacency({("MAIN ST", "OAK ST"): rec1, ("ELM ST", "MAIN ST"): rec2})
    assert adj == {
        "MAIN ST": {"OAK ST": rec1, "ELM ST": rec2},
        "OAK ST": {"MAIN ST": rec1},
        "ELM ST": {"MAIN ST": rec2},
    }
    assert adj["MAIN ST"]["OAK ST"] is rec1 and adjacency({}) == {}


def test_geocoders_of_one_index_share_the_crossings_past_records(tmp_path):
    from pathlib import Path

    from geo_heart.area import Area
    from geo_heart.geocode.match import Geocoder, geocoder_for

    toy = Path(__file__).resolve().parent.parent / "data" / "toy"
    area = Area.load(toy / "toy.toml", data_dir=toy, cache_dir=tmp_path)
    idx = geocoder_for(area).index
    assert idx.pair_history == {}  # the toy history names no crossing: give the index some
    idx.pair_history = {("MAIN ST", "OAK ST"): {"B1": 2.0}, ("ELM ST", "MAIN ST"): {"B2": 1.0}}
    g = Geocoder(idx, area.beat_index, area.config.service_area)
    second = Geocoder(idx, area.beat_index, area.config.service_area)
    assert second._ph_adj is g._ph_adj
    # what each geocoder made for itself before
    want: dict = {}
    for (a, b), v in idx.pair_history.items():
        want.setdefault(a, {})[b] = v
        want.setdefault(b, {})[a] = v
    assert g._ph_adj == want and len(want) == 3
    # an index given other crossing records gets its own
    idx.pair_history = {("X ST", "Y ST"): {"B1": 1.0}}
    third = Geocoder(idx, area.beat_index, area.config.service_area)
    assert third._ph_adj == {"X ST": {"Y ST": {"B1": 1.0}}, "Y ST": {"X ST": {"B1": 1.0}}}


def test_durham_road_lines_merge_as_street_by_street(data_dir):
    """Durham's 3,941 road lines, grouped by street key as the index build groups them: the
    grouped calls give every street's merged geometry bit for bit (and so the same road parts
    and middle points)."""
    from geo_heart.geocode.reference import _road_keys
    from geo_heart.geocode.sources import read_roads

    rec = read_roads(data_dir / "osm_major_roads_2018.geojson", {"name_field": "name", "ref_field": "ref"})
    lines: dict[str, list] = {}
    for name, ref, geom in rec.lines:
        if geom is not None and not geom.is_empty:
            for k in _road_keys(name, ref):
                lines.setdefault(k.full, []).append(geom)
    groups = [lines[k] for k in sorted(lines)]
    assert len(groups) > 500 and max(map(len, groups)) > 100
    got = union_each(groups)
    assert [g.wkb for g in got] == [shapely.union_all(g).wkb for g in groups]

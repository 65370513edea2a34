"""The budget table (:mod:`geo_heart.staffing.budget`) and ``[costs]`` in the area file."""

from __future__ import annotations

import pytest

from geo_heart.staffing.budget import budget_table, team_hour_cost
from geo_heart.staffing.erlang import WEEKS_PER_YEAR

COSTS = """
[costs]
staff_cost_per_year = 90000
staff_hours_per_year = 1800
staff_per_team = 3
assumed = true
source = "a test"

[costs.programs.CoR]
staff_per_team = 2
"""


@pytest.fixture()
def costed(toy_dir, tmp_path):
    from geo_heart.area import Area

    text = (toy_dir / "toy.toml").read_text() + COSTS
    path = tmp_path / "toy_costs.toml"
    path.write_text(text)
    return Area.load(path, data_dir=toy_dir, cache_dir=tmp_path / "cache")


def test_budget_from_team_hours(costed):
    b = budget_table(costed, {"CRT": 84, "CoR": 40}, answered_calls_per_year={"CRT": 1000})
    assert b.available and b.assumed and b.currency == "USD"
    crt = b.table.set_index("program").loc["CRT"]
    assert crt["cost_per_team_hour"] == pytest.approx(3 * 90000 / 1800)  # 150
    assert crt["team_hours_per_year"] == pytest.approx(84 * WEEKS_PER_YEAR)
    assert crt["annual_cost"] == pytest.approx(84 * WEEKS_PER_YEAR * 150)
    assert crt["cost_per_answered_call"] == pytest.approx(84 * WEEKS_PER_YEAR * 150 / 1000)
    cor = b.table.set_index("program").loc["CoR"]
    assert cor["cost_per_team_hour"] == pytest.approx(100) and cor["staff_per_team"] == 2
    assert cor["cost_per_answered_call"] != cor["cost_per_answered_call"]  # unknown: NaN
    text = "\n".join(b.lines())
    assert "$657,450 a year" in text and "$657.45 per answered call" in text
    assert "assumed" in b.note and "a test" in b.note
    assert b.to_dict()["rows"][1]["cost_per_answered_call"] is None


def test_no_costs_no_budget(toy):
    b = budget_table(toy, {"CRT": 84})
    assert not b.available and b.table.empty
    assert b.lines() == [
        "budget: no [costs] in the area file (toy.toml): no budget (costs are never invented)"
    ]


def test_direct_cost_per_team_hour_wins_for_a_program():
    costs = {
        "cost_per_team_hour": 120.0,
        "staff_per_team": 3,
        "programs": {"CoR": {"cost_per_team_hour": 90.0}},
    }
    assert team_hour_cost(costs, "CRT")[0] == 120.0
    assert team_hour_cost(costs, "CoR")[0] == 90.0


def test_costs_schema_needs_a_cost(toy_dir, tmp_path):
    from geo_heart.area import Area
    from geo_heart.errors import ConfigError

    path = tmp_path / "bad.toml"
    for extra, problem in (
        ("staf_cost = 1", "costs.staf_cost: unknown key"),
        ("", "give cost_per_team_hour, or staff_cost_per_year and staff_hours_per_year"),
    ):
        path.write_text(
            (toy_dir / "toy.toml").read_text() + f"\n[costs]\nstaff_per_team = 3\n{extra}\n"
        )
        with pytest.raises(ConfigError) as e:
            Area.load(path, data_dir=toy_dir, cache_dir=tmp_path / "c")
        assert problem in str(e.value)


def test_durham_and_portland_area_files():
    from geo_heart.config.areafile import load_area
    from geo_heart.config.settings import area_search_path

    folder = [p for p in area_search_path() if (p / "durham.toml").exists()][0]
    durham = load_area(folder / "durham.toml")
    assert durham.costs["assumed"] is True and durham.costs["staff_per_team"] == 3
    assert team_hour_cost(durham.costs, "CRT")[0] == pytest.approx(3 * 90900 / 1800)
    assert durham.forecast["units"] == "eligible reports"
    assert load_area(folder / "portland.toml").costs == {}

"""The area-file schema: unknown keys, every problem at once, rules and cross-checks, area check."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from geo_heart.config.areafile import load_area
from geo_heart.errors import ConfigError

DURHAM = Path(__file__).resolve().parents[2] / "boundaries" / "durham.toml"


def _write(tmp_path, text: str, name: str = "x.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _two_typos(tmp_path) -> Path:
    text = DURHAM.read_text()
    text = text.replace('risk_route_to = "CoR"', 'risk_route_too = "CoR"', 1)
    text = text.replace("\nrisk_call_types = [", "\ncall_typez = [", 1)
    return _write(tmp_path, text)


def test_every_problem_at_once_with_key_paths(tmp_path):
    p = _two_typos(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_area(p)
    lines = str(info.value).splitlines()
    assert lines[0].endswith("x.toml: 2 problems")
    assert any(
        line.strip().endswith("x.toml: programs.CRT.risk_route_too: unknown key") for line in lines
    )
    assert any(
        line.strip().endswith("x.toml: programs.CoR.call_typez: unknown key") for line in lines
    )


def test_cross_checks_are_collected_too(tmp_path):
    text = DURHAM.read_text()
    text = text.replace('call_types = ["heart_follow_up"]', 'call_types = ["heart_followup"]')
    text = text.replace("effective_from = 2023-10-23", "effective_from = 2022-01-01")
    text = text.replace("[rules.programs.CN]", "[rules.programs.CNN]")
    text = text.replace("[layers.calls]\n", '[layers.calls]\ncolour = "red"\n')
    with pytest.raises(ConfigError) as info:
        load_area(_write(tmp_path, text))
    msg = str(info.value)
    # the schema problem is reported first; cross-checks need a valid form, so fix it and retry
    assert "layers.calls.colour: unknown key" in msg
    text = text.replace('colour = "red"\n', "")
    with pytest.raises(ConfigError) as info:
        load_area(_write(tmp_path, text, "y.toml"))
    msg = str(info.value)
    assert "3 problems" in msg.splitlines()[0]
    assert "programs.CN.call_types = 'heart_followup': not a call type" in msg
    assert "rules[1].effective_from = '2022-01-01': rule sets must be listed in date order" in msg
    assert "rules[1].programs.CNN: not a program" in msg


def test_places_staffing_and_layers(tmp_path):
    text = DURHAM.read_text() + (
        '\n[staffing.programs.CN]\nservice_minutes = 61\nassumed = true\nsource = "a guess"\n'
    )
    area = load_area(_write(tmp_path, text))
    assert area.places_file == tmp_path / "durham_places.csv"  # beside the area file
    assert load_area(DURHAM).places_file == DURHAM.parent / "durham_places.csv"
    assert area.staffing["programs"]["CN"]["service_minutes"] == 61
    assert area.layers["history"]["address_column"] == "ADDRESS2"
    assert (
        load_area(DURHAM).places_file is None
        or load_area(DURHAM).places_file.parent == DURHAM.parent
    )
    bad = text.replace("[staffing.programs.CN]", "[staffing.programs.CRTX]")
    with pytest.raises(ConfigError, match="staffing.programs.CRTX = 'CRTX': not a program"):
        load_area(_write(tmp_path, bad, "z.toml"))
    # Durham column names live in the file: a history layer must name its columns
    bad = DURHAM.read_text().replace(
        'address_column = "ADDRESS2"\nbeat_column = "BEAT"\n# Recent', "# Recent"
    )
    with pytest.raises(ConfigError, match="layers.history.address_column: missing required key"):
        load_area(_write(tmp_path, bad, "h.toml"))
    bad = DURHAM.read_text().replace("[layers.county]", "[layers.counties]")
    with pytest.raises(ConfigError, match="layers.counties: unknown key"):
        load_area(_write(tmp_path, bad, "c.toml"))


def test_area_check_names_both_typos(tmp_path, cli_env):
    from geo_heart.cli.main import cli

    p = _two_typos(tmp_path)
    r = CliRunner().invoke(cli, ["area", "check", str(p)])
    assert r.exit_code == 1
    first, *rest = r.output.splitlines()
    assert first.endswith("x.toml: 2 problems")
    assert any("programs.CRT.risk_route_too: unknown key" in line for line in rest)
    assert any("programs.CoR.call_typez: unknown key" in line for line in rest)


def test_area_check_reads_layers_columns_and_beats(tmp_path, cli_env):
    import json

    from geo_heart.cli.main import cli

    r = CliRunner().invoke(cli, ["area", "check", str(DURHAM)])
    assert r.exit_code == 0, r.output
    text = DURHAM.read_text().replace('"111", "112"', '"111", "1122"')
    text = text.replace('population_field = "total_population"', 'population_field = "pop"')
    text = text.replace('file = "landmarks.csv"', 'file = "nowhere.csv"')
    r = CliRunner().invoke(cli, ["area", "check", str(_write(tmp_path, text)), "--json"])
    assert r.exit_code == 1
    problems = json.loads(r.output)["problems"]
    # the copy has no durham_places.csv nor durham_calibration.json beside it either
    assert len(problems) == 5, problems
    assert any("places.file:" in p and "does not exist" in p for p in problems)
    assert any("calibration.file:" in p and "does not exist" in p for p in problems)
    assert any("service_areas.pilot.beats = '1122': not a beat" in p for p in problems)
    assert any("layers.population.population_field = 'pop': no such column" in p for p in problems)
    assert any("layers.landmarks.file = 'nowhere.csv'" in p for p in problems)

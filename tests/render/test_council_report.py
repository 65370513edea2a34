"""Issue 32, part 3: the council report (first page, "Did the pilot work?", "Next year", PDF) and
the report defects: unjudged hours, unit words, per-capita without population, empty charts,
count axes from zero, one figure per label. Toy area and data made in the test."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest


def _area(toy_dir, tmp_path, *, words: tuple[str, str] | None = None):
    from geo_heart.area import Area

    d = tmp_path / "area"
    shutil.copytree(toy_dir, d, ignore=shutil.ignore_patterns("cache"))
    text = (d / "toy.toml").read_text()
    if words:
        text = re.sub(r'unit_name = "[^"]*"', f'unit_name = "{words[0]}"', text)
        text = re.sub(r'group_name = "[^"]*"', f'group_name = "{words[1]}"', text)
        if "unit_name" not in text:
            text = text.replace(
                "[beats]\n", f'[beats]\nunit_name = "{words[0]}"\ngroup_name = "{words[1]}"\n', 1
            )
    (d / "toy.toml").write_text(text)
    return Area.load(d / "toy.toml", data_dir=d, cache_dir=tmp_path / "cache")


def _text(html: str) -> str:
    html = re.sub(r'src="data:[^"]+"', "", html)
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    import html as html_mod

    return html_mod.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


def _write(area, data, out, **kw):
    from geo_heart.render.council import Unavailable
    from geo_heart.render.report import write_planner_outputs

    return write_planner_outputs(
        area,
        data,
        out,
        metric="count",
        expansion_k=None,
        evaluation=kw.pop("evaluation", Unavailable("The pilot's effect", "too few beats")),
        forecast=kw.pop("forecast", Unavailable("Next year's demand", "only 2 months of calls")),
        **kw,
    )


def test_first_page_states_what_is_not_estimated_and_pdf_has_the_labels(toy_dir, tmp_path):
    area = _area(toy_dir, tmp_path)
    data = area.load_calls()
    out = _write(area, data, tmp_path / "out", pdf=True)
    text = _text(out["report"].read_text())
    assert "At a glance" in text and "Did the pilot work?" in text and "Next year" in text
    # unavailable estimates are said with their reason, never a number
    assert "The pilot's effect is not estimated: too few beats." in text
    assert "Next year's demand is not estimated: only 2 months of calls." in text
    glance = text.split("At a glance", 1)[1].split("Summary", 1)[0]
    assert glance.count("not estimated") >= 2
    assert "Coverage today" in glance and "Who the service reaches" in glance
    pdf = out["report_pdf"].read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 2
    if shutil.which("pdftotext"):
        first = subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", str(out["report_pdf"]), "-"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        flat = " ".join(first.split())
        for label in ("Coverage today", "estimated effect", "Next year's demand",
                      "Teams it takes", "Who the service reaches"):  # fmt: skip
            assert label in flat, label
        assert "Summary" not in flat  # the first page is the council's page alone


def test_calls_without_a_time_say_not_judged_never_zero(toy_dir, tmp_path):
    from geo_heart.analysis.calls import calls_from_frame

    area = _area(toy_dir, tmp_path, words=("district", "precinct"))
    raw = pd.read_csv(toy_dir / "calls.csv", dtype=str)
    raw["WHEN"] = raw["WHEN"].str.slice(0, 10).str.replace("/", "-")  # a date, no time
    data = calls_from_frame(area, raw, source="dates.csv")
    assert not data.hours_judged
    out = _write(area, data, tmp_path / "out")
    text = _text(out["report"].read_text())
    assert "not judged" in text
    assert not re.search(r"0\.0% of its [\d,]+ eligible calls fell inside", text)
    cov = text.split("Coverage: eligible calls", 1)[1].split("Hot spots", 1)[0]
    # every row's two hour-based shares (in hours, covered) say so; the area share is judged
    rows = len(re.findall(r"What-if:", cov))
    assert rows and cov.count("not judged not judged") == rows
    # no hour-of-week chart (it would be empty); the month chart is there
    assert "demand_by_hour_png" not in out and "demand_by_month_png" in out
    # unit words from the area file, translated once: districts never become precincts
    assert "placed in a district" in text and "placed in a precinct" not in text
    # no population layer: no per-capita figure or note
    assert "per 1,000 residents" not in text.lower().replace("no population layer", "")
    glance = text.split("At a glance", 1)[1].split("Summary", 1)[0]
    assert "hours not judged" in glance


def test_count_axes_start_at_zero():
    from geo_heart.render.static import hour_of_week_figure, monthly_figure

    months = pd.DataFrame(
        {
            "month": ["2016-08", "2016-09", "2016-10"],
            "eligible_any": [6120, 6200, 6150],
            "eligible_PSR": [6120, 6200, 6150],
            "partial": [False, False, False],
        }  # fmt: skip
    )
    fig = monthly_figure(months, programs=["PSR"])
    assert fig.axes[0].get_ylim()[0] == 0 and fig.axes[0].get_ylim()[1] >= 6200
    hours = pd.DataFrame(
        {
            "hour_of_week": np.arange(168),
            "eligible_any": np.full(168, 50.0) + np.arange(168) % 3,
            "open_PSR": np.ones(168),
        }  # fmt: skip
    )
    fig = hour_of_week_figure(hours, programs=["PSR"], weeks=10)
    assert fig.axes[0].get_ylim()[0] == 0


def test_effect_in_words():
    from geo_heart.render.council import effect_in_words

    assert effect_in_words({"effect": -0.05, "ci95": [-0.15, 0.06]}) == (
        "−5% (95% interval −15% to +6%): the interval includes no change, so the data cannot "
        "tell this from no effect"
    )
    assert "the whole interval is a fall" in effect_in_words({"effect": -0.3, "ci95": [-0.5, -0.1]})


def test_report_and_cli_give_one_staffing_answer(toy_dir, tmp_path):
    from geo_heart.errors import InputError
    from geo_heart.render.council import Unavailable, staffing_plan, staffing_program
    from geo_heart.staffing.workflow import StaffingOptions, staffing_for_calls

    area = _area(toy_dir, tmp_path)
    data = area.load_calls()
    program = staffing_program(area)
    plan = staffing_plan(area, data, None)
    opts = StaffingOptions(target=0.8, replications=0)
    try:
        cli = staffing_for_calls(area, data, program, opts)
    except InputError as exc:  # the toy's calls predate the program: both say the same
        assert isinstance(plan, Unavailable) and plan.reason == str(exc)
        return
    assert plan["team_hours"] == cli.main.team_hours_per_week
    assert "the call table's own count" in plan["basis"], plan["basis"]
    assert f"geo-heart staffing --program {program} --target 0.8" in plan["basis"]


@pytest.mark.slow
def test_durham_report_staffing_equals_the_cli(workspace):
    from geo_heart.analysis.calls import load_calls
    from geo_heart.render.council import staffing_plan
    from geo_heart.staffing.workflow import StaffingOptions, report_section, staffing_for_calls

    data = load_calls(workspace)
    plan = staffing_plan(workspace, data, None)
    cli = staffing_for_calls(workspace, data, "CRT", StaffingOptions(target=0.8, replications=0))
    assert plan["team_hours"] == cli.main.team_hours_per_week == 84
    section = report_section(workspace, data, replications=0)
    table = pd.read_html(__import__("io").StringIO(section["tables"][0]["html"]))[0]
    crt = table[table["Program"] == "CRT"].iloc[0]
    assert int(str(crt["Team-hours a week for 80%"]).replace(",", "")) == 84
    cor = table[table["Program"] == "CoR"].iloc[0]
    cor_cli = staffing_for_calls(workspace, data, "CoR", StaffingOptions(teams=2, replications=0))
    # the report's CoR volume is its call table's, not 9 times it
    assert abs(float(str(cor["Eligible calls a year (call table)"]).replace(",", ""))
               - cor_cli.demand.calls_per_year) < 1  # fmt: skip


def test_coverage_today_is_one_definition(toy_dir, tmp_path):
    """The first page's coverage and the rules-over-time sentence give the same share."""
    from geo_heart.render.council import coverage_today, covered_any_share

    area = _area(toy_dir, tmp_path)
    data = area.load_calls()
    cov = coverage_today(area, data)
    f = data.frame
    if "rules" in f.columns and (f["rules"] == area.config.rule_set().name).any():
        sel = f[f["rules"] == area.config.rule_set().name]
        assert cov["share"] == covered_any_share(sel, data.programs)[0]
    assert cov["eligible"] > 0 and 0 <= cov["share"] <= 1


def test_report_command_writes_html_and_pdf(toy_env, tmp_path):
    """`geo-heart report --pdf` on the toy area: the evaluation and forecast either run or say
    why not (the toy's few calls); the command never fails for it."""
    import json

    from click.testing import CliRunner

    from geo_heart.cli.main import cli

    out = tmp_path / "council"
    r = CliRunner().invoke(cli, ["-q", "report", "--pdf", "-o", str(out), "--json"])
    assert r.exit_code == 0, r.output
    written = json.loads(r.stdout)["outputs"]
    assert written["report"].endswith("report.html") and written["report_pdf"].endswith(".pdf")
    text = _text((out / "report.html").read_text())
    glance = text.split("At a glance", 1)[1].split("Summary", 1)[0]
    pilot = glance.split("estimated effect", 1)[1].split("Next year", 1)[0]
    # either an estimate with its interval, or "not estimated" with the evaluation's own reason
    assert "95% interval" in pilot or "is not estimated:" in pilot


def test_text_in_the_area_words_is_translated_once(toy_dir, tmp_path):
    from geo_heart.render.tables import relabel_all, worded

    area = _area(toy_dir, tmp_path, words=("district", "precinct"))
    ours = relabel_all({"a": "4 beats in 2 districts"}, area.config)
    assert ours["a"] == "4 districts in 2 precincts"
    # text an evaluation already wrote in the area's words (a staged rollout of 4 districts)
    theirs = relabel_all(worded({"a": ["staged rollout (4 districts)"]}), area.config)
    assert theirs["a"][0] == "staged rollout (4 districts)"

"""Bounds on every staffing parameter (issue 30 #11): refused in one line, before any work."""

from __future__ import annotations

import time

import pytest

from geo_heart.cli.main import main
from geo_heart.errors import InputError
from geo_heart.staffing.limits import MAX_TEAMS
from geo_heart.staffing.workflow import StaffingOptions


def _run(capsys, args):
    t0 = time.monotonic()
    with pytest.raises(SystemExit) as info:
        main(["staffing", *args])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err, time.monotonic() - t0


@pytest.mark.parametrize(
    "args,named",
    [
        (["--teams", "1000"], "--teams 1000: must be a whole number from 0 to 200"),
        (["--teams", "100000000"], "--teams 100000000: must be a whole number from 0 to 200"),
        (
            ["--scale-to", "1e12"],
            "--scale-to 1000000000000.0: must be a number above 0 to 1,000,000",
        ),
        (["--scale-to", "nan"], "--scale-to nan"),
        (
            ["--replications", "100000"],
            "--replications 100000: must be a whole number from 0 to 100",
        ),
        (["--weeks", "0"], "--weeks 0"),
        (["--block-hours", "100000"], "--block-hours 100000"),
        (["--service-minutes", "-5"], "--service-minutes -5.0"),
        (["--cv", "inf"], "--cv inf"),
        (["--min-teams-per-open-hour", "5000"], "--min-teams-per-open-hour 5000"),
        (["--seed", "-1"], "--seed -1"),
    ],
)
def test_out_of_range_options_are_one_line_before_the_calls_are_read(toy_env, capsys, args, named):
    code, out, err, seconds = _run(capsys, ["--year", "2024", *args])
    assert code == 1, (out, err)
    assert named in err and len(err.strip().splitlines()) == 1, err
    assert "calls from" not in out + err  # refused before loading the calls
    assert "(a bug)" not in err and seconds < 10


def test_shifts_with_too_many_teams_are_refused(toy_env, capsys, tmp_path):
    rows = tmp_path / "shifts.csv"
    rows.write_text("day,start,end,teams\nMon-Fri,09:00,17:00,100000000\n")
    code, _out, err, _s = _run(capsys, ["--year", "2024", "--shifts", str(rows)])
    assert code == 1 and "row 2" in err and "teams from 0 to 200" in err
    assert "calls from" not in err  # the shifts file is checked before the calls are read
    grid = tmp_path / "grid.csv"
    grid.write_text("\n".join(",".join(["300"] * 24) for _ in range(7)) + "\n")
    code, _out, err, _s = _run(capsys, ["--year", "2024", "--shifts", str(grid)])
    assert code == 1 and "300 teams in one hour; at most 200" in err
    big = tmp_path / "big.csv"
    big.write_text("\n".join(",".join(["9" * 5000] * 24) for _ in range(7)) + "\n")
    code, _out, err, _s = _run(capsys, ["--year", "2024", "--shifts", str(big)])
    assert code == 1 and "(a bug)" not in err and len(err.strip().splitlines()) == 1


def test_the_simulation_budget_names_the_options(toy_env, capsys):
    code, _out, err, _s = _run(capsys, ["--year", "2024", "--teams", "50", "--scale-to", "1000000"])
    assert code == 1 and "--replications 10 × --weeks 52" in err and "at most 5,000,000" in err
    # within the budget it runs: 1M calls a year, analytic only
    code, out, err, _s = _run(
        capsys,
        ["--year", "2024", "--teams", "50", "--scale-to", "1000000", "--replications", "0"],
    )
    assert code in (0, None), err
    assert "max 50 teams" in out


def test_library_options_are_bounded_too():
    with pytest.raises(InputError, match="--teams 8000"):
        StaffingOptions(teams=8000)
    with pytest.raises(InputError, match="--scale-to"):
        StaffingOptions(scale_to=1e12)
    assert StaffingOptions(teams=MAX_TEAMS).teams == MAX_TEAMS


@pytest.mark.parametrize(
    "args,named",
    [
        (["--teams", "100000000", "--capacity", "5"], "'--teams': 100000000 is not in the range"),
        (["--capacity", "1e300"], "'--capacity': 1e+300 is not in the range 0<x<=10000"),
        (["--capacity", "inf"], "'--capacity': inf is not in the range"),
        (["--compare-k", "100000000"], "'--compare-k'"),
    ],
)
def test_expand_solver_parameters_are_bounded(toy_env, capsys, tmp_path, args, named):
    """`expand --teams 1e8 --capacity 1e300` was "unexpected PulpError ... (a bug)"."""
    with pytest.raises(SystemExit) as info:
        main(["expand", *args, "-o", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert info.value.code == 2 and named in err and "(a bug)" not in err, err


def test_expand_capacity_is_bounded_in_the_library():
    from geo_heart.expansion.problem import Capacity

    with pytest.raises(InputError, match="--capacity 1e\\+300"):
        Capacity(1e300, 2)
    with pytest.raises(InputError, match="--teams 100000000"):
        Capacity(5.0, 100_000_000)
    assert Capacity(5.0, 3).teams == 3


def test_equity_bootstrap_is_bounded(toy_env, capsys):
    """The resampling weights are a bootstrap × tracts array (1e8 resamples → MemoryError)."""
    import pandas as pd

    from geo_heart.analysis.equity import MAX_BOOTSTRAP, group_table

    with pytest.raises(SystemExit) as info:
        main(["equity", "--bootstrap", "100000000"])
    assert info.value.code == 2 and "'--bootstrap'" in capsys.readouterr().err
    with pytest.raises(InputError, match="--bootstrap 100000000: must be from 0 to 10,000"):
        group_table(pd.DataFrame({"x": [1.0]}), [], bootstrap=100_000_000)
    assert MAX_BOOTSTRAP == 10_000

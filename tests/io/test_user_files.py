"""The user's files are never touched (issue 30 #1 #2): only geo-heart's own marked temps are ever
removed, and no file a command writes may be a file it reads, in any command."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_heart.cli.main import main
from geo_heart.errors import InputError
from geo_heart.io.files import (
    command_io_guard,
    guard_output,
    note_input,
    output_lock,
    remove_stale_temps,
    temp_dir_for,
    write_text_file,
)

POINTS = "id,lon,lat\n1,-99.9995,40.0049\n2,-99.998,40.005\n"


def _run(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_assign_keeps_an_input_named_like_a_temp(toy_env, capsys, tmp_path):
    src = tmp_path / "pts.tmp.csv"
    src.write_text(POINTS)
    code, _out, err = _run(capsys, "-q", "assign", src, "-o", tmp_path / "pts.csv")
    assert code == 0, err
    assert src.read_text() == POINTS  # was deleted as a "stale temp" of pts.csv
    assert (tmp_path / "pts.csv").read_text().count("\n") == 3


def test_overrides_named_like_a_temp_survive(toy_env, capsys, tmp_path):
    src = tmp_path / "geo.csv"
    src.write_text("id,ADDR\n1,NOWHERE RD\n2,100 OAK ST\n")
    ov = tmp_path / "geo.tmp.csv"
    text = "address,corrected_address,lon,lat,note\nNOWHERE RD,,-99.9995,40.0049,shelter\n"
    ov.write_text(text)
    code, _out, err = _run(capsys, "-q", "geocode", src, "-o", tmp_path / "geo.csv.out.csv",
                           "--address-column", "ADDR", "--overrides", ov)  # fmt: skip
    assert code == 0, err
    code, _out, err = _run(capsys, "-q", "geocode", src, "-o", tmp_path / "geo.gpkg",
                           "--address-column", "ADDR", "--overrides", ov)  # fmt: skip
    assert code == 0, err
    assert ov.read_text() == text


def test_an_unrelated_tmp_gpkg_beside_the_output_survives(toy_env, capsys, tmp_path):
    src = tmp_path / "p.csv"
    src.write_text(POINTS)
    mine = tmp_path / "calls_out.tmp.gpkg"
    mine.write_bytes(b"the user's own layer")
    code, _out, err = _run(capsys, "-q", "assign", src, "-o", tmp_path / "calls_out.gpkg")
    assert code == 0, err
    assert mine.read_bytes() == b"the user's own layer"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls_out.gpkg", "calls_out.tmp.gpkg",
                                                          "p.csv"]  # fmt: skip


def test_a_users_folder_named_like_the_resume_folder_is_refused_not_removed(toy, tmp_path):
    from geo_heart.geocode.batch import geocode_file

    src = tmp_path / "in.csv"
    src.write_text("ADDR\n100 OAK ST\n")
    mine = tmp_path / "o.csv.parts"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a work folder of geo-heart's"):
        geocode_file(toy, src, tmp_path / "o.csv", address_column="ADDR")
    assert (mine / "notes.txt").read_text() == "mine"
    geocode_file(toy, src, tmp_path / "o2.csv", address_column="ADDR")  # our own: made, removed
    assert not (tmp_path / "o2.csv.parts").exists()


def test_only_marked_temp_folders_are_removed(tmp_path):
    out = tmp_path / "o.gpkg"
    with temp_dir_for(out) as d:
        kept = tmp_path / "copy"
        shutil.copytree(d, kept)
    stale = kept.rename(d)  # a killed run's folder: its name and its marker
    fake = tmp_path / ".o.gpkg.abcdefgh.geo-heart-tmp"  # the name without the marker
    fake.mkdir()
    (fake / "data.csv").write_text("x")
    users = [tmp_path / n for n in ("o.tmp.gpkg", ".o.gpkg.k3j_9xq2.tmp", "o.gpkg.parts")]
    for u in users:
        u.write_text("u")
    assert remove_stale_temps(out) == [stale]
    assert fake.is_dir() and all(u.read_text() == "u" for u in users)
    with output_lock(out):  # the lock's clean-up applies the same rule
        pass
    assert fake.is_dir() and all(u.exists() for u in users)


def test_coverage_into_the_folder_of_its_calls_is_refused(toy_env, capsys, tmp_path, toy_dir):
    out = tmp_path / "out"
    out.mkdir()
    calls = out / "coverage.csv"
    shutil.copy(toy_dir / "calls.csv", calls)
    before = calls.read_bytes()
    code, _out, err = _run(capsys, "coverage", calls, "-o", out)
    assert code == 1 and len(err.strip().splitlines()) == 1  # refused before any work
    assert "Error: output folder" in err and "coverage.csv" in err and "[CALLS] file" in err
    assert calls.read_bytes() == before  # was overwritten by the 5-line result, exit 0


@pytest.mark.parametrize(
    "command, name",
    [("demand", "demand_by_beat.csv"), ("hotspots", "hotspots_beats.csv"),
     ("equity", "equity_by_tract.csv"), ("map", "report.html"), ("expand", "expansion_curve.csv"),
     ("coverage", "coverage.json")],
)  # fmt: skip
def test_every_folder_command_refuses_its_input_as_an_output(
    toy_env, capsys, tmp_path, toy_dir, command, name
):
    out = tmp_path / "out"
    out.mkdir()
    calls = out / name
    shutil.copy(toy_dir / "calls.csv", calls)
    code, _out, err = _run(capsys, command, calls, "-o", out)
    assert code == 1 and f"{command} writes {name!r}" in err, err
    assert calls.read_bytes() == (toy_dir / "calls.csv").read_bytes()


def test_a_default_input_in_the_output_folder_is_caught_at_write_time(toy, tmp_path, capsys):
    """The calls an area file names are no command-line input: the write itself refuses."""
    import os

    data = tmp_path / "data"
    shutil.copytree(toy.settings.data_dir, data)
    toml = (data / "toy.toml").read_text()
    calls_name = toy.config.layers["calls"]["file"]
    (data / "coverage.csv").write_bytes((data / calls_name).read_bytes())
    (data / "toy.toml").write_text(toml.replace(f'"{calls_name}"', '"coverage.csv"', 1))
    before = (data / "coverage.csv").read_bytes()
    env = {"GEO_HEART_DATA": str(data), "GEO_HEART_AREA": str(data / "toy.toml"),
           "GEO_HEART_CACHE": str(tmp_path / "cache")}  # fmt: skip
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        code, _out, err = _run(capsys, "-q", "coverage", "-o", data)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert code == 1 and "coverage.csv" in err and "this command would overwrite it" in err, err
    assert (data / "coverage.csv").read_bytes() == before


def test_every_writer_checks_every_file_read(tmp_path):
    """A file noted as read (by read_table, or on the command line) cannot be written."""
    from geo_heart.io.tables import read_table, write_table

    a = tmp_path / "a.csv"
    a.write_text("x\n1\n")
    with command_io_guard({"the --shifts file": tmp_path / "s.csv"}):
        frame = read_table(a)
        with pytest.raises(InputError, match="'.*a.csv' is the input"):
            write_table(frame, tmp_path / "." / "a.csv")
        with pytest.raises(InputError, match="the --shifts file"):
            write_text_file(tmp_path / "s.csv", "x")
        write_table(frame, tmp_path / "b.csv")
    assert a.read_text() == "x\n1\n" and not (tmp_path / "s.csv").exists()
    write_table(frame, a)  # outside a command nothing is guarded (a library user's choice)


_NAMES = st.text(st.sampled_from("ab.-_ T"), min_size=1, max_size=6).filter(
    lambda n: n not in (".", "..") and "/" not in n
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(out=_NAMES, inp=_NAMES, sub=st.booleans(), link=st.booleans())
def test_any_output_name_against_any_input_name(tmp_path_factory, out, inp, sub, link):
    """The guard refuses exactly when the output is the input (any spelling, a symlink)."""
    d = tmp_path_factory.mktemp("g")
    src = d / inp
    src.write_text("data")
    target = d / out
    spelled = d / "x" / ".." / out if sub else target
    (d / "x").mkdir(exist_ok=True)
    if link and out != inp:
        os.symlink(src, target)
    with command_io_guard():
        note_input(src)
        same = out == inp or (link and out != inp)
        if same:
            with pytest.raises(InputError):
                guard_output(spelled)
        else:
            guard_output(spelled)
    assert src.read_text() == "data"
    assert Path(src).exists()

"""geocode batch at its edges: outputs over inputs, resume keys, litter, headers (issue 20 #1 #2 #14-#16)."""

from __future__ import annotations

import logging
import shutil

import pandas as pd
import pytest

from geo_heart.errors import InputError
from geo_heart.geocode.batch import geocode_file

ADDRESSES = ["100 OAK ST", "200 OAK ST", "", "102 OAK ST", "nowhere at all", "202 OAK ST"]


def _table(tmp_path, name="in.csv", header="id,address"):
    f = tmp_path / name
    rows = "\n".join(f"{i},{a}" for i, a in enumerate(ADDRESSES))
    f.write_text(f"{header}\n{rows}\n")
    return f


class _Result:
    def __init__(self, code, output):
        self.exit_code, self.output = code, output


@pytest.fixture()
def run(toy_env, capsys):
    """Run the CLI entry point (its one-line error handling included)."""
    from geo_heart.cli.main import main

    def go(*args):
        with pytest.raises(SystemExit) as info:
            main(list(args))
        out = capsys.readouterr()
        return _Result(info.value.code, out.out + out.err)

    return go


def test_output_over_the_overrides_or_previous_file_is_refused(run, tmp_path):
    f = _table(tmp_path)
    fixes = tmp_path / "fixes.csv"
    fixes.write_text("address,corrected_address,lon,lat,note\nnowhere at all,100 OAK ST,,,x\n")
    before = fixes.read_bytes()
    r = run("geocode", str(f), "-o", str(fixes), "--address-column", "address",
             "--overrides", str(fixes))  # fmt: skip
    assert r.exit_code == 1 and "--overrides" in r.output and "another file" in r.output
    assert fixes.read_bytes() == before
    prev = tmp_path / "prev.csv"
    r = run("geocode", str(f), "-o", str(prev), "--address-column", "address")
    assert r.exit_code == 0, r.output
    before = prev.read_bytes()
    # another spelling of the same file
    other = tmp_path / "sub" / ".." / "prev.csv"
    (tmp_path / "sub").mkdir()
    r = run("geocode", str(f), "-o", str(other), "--address-column", "address",
             "--retry-failed", str(prev))  # fmt: skip
    assert r.exit_code == 1 and "--retry-failed" in r.output
    assert prev.read_bytes() == before
    r = run("assign", str(prev), "-o", str(other))
    assert r.exit_code == 1 and "is the input file" in r.output


def test_refusals_leave_no_trace(toy, tmp_path):
    f = _table(tmp_path, header="id,ADDRESS")
    out = tmp_path / "o.csv"
    with pytest.raises(InputError, match="no column 'address'"):
        geocode_file(toy, f, out, address_column="address")
    g = _table(tmp_path, "clash.csv", header="lon,gh_lon")
    with pytest.raises(InputError, match="no free name"):
        geocode_file(toy, g, out, address_column="gh_lon")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clash.csv", "in.csv"]


def test_duplicate_header_refused_up_front_naming_the_input(run, toy, tmp_path, monkeypatch):
    from geo_heart.geocode.match import Geocoder

    f = _table(tmp_path, header="a,address,a")
    f.write_text("a,address,a\n" + "\n".join(f"1,{x},2" for x in ADDRESSES) + "\n")

    def boom(*a, **k):  # the refusal must come before any geocoding
        raise AssertionError("geocoded before refusing")

    monkeypatch.setattr(Geocoder, "geocode_many", boom)
    for suffix in ("gpkg", "parquet", "fgb"):
        out = tmp_path / f"o.{suffix}"
        r = run("geocode", str(f), "-o", str(out), "--address-column", "address")
        assert r.exit_code == 1, r.output
        assert "in.csv" in r.output and "'a' appear more than once" in r.output
        assert ".parquet'" not in r.output  # never an internal work file
    with pytest.raises(InputError, match="in.csv"):
        geocode_file(toy, f, tmp_path / "o.parquet", address_column="address")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
    # CSV writes the header back as read: allowed
    monkeypatch.undo()
    r = run("geocode", str(f), "-o", str(tmp_path / "o.csv"), "--address-column",
             "address")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert (tmp_path / "o.csv").read_text().startswith("a,address,a,lon,")


class _Stop(Exception):
    pass


def _interrupted(ws, f, out, n=2):
    calls = []

    def hook(chunk, names):
        calls.append(len(chunk))
        if len(calls) > n:
            raise _Stop
        return chunk

    with pytest.raises(_Stop):
        geocode_file(ws, f, out, address_column="address", chunk_rows=2, chunk_hook=hook)
    return hook


def _toy_copy(tmp_path, toy_dir, name, edit=None):
    from geo_heart.area import Area

    d = tmp_path / name
    shutil.copytree(toy_dir, d)
    if edit:
        edit(d)
    return Area.load(d / "toy.toml", data_dir=d, cache_dir=tmp_path / f"cache-{name}")


def test_resume_under_other_reference_data_or_area_starts_over(tmp_path, toy_dir, caplog):
    f = _table(tmp_path)
    out = tmp_path / "o.csv"
    a = _toy_copy(tmp_path, toy_dir, "a")

    def move_oak(d):  # edited reference data: 100 OAK ST moves into another beat
        p = d / "address_points.csv"
        t = pd.read_csv(p, dtype=str, keep_default_na=False)
        t.loc[t["address"] == "100 OAK ST", ["lon", "lat"]] = ["-99.9805", "40.0195"]
        t.to_csv(p, index=False)

    b = _toy_copy(tmp_path, toy_dir, "b", move_oak)
    hook = _interrupted(a, f, out)

    def keep(chunk, names):
        return chunk

    keep.__qualname__ = hook.__qualname__
    with caplog.at_level(logging.WARNING):
        s = geocode_file(b, f, out, address_column="address", chunk_rows=2, chunk_hook=keep)
    assert s["resumed_rows"] == 0
    assert "reference data" in caplog.text and "starting over" in caplog.text
    fresh = tmp_path / "fresh.csv"
    geocode_file(b, f, fresh, address_column="address", chunk_rows=2)
    assert out.read_text() == fresh.read_text()
    whole_a = tmp_path / "a.csv"
    geocode_file(a, f, whole_a, address_column="address", chunk_rows=2)
    assert whole_a.read_text() != fresh.read_text()  # the edit matters to the answer

    # same data, another area file (its text changed): start over too
    c = _toy_copy(tmp_path, toy_dir, "c")
    _interrupted(c, f, out)
    toml = c.config.path
    toml.write_text(toml.read_text() + "\n# edited\n")
    from geo_heart.area import Area

    c2 = Area.load(toml, data_dir=toml.parent, cache_dir=tmp_path / "cache-c")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        s = geocode_file(c2, f, out, address_column="address", chunk_rows=2, chunk_hook=keep)
    assert s["resumed_rows"] == 0 and "area file" in caplog.text


def test_same_run_still_resumes(toy, tmp_path):
    f = _table(tmp_path)
    out = tmp_path / "o.csv"
    hook = _interrupted(toy, f, out)

    def keep(chunk, names):
        return chunk

    keep.__qualname__ = hook.__qualname__
    s = geocode_file(toy, f, out, address_column="address", chunk_rows=2, chunk_hook=keep)
    assert s["resumed_rows"] == 4 and s["rows"] == len(ADDRESSES)


def test_a_killed_final_join_leaves_no_temp_for_long(toy, tmp_path):
    """Only geo-heart's own marked temp folders are removed; a user's file never is, whatever
    its name (issue 30 #1: ``pts.tmp.csv``, ``calls_out.tmp.gpkg`` were deleted)."""
    from geo_heart.io.files import output_lock, temp_dir_for

    f = _table(tmp_path)
    out = tmp_path / "o.csv"
    with temp_dir_for(out) as d:  # what a killed run leaves: a marked folder
        stale = tmp_path / (d.name + ".copy")
        shutil.copytree(d, stale)
    stale = stale.rename(tmp_path / d.name)
    users = [tmp_path / n for n in (".o.csv.k3j_9xq2.tmp", "o.tmp.csv", ".o.csv.keep.tmp")]
    for u in users:
        u.write_text("y")
    unmarked = tmp_path / ".o.csv.abcd1234.geo-heart-tmp"  # our name, no marker: not ours
    unmarked.mkdir()
    geocode_file(toy, f, out, address_column="address")
    assert not stale.exists() and all(u.read_text() == "y" for u in users) and unmarked.is_dir()
    assert len(pd.read_csv(out)) == len(ADDRESSES)
    gpkg_user = tmp_path / "o.tmp.gpkg"
    gpkg_user.write_bytes(b"a user's file")
    with output_lock(tmp_path / "o.gpkg"):
        assert gpkg_user.read_bytes() == b"a user's file"

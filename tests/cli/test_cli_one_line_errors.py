"""The CLI answers bad input with one line and exit 1, never a traceback (issue 12 #1 #6 #11 #14)."""

from __future__ import annotations

import errno
import os

import pytest

from geo_heart.cli.main import main


def _run(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


@pytest.mark.parametrize(
    "args,expected",
    [
        (["lookup", "--lon", "nan", "--lat", "35"], "--lon nan"),
        (["lookup", "--lon", "-78.9", "--lat", "91"], "--lat 91.0"),
        (["lookup", "--lon", "-78.9", "--lat", "36", "--at", "0001-01-01T00:00Z"], "--at"),
    ],
)
def test_lookup_bad_values(cli_env, capsys, args, expected):
    code, _out, err = _run(capsys, *args)
    assert code == 1 and expected in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_lookup_at_the_pole_answers(cli_env, capsys):
    code, out, _err = _run(capsys, "lookup", "--lon", "0", "--lat", "-90", "--json")
    assert code == 0 and '"status": "outside"' in out


def test_assign_same_file_and_bad_output_folder(cli_env, capsys, tmp_path):
    f = tmp_path / "same.csv"
    f.write_text("lon,lat\n-78.9,36\n")
    code, _o, err = _run(capsys, "assign", str(f), "-o", str(f))
    assert code == 1 and "is the input" in err and f.read_text() == "lon,lat\n-78.9,36\n"
    (tmp_path / "file").write_text("")
    code, _o, err = _run(capsys, "assign", str(f), "-o", str(tmp_path / "file" / "o.csv"))
    assert code == 1 and "file" in err and len(err.strip().splitlines()) == 1


def test_assign_disk_full(cli_env, capsys, tmp_path, monkeypatch):
    f = tmp_path / "in.csv"
    f.write_text("lon,lat\n-78.9,36\n")

    def full(*a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full)
    code, _o, err = _run(capsys, "assign", str(f), "-o", str(tmp_path / "o.csv"))
    assert code == 1 and "disk full" in err and not (tmp_path / "o.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in.csv"]


def test_assign_latin1_names_encoding(cli_env, capsys, tmp_path):
    f = tmp_path / "in.csv"
    f.write_bytes("name,lon,lat\nCafé,-78.9,36\n".encode("latin-1"))
    code, _o, err = _run(capsys, "assign", str(f), "-o", str(tmp_path / "o.csv"))
    assert code == 1 and "--encoding" in err
    code, _o, _e = _run(
        capsys, "assign", str(f), "-o", str(tmp_path / "o.csv"), "--encoding", "latin-1"
    )
    assert code == 0 and "Café" in (tmp_path / "o.csv").read_text(encoding="utf-8")


def test_dst_spanning_export_and_header_only_files(cli_env, capsys, tmp_path):
    c = tmp_path / "c.csv"
    c.write_text(
        "REPORTEDAS,DATE_REPT,BEAT\nTRESPASS,2024-06-01T10:00:00-04:00,512\n"
        "TRESPASS,2024-12-01T10:00:00-05:00,512\n"
    )
    code, _o, err = _run(capsys, "demand", str(c), "-o", str(tmp_path / "d"))
    assert code == 0, err
    h = tmp_path / "h.csv"
    h.write_text("REPORTEDAS,DATE_REPT,BEAT\n")
    for args in (["map", str(h), "--out", str(tmp_path / "m")], ["expand", str(h), "--k", "1"]):
        code, _o, err = _run(capsys, *args)
        assert code == 1 and "no rows" in err and "Traceback" not in err


def test_a_missing_address_layer_says_how_to_point_at_the_data(
    capsys, tmp_path, monkeypatch, toy_dir
):
    """A data folder without the address points (an installed wheel run from a folder with no
    data beside it): one line naming the file and how to give the data folder."""
    import shutil

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(toy_dir / "beats.geojson", data / "beats.geojson")
    monkeypatch.setenv("GEO_HEART_AREA", str(toy_dir / "toy.toml"))
    monkeypatch.setenv("GEO_HEART_DATA", str(data))
    monkeypatch.setenv("GEO_HEART_CACHE", str(tmp_path / "cache"))
    code, _out, err = _run(capsys, "lookup", "1 MAIN ST")
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "address_points.csv" in err and "does not exist" in err
    assert "--data or GEO_HEART_DATA" in err

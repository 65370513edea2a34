"""Files an area file names are not trusted (issue 30 #12, #13, #15): names stay inside their
folder, only regular files of bounded size are read, ``data fetch`` takes https/http only,
``area check`` reads the places file as lookups do, and hostile TOML is one line naming the file."""

from __future__ import annotations

import os
import shutil

import pytest

from geo_heart.cli.main import main
from geo_heart.config.areafile import load_area
from geo_heart.config.check import check_area, check_area_warnings
from geo_heart.config.safe_files import inside_folder, relative_file_name
from geo_heart.errors import ConfigError, GeoHeartError

GOOD_PLACES = (
    "name,aliases,category,address,lon,lat,source\n"
    "Town Hall,CITY HALL,civic,,-99.9995,40.0049,test\n"
    "Oak Clinic,,clinic,100 OAK ST,,,test\n"
)


def _area(tmp_path, toy_dir, extra: str = "", places: str | None = None):
    d = tmp_path / "area"
    shutil.copytree(toy_dir, d)
    toml = d / "toy.toml"
    text = toml.read_text(encoding="utf-8") + extra
    if places is not None:
        (d / "places.csv").write_text(places, encoding="utf-8")
        text += '\n[places]\nfile = "places.csv"\n'
    toml.write_text(text, encoding="utf-8")
    return toml, d


class _Run:
    def __init__(self, code, output):
        self.exit_code, self.output = code, output


def _cli(toml, d, *args):
    """Run the CLI as a user does (errors turned into one line by ``main``)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    argv = ["--area", str(toml), "--data", str(d), "--cache", str(d / "cache"), *args]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
    return _Run(code, out.getvalue() + err.getvalue())


# ----------------------------------------------------------------------------- #12 file names
@pytest.mark.parametrize(
    "name",
    ["../victim/.bashrc", "/etc/passwd", "~/.bashrc", "a/../../b.csv", "..", "C:\\x.csv"],
)
def test_file_names_leading_out_of_their_folder_are_refused(name):
    with pytest.raises(ValueError):
        relative_file_name(name)


@pytest.mark.parametrize("name", ["beats.geojson", "sub/beats.geojson", "a/../b.csv"])
def test_file_names_inside_their_folder_pass(tmp_path, name):
    assert relative_file_name(name) == name
    assert inside_folder(tmp_path, name, what="x").parent.resolve().is_relative_to(tmp_path)


def test_data_fetch_never_writes_outside_the_data_folder(tmp_path, toy_dir):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / ".bashrc").write_text("mine\n")
    toml, d = _area(
        tmp_path,
        toy_dir,
        '\n[layers.tiger_edges]\nfile = "../../victim/.bashrc"\n'
        'download_url = "https://example.org/payload.sh"\n',
    )
    r = _cli(toml, d, "data", "fetch", "--layer", "tiger_edges")
    assert r.exit_code == 1
    assert "layers.tiger_edges.file" in r.output and "leads outside its folder" in r.output
    assert (victim / ".bashrc").read_text() == "mine\n"
    problems = check_area(toml, d)
    assert any("layers.tiger_edges.file" in p for p in problems)


def test_a_symlink_leading_out_is_refused_by_fetch(tmp_path, toy_dir):
    from geo_heart.io.fetch import _target, layer_statuses

    outside = tmp_path / "outside"
    outside.mkdir()
    toml, d = _area(
        tmp_path,
        toy_dir,
        '\n[layers.tiger_edges]\nfile = "link/x.zip"\ndownload_url = "https://example.org/x.zip"\n',
    )
    os.symlink(outside, d / "link")
    from geo_heart.area import Area

    ws = Area.load(toml, data_dir=d, cache_dir=tmp_path / "c")
    st = next(s for s in layer_statuses(ws) if s.role == "tiger_edges")
    with pytest.raises(ConfigError, match="resolves outside"):
        _target(ws, st)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/x.csv", "data:,hello", "gopher://x/"]
)
def test_data_fetch_takes_https_and_http_only(tmp_path, toy_dir, url):
    toml, d = _area(
        tmp_path, toy_dir, f'\n[layers.tiger_edges]\nfile = "e.zip"\ndownload_url = "{url}"\n'
    )
    r = _cli(toml, d, "data", "fetch", "--layer", "tiger_edges")
    assert r.exit_code == 1 and "is not an https:// or http:// URL" in r.output, r.output
    assert not (d / "e.zip").exists()


def test_calibration_of_dev_zero_is_refused_not_read(tmp_path, toy_dir):
    # an absolute path is refused by the schema; a link to /dev/zero inside the folder is not
    # a regular file: refused before any byte is read (it was read until the kernel killed it)
    toml, d = _area(tmp_path, toy_dir, '\n[calibration]\nfile = "/dev/zero"\n')
    with pytest.raises(ConfigError, match="calibration.file"):
        load_area(toml)
    toml.write_text(toml.read_text().replace('"/dev/zero"', '"zero.json"'))
    os.symlink("/dev/zero", d / "zero.json")
    problems = check_area(toml, d)
    assert any("not a regular file" in p and "calibration" in p for p in problems), problems
    from geo_heart.geocode.calibration import load_calibration

    with pytest.raises(ConfigError, match="not a regular file"):
        load_calibration(d / "zero.json")


def test_oversized_calibration_is_refused(tmp_path, monkeypatch):
    from geo_heart.config import safe_files
    from geo_heart.geocode.calibration import load_calibration

    big = tmp_path / "cal.json"
    big.write_text('{"score": {}, "pad": "' + "x" * 5000 + '"}')
    monkeypatch.setattr(safe_files, "MAX_SIDE_FILE_BYTES", 1000)
    with pytest.raises(ConfigError, match="larger than 1,000 bytes"):
        load_calibration(big)


# ----------------------------------------------------------------------------- #13 places
def test_area_check_reads_a_good_places_file(tmp_path, toy_dir):
    toml, d = _area(tmp_path, toy_dir, places=GOOD_PLACES)
    assert check_area(toml, d) == []


@pytest.mark.parametrize(
    "row,expect",
    [
        (
            "Bad, Place,,clinic,,-99.9,40.0,test",
            "not a CSV table (Expected 7 fields in line 4, saw 8)",
        ),
        ("Far Place,,clinic,,-200,40.0,test", "row 4 ('Far Place'): lon -200 is outside -180..180"),
        ("Up Place,,clinic,,-99.9,95,test", "row 4 ('Up Place'): lat 95 is outside -90..90"),
        ("Half Place,,clinic,,-99.9,,test", "give both lon and lat"),
        ("Word Place,,clinic,,west,40,test", "lon 'west' is not a number"),
        ("Nowhere,,clinic,,,,test", "neither an address nor lon/lat"),
    ],
)
def test_area_check_reports_a_bad_places_file(tmp_path, toy_dir, row, expect):
    toml, d = _area(tmp_path, toy_dir, places=GOOD_PLACES + row + "\n")
    problems = check_area(toml, d)
    assert len(problems) == 1 and "places.file" in problems[0] and expect in problems[0], problems
    assert "places.csv" in problems[0]
    r = _cli(toml, d, "area", "check", str(toml))
    assert r.exit_code == 1 and expect in r.output
    # and a lookup by address says the same in one line (it was "unexpected ParserError (a bug)")
    r = _cli(toml, d, "lookup", "100 OAK ST")
    assert r.exit_code == 1 and expect in r.output and "bug" not in r.output
    assert len(r.output.strip().splitlines()) == 1


# ----------------------------------------------------------------------------- #15 TOML
@pytest.mark.parametrize(
    "text,expect",
    [
        ("x = " + "[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply"),
        ("x = " + "9" * 5_000 + "\n", "Exceeds the limit (4300 digits)"),
        ("x = [1,\n", "not valid TOML"),
    ],
)
def test_hostile_toml_is_one_line_naming_the_file(tmp_path, capsys, text, expect):
    bad = tmp_path / "hostile.toml"
    bad.write_text(text)
    with pytest.raises(GeoHeartError) as info:
        load_area(bad)
    assert "hostile.toml" in str(info.value) and expect in str(info.value)
    with pytest.raises(SystemExit) as code:
        main(["--area", str(bad), "beats"])
    err = capsys.readouterr().err
    assert code.value.code == 1 and "hostile.toml" in err and expect in err
    assert "(a bug)" not in err and len(err.strip().splitlines()) == 1


def test_an_area_file_that_is_a_fifo_is_refused(tmp_path):
    fifo = tmp_path / "area.toml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_area(fifo)


def test_layer_files_that_are_devices_are_refused_not_read(tmp_path, toy_dir):
    from geo_heart.area import Area
    from geo_heart.errors import DataSourceError

    toml, d = _area(tmp_path, toy_dir)
    (d / "address_points.csv").unlink()
    os.symlink("/dev/zero", d / "address_points.csv")
    ws = Area.load(toml, data_dir=d, cache_dir=tmp_path / "c")
    from geo_heart.geocode.reference import index_key

    with pytest.raises(DataSourceError, match="not a regular file"):
        index_key(ws)
    (d / "beats.geojson").unlink()
    os.symlink("/dev/zero", d / "beats.geojson")
    with pytest.raises(DataSourceError, match="beats.file.*not a regular file"):
        _ = Area.load(toml, data_dir=d, cache_dir=tmp_path / "c2").beat_index


def test_area_check_never_reads_a_device_layer(tmp_path, toy_dir):
    toml, d = _area(tmp_path, toy_dir)
    (d / "address_points.csv").unlink()
    os.symlink("/dev/zero", d / "address_points.csv")
    problems = check_area(toml, d)
    assert any("layers.address_points.file" in p and "not a regular file" in p for p in problems)
    (d / "beats.geojson").unlink()
    os.symlink("/dev/zero", d / "beats.geojson")
    problems = check_area(toml, d)
    assert any("beats.file" in p and "not a regular file" in p for p in problems)
    assert check_area_warnings(toml, d) == []

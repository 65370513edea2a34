"""io.files: atomic writes, the output lock, one-line errors (issue 12 #3 #6)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time

import pytest

from geo_heart.errors import DataSourceError, InputError
from geo_heart.io.files import atomic_write, file_sha1, output_lock, refuse_same_file


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with atomic_write(target) as tmp:
        # a marked temp folder of this run beside the output, the file under the output's name
        assert tmp.parent.parent == tmp_path and tmp.name == target.name and tmp != target
        assert tmp.parent.name.endswith(".geo-heart-tmp")
        assert (tmp.parent / ".geo-heart-temp").is_file()
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_two_writers_get_distinct_temp_files(tmp_path):
    target = tmp_path / "o.csv"
    with atomic_write(target) as a, atomic_write(target) as b:
        assert a != b


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_disk_full_is_one_line(tmp_path, monkeypatch):
    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with (
        pytest.raises(DataSourceError, match="disk full") as info,
        atomic_write(tmp_path / "x") as t,
    ):
        t.write_text("x")
    assert "\n" not in str(info.value) and "'" + str(tmp_path / "x") + "'" in str(info.value)


def test_output_under_a_file_is_one_line(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(DataSourceError, match="not a folder"), atomic_write(tmp_path / "f" / "o"):
        pass


def test_lock_refuses_a_second_process_and_names_its_pid(tmp_path):
    target = tmp_path / "o.csv"
    code = (
        "import sys, time; from geo_heart.io.files import output_lock\n"
        f"with output_lock({str(target)!r}):\n"
        "    print('held', flush=True); time.sleep(30)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout.readline().strip() == b"held"
        with pytest.raises(DataSourceError, match=rf"another geo-heart run \(pid {proc.pid}\)"):
            with output_lock(target):
                pass
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    time.sleep(0.05)
    with output_lock(target):  # free again once the holder is gone
        with output_lock(target):  # re-entrant in one process
            pass
    assert not (tmp_path / ".o.csv.geo-heart-lock").exists()


def test_same_file_refused(tmp_path):
    f = tmp_path / "same.csv"
    f.write_text("a\n1\n")
    with pytest.raises(InputError, match="is the input"):
        refuse_same_file(f, tmp_path / "." / "same.csv")
    refuse_same_file(f, tmp_path / "other.csv")


def test_file_sha1(tmp_path):
    f = tmp_path / "a"
    f.write_bytes(b"abc")
    assert file_sha1(f) == "a9993e364706816aba3e25717850c26c9cd0d89d"

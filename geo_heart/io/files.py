"""Safe file writing shared by every command: atomic replace, an advisory lock, content hashes.

* :func:`atomic_write` / :func:`atomic_write_set` — write to a temp file unique to this run,
  in a marked temp folder beside the output (:func:`temp_dir_for`), then ``os.replace`` it (and
  a Shapefile's sidecars) over the output: a reader never sees a half-written file, a failed
  write keeps the old output, and two runs never share a temp file.
* :func:`command_io_guard` / :func:`note_input` / :func:`guard_output` — one guard for every
  file any command writes, checked against every file it reads.
* :func:`output_lock` — an advisory ``fcntl`` lock on ``.<name>.geo-heart-lock`` beside the output, held
  for a whole run; a second run writing the same output is refused with one clear line naming
  the first run's pid.
* :func:`file_sha1` — a file's content hash (cache keys, resume markers).
* :func:`crs_unit_to_m` — metres per unit of a projected CRS's first axis.
* :func:`refuse_same_file` / :func:`refuse_output_over_inputs` — an output that is one of the
  command's inputs (the input table, an overrides table, a previous output …) is refused before
  any work.
* :func:`remove_stale_temps` — temp folders a killed run left beside an output (name and marker
  both geo-heart's) are removed by the next run that takes the output's lock.

Every ``OSError`` becomes a :class:`~geo_heart.errors.DataSourceError` whose one-line message
names the file and the cause (missing or read-only folder, disk full …).
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import hashlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from geo_heart.errors import DataSourceError, InputError

log = logging.getLogger(__name__)

#: locks this process holds: resolved path → (file descriptor, depth)
_HELD: dict[str, list[int]] = {}


def describe_os_error(exc: OSError) -> str:
    """A short plain cause for an OSError (``disk full``, ``permission denied`` …)."""
    plain = {
        errno.ENOSPC: "disk full (no space left on device)",
        errno.EDQUOT: "disk quota exceeded",
        errno.EFBIG: "file too large for this system's file-size limit",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "read-only file system",
        errno.ENOENT: "folder does not exist",
        errno.ENOTDIR: "a part of the path is not a folder",
        errno.EISDIR: "it is a folder",
    }
    return plain.get(exc.errno, exc.strerror or str(exc))


def write_error(path: str | Path, exc: OSError) -> DataSourceError:
    """The DataSourceError for a failed write of ``path``."""
    return DataSourceError(f"cannot write {str(path)!r}: {describe_os_error(exc)}")


def ensure_folder(path: str | Path) -> Path:
    """Create the folder that will hold ``path`` and check it is writable (DataSourceError)."""
    folder = Path(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = (
            "a part of the path is a file, not a folder"
            if exc.errno == errno.EEXIST
            else describe_os_error(exc)
        )
        raise DataSourceError(f"cannot create the output folder {str(folder)!r}: {why}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DataSourceError(f"cannot write to the output folder {str(folder)!r}: not writable")
    return folder


#: every temp this tool makes is a folder ``.<output name>.<random>.geo-heart-tmp`` holding this
#: marker file; only such folders (name AND marker) are ever removed as stale
TEMP_SUFFIX = ".geo-heart-tmp"
TEMP_MARKER = ".geo-heart-temp"


@contextlib.contextmanager
def temp_dir_for(path: str | Path) -> Iterator[Path]:
    """Yield a new temp folder beside ``path``, unique to this run and marked as geo-heart's.

    The folder is ``.<name>.<random>.geo-heart-tmp`` and holds the marker file
    ``.geo-heart-temp``; it is removed (with anything left in it) when the block ends. A user's
    file can never be taken for one: :func:`remove_stale_temps` removes only folders that carry
    both the name and the marker.
    """
    p = Path(path)
    folder = ensure_folder(p)
    try:
        name = tempfile.mkdtemp(dir=folder, prefix=f".{p.name}.", suffix=TEMP_SUFFIX)
        Path(name, TEMP_MARKER).write_text(f"geo-heart temp for {p.name}, pid {os.getpid()}\n")
    except OSError as exc:
        raise write_error(p, exc) from None
    try:
        yield Path(name)
    finally:
        shutil.rmtree(name, ignore_errors=True)


def is_marked_dir(path: str | Path) -> bool:
    """True for a folder geo-heart made for its own work (it holds the marker file)."""
    p = Path(path)
    return p.is_dir() and not p.is_symlink() and (p / TEMP_MARKER).is_file()


def make_marked_dir(path: str | Path) -> Path:
    """Create (or reuse) a work folder of geo-heart's at a fixed name (a resume folder such as
    ``OUTPUT.parts/``), marked as geo-heart's. A folder of that name that is not geo-heart's is
    refused (InputError), never used or removed."""
    p = Path(path)
    if p.exists() and not is_marked_dir(p):
        raise InputError(
            f"{str(p)!r} exists and is not a work folder of geo-heart's; move it, or choose "
            "another output"
        )
    try:
        p.mkdir(parents=True, exist_ok=True)
        (p / TEMP_MARKER).write_text(f"geo-heart work folder, pid {os.getpid()}\n")
    except OSError as exc:
        raise write_error(p, exc) from None
    return p


def remove_marked_dir(path: str | Path) -> bool:
    """Remove ``path`` if it is a marked work folder of geo-heart's; anything else is left alone.
    Returns True when removed."""
    if is_marked_dir(path):
        shutil.rmtree(path, ignore_errors=True)
        return True
    return False


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Yield a temp path unique to this run beside ``path``; on success replace ``path`` with it.

    The temp file has the output's own name, inside a :func:`temp_dir_for` folder (so a writer
    that names things after the file, a GDAL layer say, sees the real name). ``path`` is first
    checked by :func:`guard_output` (never one of the running command's inputs). On any error
    the temp is removed and ``path`` is left as it was; OSErrors (disk full, read-only folder …)
    become one-line :class:`DataSourceError` naming ``path``.
    """
    p = Path(path)
    guard_output(p)
    with temp_dir_for(p) as d:
        tmp = d / p.name
        try:
            tmp.touch(mode=0o666)
            yield tmp
            os.replace(tmp, p)
        except OSError as exc:
            raise write_error(p, exc) from None


@contextlib.contextmanager
def atomic_write_set(path: str | Path, sidecars: tuple[str, ...] = ()) -> Iterator[Path]:
    """Like :func:`atomic_write` for a file written with sidecar files (a Shapefile's ``.shx``,
    ``.dbf``, ``.prj``, ``.cpg``): every file the writer made is moved into place only after the
    whole write succeeded, and the old output's sidecars that the new one lacks are removed. A
    failed write (a full disk) leaves the old output whole.
    """
    p = Path(path)
    guard_output(p)
    for ext in sidecars:
        guard_output(p.with_suffix(ext))
    with temp_dir_for(p) as d:
        tmp = d / p.name
        try:
            yield tmp
            made = {f.suffix.lower(): f for f in d.iterdir() if f.name != TEMP_MARKER}
            if p.suffix.lower() not in made:
                raise OSError(errno.ENOENT, "the writer made no file")
            # the main file last: a reader sees the old set or a new one beside the new main file
            for _ext, f in sorted(made.items(), key=lambda kv: kv[0] == p.suffix.lower()):
                os.replace(f, p.with_suffix(f.suffix))
            for ext in sidecars:
                old = p.with_suffix(ext)
                if ext.lower() not in made and old.exists():
                    old.unlink()
        except OSError as exc:
            raise write_error(p, exc) from None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def lock_path(path: str | Path) -> Path:
    """The lock file that guards ``path``: ``.<name>.geo-heart-lock`` in the same folder (a name
    of geo-heart's own, like its temps: never a user's file)."""
    p = Path(path)
    return p.with_name(f".{p.name}.geo-heart-lock")


@contextlib.contextmanager
def output_lock(path: str | Path) -> Iterator[None]:
    """Hold an advisory lock on ``path`` for the ``with`` block (re-entrant in one process).

    Raises
    ------
    DataSourceError
        ``'OUTPUT' is being written by another geo-heart run (pid N)`` when another process
        holds it; or the output folder cannot be created.
    """
    import fcntl

    p = Path(path)
    ensure_folder(p)
    key = str(p.resolve())
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield
        finally:
            _HELD[key][1] -= 1
        return
    lp = lock_path(p)
    while True:
        try:
            fd = os.open(lp, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise write_error(p, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                pid = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            finally:
                os.close(fd)
            raise DataSourceError(
                f"{str(p)!r} is being written by another geo-heart run (pid {pid}); "
                "wait for it to finish or choose another output"
            ) from None
        # the holder before us may have removed the file after we opened it: lock the live one
        try:
            same = os.fstat(fd).st_ino == os.stat(lp).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode("ascii"))
    _HELD[key] = [fd, 1]
    remove_stale_temps(p)  # we are the only writer of p now: any temp of p is a dead run's
    try:
        yield
    finally:
        _HELD[key][1] -= 1
        if _HELD[key][1] == 0:
            del _HELD[key]
            with contextlib.suppress(OSError):
                lp.unlink()
            os.close(fd)


def remove_stale_temps(path: str | Path) -> list[Path]:
    """Remove the temp folders a killed run left beside ``path``.

    Only folders named ``.<name>.<random>.geo-heart-tmp`` that hold geo-heart's marker file
    (:func:`temp_dir_for`) are removed: never a user's file, whatever its name.

    Only call this while holding :func:`output_lock` on ``path``: then no live run is writing
    ``path``, so such a folder is what a killed run (``kill -9``, power loss) left behind.
    Returns the folders removed.
    """
    p = Path(path)
    pattern = re.compile(rf"^\.{re.escape(p.name)}\.[A-Za-z0-9_]{{8}}{re.escape(TEMP_SUFFIX)}$")
    removed = []
    try:
        entries = list(os.scandir(p.parent))
    except OSError:
        return removed
    for entry in entries:
        if (
            pattern.match(entry.name)
            and entry.is_dir(follow_symlinks=False)
            and os.path.isfile(os.path.join(entry.path, TEMP_MARKER))
        ):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    if removed:
        log.warning("removed %d temp folder(s) an interrupted run left beside %s", len(removed), p)
    return removed


#: the files the running command reads: resolved path → label (None outside a command)
_READING: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "geo_heart_reading", default=None
)


@contextlib.contextmanager
def command_io_guard(inputs: dict[str, str | Path | None] | None = None) -> Iterator[None]:
    """The scope of one command: every file it reads is noted, and every file it writes is
    checked against them (:func:`guard_output`).

    ``inputs`` (label → path) are the files named on the command line; each reader adds the
    files it opens (:func:`note_input`).
    """
    token = _READING.set({})
    try:
        for label, path in (inputs or {}).items():
            if path is not None:
                note_input(path, label)
        yield
    finally:
        _READING.reset(token)


def note_input(path: str | Path, label: str | None = None) -> None:
    """Record that the running command reads ``path`` (a no-op outside a command)."""
    reading = _READING.get()
    if reading is None:
        return
    with contextlib.suppress(OSError, ValueError):
        key = str(Path(path).resolve())
        reading.setdefault(key, label or f"the input {str(path)!r}")


def guard_output(path: str | Path) -> None:
    """InputError when the running command would write ``path`` over a file it reads.

    Every writer calls this (:func:`atomic_write` does), so the rule holds for every file any
    command writes: into a folder (``coverage … -o out``) as well as to one named file.
    """
    reading = _READING.get()
    if not reading:
        return
    out = Path(path)
    for key, label in reading.items():
        if same_file(key, out):
            raise InputError(
                f"output {str(out)!r} is {label}; this command would overwrite it: "
                "write the result to another file or folder"
            )


def write_text_file(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically, guarded (:func:`atomic_write`)."""
    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes_file(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, guarded (:func:`atomic_write`)."""
    with atomic_write(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def save_figure(fig, path: str | Path, **kwargs) -> Path:
    """``fig.savefig`` to ``path`` atomically, guarded (:func:`atomic_write`)."""
    p = Path(path)
    kwargs.setdefault("format", p.suffix.lstrip(".").lower() or "png")
    with atomic_write(p) as tmp:
        fig.savefig(tmp, **kwargs)
    return p


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when two paths name one file (any spelling, symlinks and hard links included)."""
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists() and os.path.samefile(pa, pb):
            return True
    except OSError:
        pass
    return pa.resolve() == pb.resolve()


def refuse_output_over_inputs(
    output_path: str | Path, inputs: dict[str, str | Path | None]
) -> None:
    """InputError when the output would overwrite one of the command's inputs.

    ``inputs`` maps a label (``"the input file"``, ``"the --overrides file"`` …) to a path;
    ``None`` values are skipped.
    """
    out = Path(output_path)
    for label, path in inputs.items():
        if path is not None and same_file(path, out):
            raise InputError(f"output {str(out)!r} is {label}; write the result to another file")


def refuse_same_file(input_path: str | Path, output_path: str | Path) -> None:
    """InputError when the output would overwrite the input (same file, any spelling)."""
    refuse_output_over_inputs(output_path, {"the input file": input_path})


def file_sha1(path: str | Path, *, block: int = 1 << 20) -> str:
    """Hex SHA-1 of a file's content (read in 1 MiB blocks)."""
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(block), b""):
            h.update(chunk)
    return h.hexdigest()


def crs_unit_to_m(crs: object) -> float:
    """Metres per unit of the first axis of a projected CRS (US feet → 0.3048006…)."""
    from pyproj import CRS

    return float(CRS.from_user_input(crs).axis_info[0].unit_conversion_factor)

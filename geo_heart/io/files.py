"""Safe file writing shared by every command: atomic replace, an advisory lock, content hashes.

* :func:`atomic_write` — write to a temp file unique to this run, in the output's own folder,
  then ``os.replace`` it over the output: a reader never sees a half-written file, and two runs
  never share a temp file.
* :func:`output_lock` — an advisory ``fcntl`` lock on ``.<name>.lock`` beside the output, held
  for a whole run; a second run writing the same output is refused with one clear line naming
  the first run's pid.
* :func:`file_sha1` — a file's content hash (cache keys, resume markers).
* :func:`crs_unit_to_m` — metres per unit of a projected CRS's first axis.
* :func:`refuse_same_file` / :func:`refuse_output_over_inputs` — an output that is one of the
  command's inputs (the input table, an overrides table, a previous output …) is refused before
  any work.
* :func:`remove_stale_temps` — temp files a killed run left beside an output are removed by the
  next run that takes the output's lock.

Every ``OSError`` becomes a :class:`~geo_heart.errors.DataSourceError` whose one-line message
names the file and the cause (missing or read-only folder, disk full …).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
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


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Yield a temp path unique to this run beside ``path``; on success replace ``path`` with it.

    On any error the temp file is removed and ``path`` is left as it was; OSErrors (disk full,
    read-only folder …) become one-line :class:`DataSourceError` naming ``path``.
    """
    p = Path(path)
    folder = ensure_folder(p)
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{p.name}.", suffix=".tmp")
    except OSError as exc:
        raise write_error(p, exc) from None
    os.close(fd)
    tmp = Path(name)
    with contextlib.suppress(OSError):  # mkstemp makes 0600; a normal new file follows umask
        os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield tmp
        os.replace(tmp, p)
    except OSError as exc:
        raise write_error(p, exc) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def lock_path(path: str | Path) -> Path:
    """The lock file that guards ``path``: ``.<name>.lock`` in the same folder."""
    p = Path(path)
    return p.with_name(f".{p.name}.lock")


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


#: the random part :func:`tempfile.mkstemp` puts in a name
_MKSTEMP_RANDOM = r"[a-z0-9_]{8}"


def remove_stale_temps(path: str | Path) -> list[Path]:
    """Remove the temp files a killed run left beside ``path``.

    Those are :func:`atomic_write`'s ``.<name>.<random>.tmp`` and the vector writers'
    ``<stem>.tmp<suffix>``.

    Only call this while holding :func:`output_lock` on ``path``: then no live run is writing
    ``path``, so such a file is what a killed run (``kill -9``, power loss) left behind.
    Returns the files removed.
    """
    p = Path(path)
    # atomic_write's ".<name>.<random>.tmp", and the vector writers' "<stem>.tmp<suffix>"
    # (a name those writers overwrite on every run anyway)
    pattern = re.compile(
        rf"^(\.{re.escape(p.name)}\.{_MKSTEMP_RANDOM}\.tmp"
        rf"|{re.escape(p.stem)}\.tmp{re.escape(p.suffix)})$"
    )
    removed = []
    try:
        entries = list(os.scandir(p.parent))
    except OSError:
        return removed
    for entry in entries:
        if pattern.match(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    if removed:
        log.warning("removed %d temp file(s) an interrupted run left beside %s", len(removed), p)
    return removed


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

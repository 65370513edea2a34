"""Reading files an area file names, safely (issue 30 #12, #15).

An area file may come from anyone, so the files it names are not trusted:

* :func:`relative_file_name` — a ``file`` key is a name *inside* its folder (the data folder for
  ``[beats]`` and ``[layers.*]``, the area file's folder for ``[places]`` and ``[calibration]``):
  never absolute, never ``~``, never ``..`` leading out. The schema applies it to every ``file``.
* :func:`inside_folder` — the same rule where a path is joined to its folder (``data fetch``
  writes only there).
* :func:`read_limited` — only regular files (a FIFO, ``/dev/zero`` or a socket is refused, never
  read), and at most a stated size.
"""

from __future__ import annotations

import os
import posixpath
import stat
from pathlib import Path

from geo_heart.errors import ConfigError

#: Largest area file (TOML) or scenario file, bytes (Durham's is ~25 kB).
MAX_AREA_FILE_BYTES = 2_000_000
#: Largest calibration table (JSON) or places table (CSV), bytes.
MAX_SIDE_FILE_BYTES = 20_000_000


def relative_file_name(value: str) -> str:
    """``value`` if it names a file inside its folder, else ``ValueError`` saying why."""
    text = str(value)
    if "\0" in text:
        raise ValueError("a file name cannot hold a NUL character")
    unified = text.replace("\\", "/")
    if unified.startswith(("/", "~")) or (len(unified) > 1 and unified[1] == ":"):
        raise ValueError(
            f"{text!r} is not a name inside its folder: give a path relative to the folder "
            "(no absolute path, no ~)"
        )
    norm = posixpath.normpath(unified)
    if norm == ".." or norm.startswith("../") or norm in (".", ""):
        raise ValueError(f"{text!r} leads outside its folder: no '..' out of it")
    return text


def inside_folder(folder: str | os.PathLike[str], name: str, *, what: str) -> Path:
    """``folder / name``, refusing a ``name`` that leads outside ``folder`` (``ConfigError``)."""
    try:
        relative_file_name(name)
    except ValueError as exc:
        raise ConfigError(f"{what}: {exc}") from None
    base = Path(folder)
    target = base / name
    base_real = os.path.realpath(base)
    target_real = os.path.realpath(target.parent)
    if os.path.commonpath([base_real, target_real]) != base_real:
        raise ConfigError(f"{what}: {name!r} resolves outside {str(base)!r}")
    return target


def require_regular_file(path: str | os.PathLike[str], *, what: str) -> Path:
    """``path`` if it is a regular file (following links); else one-line ``ConfigError``."""
    p = Path(path)
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        raise ConfigError(f"{what} {str(p)!r} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"{what} {str(p)!r} cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise ConfigError(f"{what} {str(p)!r} is a folder, not a file")
    if not stat.S_ISREG(mode):
        raise ConfigError(
            f"{what} {str(p)!r} is not a regular file (a pipe, device or socket); "
            "give a file on disk"
        )
    return p


def read_limited(path: str | os.PathLike[str], *, max_bytes: int, what: str) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; else one-line ``ConfigError``."""
    p = require_regular_file(path, what=what)
    try:
        with open(p, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError(f"{what} {str(p)!r} cannot be read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise ConfigError(f"{what} {str(p)!r} is larger than {max_bytes:,} bytes")
    return data

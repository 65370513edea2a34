"""Fetching official layers, and checking what an area's data folder holds.

The area file names a download address for the beats layer (``beats.source_url``) and, optionally,
for other layers: ``layers.<role>.download_url``, or a ``source_url`` that names a file of the
layer's own type (``…/tl_2024_37063_edges.zip`` for ``file = "tl_2024_37063_edges.zip"``; a
``source_url`` that is a portal page or a service root is documentation, never downloaded). A layer
with ``optional = true`` may be absent: ``data check`` lists it as optional and does not fail. :func:`fetch_layers` downloads them into the data
folder (to a temporary name first, then renamed, so an interrupted download leaves nothing half
written). Only ``https://`` and ``http://`` addresses are fetched (redirects too), and only into
the data folder: a ``file`` leading out of it is refused (issue 30 #12). The tests serve files
from a loopback HTTP server.
"""

from __future__ import annotations

import logging
import shutil
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from geo_heart.errors import DataSourceError
from geo_heart.geo.workspace import Workspace
from geo_heart.io.files import atomic_write

log = logging.getLogger(__name__)

#: URL schemes ``data fetch`` downloads from.
FETCH_SCHEMES = ("https", "http")


def _check_url(role: str, url: str) -> None:
    scheme = urllib.parse.urlparse(url).scheme.lower()
    if scheme not in FETCH_SCHEMES:
        raise DataSourceError(
            f"layer {role!r}: download address {url[:200]!r} is not an https:// or http:// URL; "
            "refused"
        )


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to https/http addresses only (urllib would also follow ftp)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        _check_url("redirect", newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _target(ws: Workspace, st: LayerStatus) -> Path:
    """The layer's file, inside the data folder (refused otherwise)."""
    from geo_heart.config.safe_files import inside_folder

    data_dir = Path(ws.settings.data_dir)
    try:
        name = st.path.relative_to(data_dir).as_posix()
    except ValueError:
        name = str(st.path)  # absolute elsewhere: inside_folder refuses it
    return inside_folder(data_dir, name, what=f"layer {st.role!r} file")


@dataclass(frozen=True)
class LayerStatus:
    """One configured layer: its role, file, whether it exists, and where it can be downloaded."""

    role: str
    path: Path
    exists: bool
    size_bytes: int
    download_url: str | None
    optional: bool = False


def _suffixes(name: str) -> str:
    """``.osm.pbf``, ``.zip``, ``.csv`` …: the file type part of a name (lower case)."""
    return "".join(Path(name).suffixes[-2:]).lower() if name else ""


def download_url(table: dict) -> str | None:
    """The layer's download address: ``download_url``, else a ``source_url`` naming a file of the
    layer's type (same ending as ``file``), else None."""
    if table.get("download_url"):
        return str(table["download_url"])
    url = str(table.get("source_url") or "")
    file = str(table.get("file") or "")
    if not url or not file:
        return None
    path = urllib.parse.urlparse(url).path
    want = Path(file).suffix.lower()
    if path.lower().endswith(_suffixes(file)) or (want and Path(path).suffix.lower() == want):
        return url
    return None


def layer_statuses(ws: Workspace) -> list[LayerStatus]:
    """Every file the area configuration names, with presence and size."""
    entries = [("beats", ws.config.beats.file, ws.config.beats.source_url, False)]
    for role, table in ws.config.layers.items():
        entries.append((role, table["file"], download_url(table), bool(table.get("optional"))))
    out = []
    for role, file, url, optional in entries:
        p = ws.data_path(file)
        size = p.stat().st_size if p.is_file() else 0
        out.append(LayerStatus(role, p, p.is_file(), size, url, optional))
    return out


def fetch_layers(
    ws: Workspace,
    *,
    roles: list[str] | None = None,
    overwrite: bool = False,
    optional: bool = False,
    timeout_s: float = 60.0,
) -> list[tuple[LayerStatus, str]]:
    """Download the layers that have a download address.

    Optional layers (``optional = true``) are downloaded only when ``optional`` is true or
    ``roles`` names them (the OpenStreetMap state extract is hundreds of megabytes).

    Returns
    -------
    list of (LayerStatus, outcome)
        outcome is ``"downloaded"``, ``"present"`` (kept, use ``overwrite``), ``"no download
        address"`` or ``"optional (not asked for)"``.

    Raises
    ------
    DataSourceError
        When a download fails (the message names the layer and the URL).
    """
    results = []
    for st in layer_statuses(ws):
        if roles and st.role not in roles:
            continue
        if not st.download_url:
            results.append((st, "no download address"))
            continue
        if st.optional and not optional and not roles:
            results.append((st, "optional (not asked for)"))
            continue
        if st.exists and not overwrite:
            results.append((st, "present"))
            continue
        _check_url(st.role, st.download_url)
        _target(ws, st)
        st.path.parent.mkdir(parents=True, exist_ok=True)
        opener = urllib.request.build_opener(_HttpOnlyRedirects)
        try:
            # a marked temp of our own (io.files.atomic_write): never a user's file
            with (
                atomic_write(st.path) as tmp,
                opener.open(st.download_url, timeout=timeout_s) as resp,
                open(tmp, "wb") as fh,
            ):  # noqa: S310
                shutil.copyfileobj(resp, fh)
                fh.flush()
                if fh.tell() == 0:
                    raise DataSourceError(f"layer {st.role!r}: {st.download_url} returned nothing")
        except (OSError, ValueError) as exc:
            raise DataSourceError(
                f"layer {st.role!r}: cannot download {st.download_url}: {exc}"
            ) from None
        log.info("downloaded %s to %s", st.role, st.path)
        results.append(
            (
                LayerStatus(
                    st.role, st.path, True, st.path.stat().st_size, st.download_url, st.optional
                ),
                "downloaded",
            )
        )
    return results

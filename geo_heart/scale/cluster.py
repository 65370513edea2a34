"""A dask cluster for the batch commands: start or connect, ship the area once, map chunks in order.

The area's indexes (geocoder reference, beat grid, census polygons) are built once in the calling
process and scattered to every worker with ``broadcast=True``; each task receives that one copy, so
no worker ever rebuilds an index per partition. :class:`DaskExecutor` keeps a bounded number of
chunks in flight (memory stays flat whatever the input's length) and yields the results in input
order; a task whose worker is lost is rerun by the scheduler and its result is still taken once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from geo_heart.errors import InputError, MissingExtraError

log = logging.getLogger(__name__)

#: Environment variable naming an existing scheduler (dask's own name for it).
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
#: Indexes a task may need: ``geocoder`` (reference index + beats), ``beats``, ``census``.
INDEXES = ("geocoder", "beats", "census")


def require_dask() -> None:
    """Raise a one-line :class:`MissingExtraError` when dask.distributed is not installed."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError(
            f"--engine dask needs the optional dask extra ({exc.name} is not installed): "
            "pip install 'geo-heart[dask]'"
        ) from None


def scheduler_address(scheduler: str | None = None) -> str | None:
    """The scheduler to use: ``scheduler`` if given, else ``$DASK_SCHEDULER_ADDRESS``, else None."""
    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    return address.strip() if address else None


def local_cluster_size() -> tuple[int, int]:
    """(workers, threads per worker) for a LocalCluster on this machine: one single-threaded
    worker process per usable core (geocoding holds the GIL, so processes, not threads)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores), 1


@contextmanager
def dask_client(
    scheduler: str | None = None,
    *,
    workers: int | None = None,
    processes: bool = True,
    threads_per_worker: int | None = None,
) -> Iterator[Any]:
    """A ``distributed.Client``: connected to ``scheduler`` (or ``$DASK_SCHEDULER_ADDRESS``), or
    to a ``LocalCluster`` started here and closed on exit.

    Parameters
    ----------
    workers
        LocalCluster worker count (default: one per core); ignored with a scheduler address.
    processes
        LocalCluster workers as processes (default) or threads in this process (tests).
    """
    require_dask()
    from distributed import Client, LocalCluster

    if not log.isEnabledFor(logging.DEBUG):  # the cluster's own start/stop chatter
        for name in ("distributed", "dask"):
            logging.getLogger(name).setLevel(logging.WARNING)

    address = scheduler_address(scheduler)
    if address:
        try:
            client = Client(address, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the dask scheduler {address!r}: {exc}") from None
        try:
            client.wait_for_workers(1, timeout=120)
            yield client
        finally:
            client.close()
        return
    n, threads = local_cluster_size()
    n = workers or n
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=threads_per_worker or threads,
        processes=processes,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def warm_area(ws, needs: Iterable[str]) -> Any:
    """A fresh :class:`~geo_heart.geo.workspace.Workspace` of the same settings and area file
    with the named indexes built (the tasks' only state).

    A copy, so the caller's area is left as it was and the copy can be dropped once shipped.
    """
    from geo_heart.geo.workspace import Workspace

    unknown = set(needs) - set(INDEXES)
    if unknown:
        raise ValueError(f"unknown index names {sorted(unknown)}; use {list(INDEXES)}")
    area = Workspace(settings=ws.settings, config=ws.config)
    area.beat_index  # noqa: B018  (built or read from the cache folder)
    if "geocoder" in needs:
        from geo_heart.geocode.match import geocoder_for

        geocoder_for(area)
    if "census" in needs:
        from geo_heart.errors import ConfigError
        from geo_heart.geo.census import CENSUS_LAYERS, _polygons

        for role in CENSUS_LAYERS:
            try:
                area.config.layer_value(role, "file")
            except ConfigError:
                continue  # not configured: add_census_geoids skips it too
            _polygons(area, role)
    return area


class DaskExecutor:
    """Runs ``func(area, chunk, **options)`` on a dask cluster for a stream of chunks, in order.

    Parameters
    ----------
    client
        A ``distributed.Client`` (:func:`dask_client`).
    ws
        The area; its indexes named in ``needs`` are built once here and scattered to every
        worker (``broadcast=True``) before the first task.
    needs
        Which indexes the tasks use (see :data:`INDEXES`).
    in_flight
        Chunks submitted but not yet taken back (default: twice the cluster's threads); bounds
        the memory of this process and of the workers.
    retries
        Times a failing task is retried (a lost worker is always rerun by the scheduler).
    """

    def __init__(
        self,
        client,
        ws,
        *,
        needs: Iterable[str] = ("geocoder", "census"),
        in_flight: int | None = None,
        retries: int = 1,
    ) -> None:
        self.client = client
        self.retries = retries
        threads = sum(client.nthreads().values()) or 1
        self.threads = threads
        self.in_flight = in_flight or 2 * threads
        payload = pickle.dumps(warm_area(ws, tuple(needs)), protocol=5)
        self.token = hashlib.sha1(payload).hexdigest()
        # bytes, not the object: a worker may fetch them from a peer at any time (a restarted
        # worker, replicas dropped by the memory manager), while the unpickled area changes as
        # it is used (memos) and is kept by each worker process (see shipped_area)
        self.area = client.scatter(payload, broadcast=True, hash=False)
        self.area_bytes = len(payload)
        del payload

    def map_ordered(
        self, func: Callable[..., Any], chunks: Iterable[Any], /, **options: Any
    ) -> Iterator[Any]:
        """Yield ``func(area, chunk, **options)`` for every chunk, in the order of ``chunks``.

        At most ``in_flight`` chunks are on the cluster at a time. Each chunk travels inside its
        task (not scattered), so a task whose worker dies is rerun from its own copy; a task's
        error is raised here as the task raised it, after the pending tasks are cancelled.
        """
        pending: deque = deque()
        try:
            for chunk in chunks:
                pending.append(self._submit(func, chunk, options))
                if len(pending) >= self.in_flight:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            if pending and self.client.status == "running":
                self.client.cancel(list(pending))

    def _submit(self, func, chunk, options):
        with warnings.catch_warnings():  # a chunk of a few MB inside its task is intended
            warnings.filterwarnings("ignore", message=".*[Ll]arge (graph|object).*")
            return self.client.submit(
                _run_task,
                self.token,
                self.area,
                chunk,
                _work=func,
                pure=False,
                retries=self.retries,
                **options,
            )

    def close(self) -> None:
        """Release the shipped area on the cluster."""
        self.client.cancel([self.area])


#: token → the unpickled area, per worker process (a few at most: one per running command)
_SHIPPED: dict[str, Any] = {}
_SHIPPED_LOCK = threading.Lock()


def shipped_area(token: str, payload: bytes) -> Any:
    """The area shipped as ``payload``, unpickled once per worker process and kept there."""
    with _SHIPPED_LOCK:
        area = _SHIPPED.get(token)
        if area is None:
            while len(_SHIPPED) >= 2:  # an earlier command's area
                _SHIPPED.pop(next(iter(_SHIPPED)))
            area = _SHIPPED[token] = pickle.loads(payload)
        return area


def _run_task(token: str, payload: bytes, chunk: Any, *, _work: Callable, **options: Any) -> Any:
    return _work(shipped_area(token, payload), chunk, **options)

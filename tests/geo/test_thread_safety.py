"""Threads sharing one beat index must not crash the process.

GEOS builds a prepared polygon's internal index on its first use; two threads doing that at once
abort the whole process (``tcache_thread_shutdown(): unaligned tcache chunk detected``). The service
answers from a thread pool, so single-point lookups on beat edges, from many threads at once on a
fresh index, are exactly what it does. The stress runs in a child process so that a regression
shows as a failed test, not as a crashed test run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys, threading
    import numpy as np, shapely
    from geo_heart.geo.beats import BeatIndex

    path, id_field, cache, trials = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    rng = np.random.default_rng(7)
    located = 0
    for _ in range(trials):
        index = BeatIndex.from_file(path, id_field=id_field, cache_dir=cache)  # fresh prepared geoms
        pts = []
        for g in index.geoms:  # points within ~1 m of every beat outline: edge cells, exact tests
            xy = shapely.get_coordinates(shapely.boundary(g))
            pick = xy[rng.integers(0, len(xy), 30)]
            pts.append(pick + rng.normal(0, 1e-5, pick.shape))
        pts = np.concatenate(pts)
        start = threading.Barrier(8)
        found = [0] * 8

        def work(k):
            start.wait()
            for x, y in pts[k::8]:
                found[k] += index.locate(float(x), float(y)).beat is not None

        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        located += sum(found)
    print(located, len(pts) * trials)
    """
)


def _run(path, id_field, cache, trials):
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path), id_field, str(cache), str(trials)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_toy_edge_lookups_from_threads(toy_dir, tmp_path):
    proc = _run(toy_dir / "beats.geojson", "BEAT", tmp_path, 5)
    assert proc.returncode == 0, proc.stderr[-2000:]
    located, total = map(int, proc.stdout.split())
    assert total > 0 and located > 0.4 * total  # edge points fall on either side of the outline


@pytest.mark.slow
def test_durham_edge_lookups_from_threads(data_dir, tmp_path):
    # Without the lock this aborted the child in 3 runs of 3 (20 fresh indexes each).
    proc = _run(data_dir / "police_beats.geojson", "LAWBEAT", tmp_path, 10)
    assert proc.returncode == 0, proc.stderr[-2000:]
    located, total = map(int, proc.stdout.split())
    assert total > 0 and located > 0.4 * total

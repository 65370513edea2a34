"""Scale-out: the batch commands on a dask cluster (``--engine dask``, the optional ``[dask]`` extra).

The local engine's per-chunk functions run unchanged on dask.distributed workers:

* :mod:`geo_heart.scale.cluster` starts a ``LocalCluster`` sized to the machine or connects to a
  scheduler address, and ships the area's indexes (geocoder reference, beats, census layers) to
  every worker once; :class:`~geo_heart.scale.cluster.DaskExecutor` maps a chunk function over a
  stream of chunks with a bounded number in flight and hands the results back in input order;
* :mod:`geo_heart.scale.run` runs ``geocode`` and ``assign`` with it, into one output file or a
  partitioned GeoParquet dataset (a folder), from one file or a glob/folder of partitions;
* :mod:`geo_heart.scale.demand` sums per-partition demand counts into the local engine's tables.

Nothing here is imported unless ``--engine dask`` is asked for; without dask installed that fails
in one line naming the extra.
"""

"""The ``geo-heart`` command line (click). See :mod:`geo_heart.cli.main`."""

"""The :class:`Workspace`: one area's settings, validated area file and the indexes built from them.

This is the bundle of *pieces* the lower layers work with: the configuration
(:class:`~geo_heart.config.areafile.AreaConfig`), the folders (:class:`~geo_heart.config.settings.Settings`),
the :class:`~geo_heart.geo.beats.BeatIndex` and a per-area cache for the indexes built from them
(geocoder reference, call-type table, adjacency, road network, population by beat).

It holds no verbs: the library's face, :class:`geo_heart.area.Area`, extends it with ``lookup``,
``geocode``, ``assign``, ``demand`` … and calls *down* into the analysis, dispatch and geocode
modules, which take a ``Workspace`` (or just the piece they need) and never import the face.
Caches are kept on the object that built them, never in module globals, so two areas in one
process never share or confuse caches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from geo_heart.config.areafile import AreaConfig, load_area
from geo_heart.config.calltypes import CallTypeTable, call_type_table
from geo_heart.config.settings import Settings
from geo_heart.geo.beats import BeatIndex

T = TypeVar("T")


@dataclass
class Workspace:
    """An area's validated configuration + settings + lazily built indexes.

    Parameters
    ----------
    settings
        Data folder, cache folder, area name.
    config
        The validated area file (:class:`~geo_heart.config.areafile.AreaConfig`).
    """

    settings: Settings
    config: AreaConfig
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings | None = None):
        """Load the area configuration named by ``settings`` (validated)."""
        settings = settings or Settings()
        return cls(settings=settings, config=load_area(settings.area_file))

    # ------------------------------------------------------------------ caches
    def cached(self, key: Any, build: Callable[[], T]) -> T:
        """Return the value cached under ``key`` on this area, building it on first use."""
        try:
            return self._cache[key]
        except KeyError:
            value = self._cache[key] = build()
            return value

    def forget(self, key: Any) -> None:
        """Drop one cached value (e.g. after rebuilding an index)."""
        self._cache.pop(key, None)

    @cached_property
    def beat_index(self) -> BeatIndex:
        """The beat index (built once, then read from the cache folder)."""
        return BeatIndex.from_area(
            self.config, self.settings.data_dir, cache_dir=self.settings.cache_dir
        )

    @property
    def call_types(self) -> CallTypeTable:
        """The area's call-type table."""
        return call_type_table(self.config)

    # ------------------------------------------------------------------ data files
    def data_path(self, relative: str | Path) -> Path:
        """A file named in the configuration, resolved against the data folder."""
        return self.settings.data_path(relative)

    def layer_path(self, role: str) -> Path:
        """Path of the ``[layers.<role>]`` file in the data folder."""
        return self.data_path(self.config.layer_value(role, "file"))


class NoServiceArea:
    """Stands in for a service area when no program is in force: contains nothing."""

    label = "no service area (no program in force)"

    @staticmethod
    def contains(beat) -> bool:
        return False


def service_area_today(config: AreaConfig):
    """The service area in force today (rules over time), for ``in_service_area`` in results;
    a :class:`NoServiceArea` when no program is in force."""
    sa = config.service_area_now()
    return sa if sa is not None else NoServiceArea()

"""A workspace: settings + area configuration + lazily built indexes, shared by CLI and service.

>>> ws = Workspace.from_settings(Settings())            # doctest: +SKIP
>>> ws.beat_index.locate(-78.9, 35.99).beat             # doctest: +SKIP
'512'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from geo_heart.config.areafile import AreaConfig, load_area
from geo_heart.config.calltypes import CallTypeTable, call_type_table
from geo_heart.config.settings import Settings
from geo_heart.geo.beats import BeatIndex


@dataclass
class Workspace:
    """Everything a command needs, loaded once."""

    settings: Settings
    area: AreaConfig
    _extras: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Workspace:
        """Load the area configuration named by ``settings`` (validated)."""
        settings = settings or Settings()
        return cls(settings=settings, area=load_area(settings.area_file))

    @cached_property
    def beat_index(self) -> BeatIndex:
        """The beat index (built once, then read from the cache folder)."""
        return BeatIndex.from_area(
            self.area, self.settings.data_dir, cache_dir=self.settings.cache_dir
        )

    @property
    def call_types(self) -> CallTypeTable:
        """The area's call-type table."""
        return call_type_table(self.area)

    def data_path(self, relative: str | Path) -> Path:
        """A file named in the configuration, resolved against the data folder."""
        return self.settings.data_path(relative)

    def layer_path(self, role: str) -> Path:
        """Path of the ``[layers.<role>]`` file in the data folder."""
        return self.data_path(self.area.layer_value(role, "file"))

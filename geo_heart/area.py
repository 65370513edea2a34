"""The :class:`Area`: one city's configuration, data folder and every index and cache built from them.

``Area`` is the library's entry point; the CLI and the HTTP service hold one each::

    >>> import geo_heart as gh
    >>> area = gh.Area.load("durham")                                  # doctest: +SKIP
    >>> area.lookup(lon=-78.89055, lat=36.00169, call_type="trespass",
    ...             at="2023-03-14T11:00")["beat"]                    # doctest: +SKIP
    '111'

Indexes (beats, geocoder reference, call-type table, adjacency, road network, population by beat)
are built on first use and kept on the ``Area`` that built them, never in module globals, so two
areas in one process never share or confuse caches.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo_heart.config.settings import Settings
from geo_heart.geo.workspace import Workspace

if TYPE_CHECKING:  # pragma: no cover
    from datetime import datetime

    import pandas as pd

    from geo_heart.analysis.calls import CallData
    from geo_heart.geocode.match import Geocoder


class Area(Workspace):
    """An area (a city): the library's face.

    A :class:`~geo_heart.geo.workspace.Workspace` (validated configuration + settings + lazily
    built indexes) with the verbs a user calls. The face calls down into the geocode, dispatch
    and analysis modules; nothing below imports it (an ``import-linter`` contract checks this).

    Parameters
    ----------
    settings
        Data folder, cache folder, area name.
    config
        The validated area file (:class:`~geo_heart.config.areafile.AreaConfig`).
    """

    # ------------------------------------------------------------------ construction
    @classmethod
    def load(
        cls,
        area: str | Path | None = None,
        *,
        data_dir: str | Path | None = None,
        cache_dir: str | Path | None = None,
    ) -> Area:
        """Load an area by name (``"durham"`` → ``boundaries/durham.toml``) or TOML path.

        Parameters
        ----------
        area
            Name or path; default ``GEO_HEART_AREA`` or ``durham``.
        data_dir, cache_dir
            Override the data and cache folders (default: settings / environment).
        """
        settings = Settings().with_overrides(
            area=None if area is None else str(area), data_dir=data_dir, cache_dir=cache_dir
        )
        return cls.from_settings(settings)

    def geocoder(self, *, rebuild: bool = False) -> Geocoder:
        """The offline geocoder (reference index built once, cached on disk and here)."""
        from geo_heart.geocode.match import geocoder_for

        return geocoder_for(self, rebuild=rebuild)

    # ------------------------------------------------------------------ the verbs
    def lookup(
        self,
        address: str | None = None,
        *,
        lon: float | None = None,
        lat: float | None = None,
        call_type: str | None = None,
        at: datetime | str | None = None,
        weapon: bool = False,
        scenario: str | None = None,
    ) -> dict[str, Any]:
        """Dispatch lookup by address text or by WGS84 point.

        Returns the dispatch answer (see :mod:`geo_heart.dispatch.lookup` for its keys): beat,
        location status and confidence, and which program may take ``call_type`` at ``at``
        (default: now, in the area's time zone).
        """
        from geo_heart.dispatch.lookup import lookup_address, lookup_point
        from geo_heart.errors import InputError

        if address is not None and (lon is not None or lat is not None):
            raise InputError("give an address or lon/lat, not both")
        if address is not None:
            return lookup_address(
                self, address, call_type=call_type, at=at, risk=weapon, scenario=scenario
            )
        if lon is None or lat is None:
            raise InputError("give an address, or both lon and lat")
        return lookup_point(
            self, lon, lat, call_type=call_type, at=at, risk=weapon, scenario=scenario
        )

    def geocode(self, addresses: Any) -> pd.DataFrame:
        """Geocode address texts (a string, a list or a pandas Series); one row per input."""
        import pandas as pd

        from geo_heart.geocode.batch import geocode_frame

        if isinstance(addresses, str):
            addresses = [addresses]
        frame = pd.DataFrame({"address": pd.Series(list(addresses), dtype=object)})
        return geocode_frame(self, frame, address_column="address")

    def load_calls(self, path: str | Path | None = None, **options: Any) -> CallData:
        """Read, classify, place and time a call table (default ``[layers.calls]``)."""
        from geo_heart.analysis.calls import load_calls

        return load_calls(self, path, **options)

    def demand(self, data: CallData | None = None) -> pd.DataFrame:
        """Eligible demand by beat (calls per program, per resident, per sq mi).

        Population columns are empty when the area file has no ``[layers.population]``.
        """
        from geo_heart.analysis.demand import beat_demand

        data = data if data is not None else self.load_calls()
        return beat_demand(self, data, population="population" in self.config.layers)

    def coverage(self, data: CallData | None = None, *, scenarios: list[str] | None = None):
        """Coverage table (area, hours, both) for the current rules and named scenarios."""
        from geo_heart.analysis.coverage import coverage_table, resolve_what_ifs

        data = data if data is not None else self.load_calls()
        return coverage_table(data, resolve_what_ifs(self, scenarios=scenarios or []))

    def equity(self, data: CallData | None = None, **options: Any):
        """Who the service area reaches under a rule set (``rules=``/``as_of=``), by census tract
        and resident group (:func:`geo_heart.analysis.equity.equity_analysis`)."""
        from geo_heart.analysis.equity import equity_analysis

        data = data if data is not None else self.load_calls()
        return equity_analysis(self, data, **options)

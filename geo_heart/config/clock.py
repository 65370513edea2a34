"""The one clock geo-heart reads for "now".

Every "now" in the package (a lookup without a time, the rules in force today, the staffing
basis, the forecast's programs) comes from :func:`now_local`, so one setting can pin it:
``GEO_HEART_NOW`` (an ISO 8601 time) makes the whole tool answer as if it were that moment, for
drills, replays of a shift and reproducible tests. A time with an offset (``2024-06-01T15:00Z``)
names an instant and is converted to the area's zone; a time without one is read as the area's
own wall-clock time. Unset or empty: the real clock.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

from geo_heart.errors import ConfigError

ENV = "GEO_HEART_NOW"


def now_local(tz: str) -> datetime:
    """Now as a naive wall-clock time in ``tz`` (``GEO_HEART_NOW`` when set).

    Raises
    ------
    ConfigError
        ``GEO_HEART_NOW`` is set but is not an ISO 8601 time in range.
    """
    pinned = os.environ.get(ENV, "").strip()
    if not pinned:
        return datetime.now(ZoneInfo(tz)).replace(tzinfo=None)
    from geo_heart.config.times import parse_iso
    from geo_heart.errors import InputError

    try:
        moment = parse_iso(pinned)
    except InputError as exc:
        raise ConfigError(f"environment {ENV}: {exc}") from None
    if moment.tzinfo is not None:
        return moment.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return moment


def today_local(tz: str) -> date:
    """Today's date in ``tz`` (``GEO_HEART_NOW`` when set)."""
    return now_local(tz).date()

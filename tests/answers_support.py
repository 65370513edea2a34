"""Comparing geocoder answers in tests: two result values are the same answer."""

from __future__ import annotations

import math


def same(a, b) -> bool:
    """``a == b``, a float NaN counting as missing (None)."""
    if isinstance(a, float) and math.isnan(a):
        a = None
    if isinstance(b, float) and math.isnan(b):
        b = None
    return a == b

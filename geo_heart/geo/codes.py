"""Beat codes: one spelling everywhere (``111.0``, ``" 111 "`` and ``111`` are all ``"111"``)."""

from __future__ import annotations

import math


def beat_code(value: object) -> str:
    """Beat ids as strings: 111.0 → '111', ' 111 ' → '111'; missing values → ''."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        return text[:-2]
    return text


def beat_sort_key(code: str) -> tuple:
    """Sort key for beat codes: numeric codes numerically, then the rest."""
    return (0, int(code), code) if code.isdigit() else (1, 0, code)

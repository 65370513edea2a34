"""Spelled ordinals of street names (``FIRST`` … ``NINETY NINTH`` → ``1ST`` … ``99TH``)."""

from __future__ import annotations

_UNITS_WORDS = ("", "FIRST", "SECOND", "THIRD", "FOURTH", "FIFTH", "SIXTH", "SEVENTH", "EIGHTH",
                "NINTH")  # fmt: skip
_TEENS = ("TENTH", "ELEVENTH", "TWELFTH", "THIRTEENTH", "FOURTEENTH", "FIFTEENTH", "SIXTEENTH",
          "SEVENTEENTH", "EIGHTEENTH", "NINETEENTH")  # fmt: skip
_TENS = ("", "", "TWENTY", "THIRTY", "FORTY", "FIFTY", "SIXTY", "SEVENTY", "EIGHTY", "NINETY")
_TENS_TH = ("", "", "TWENTIETH", "THIRTIETH", "FORTIETH", "FIFTIETH", "SIXTIETH", "SEVENTIETH",
            "EIGHTIETH", "NINETIETH")  # fmt: skip


def _ordinal_suffix(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "TH"
    return {1: "ST", 2: "ND", 3: "RD"}.get(n % 10, "TH")


#: Spelled ordinals (``FIRST`` … ``NINETY NINTH``, also ``TWENTY-FIRST``) → ``1ST`` … ``99TH``.
ORDINALS: dict[str, str] = {}
for _n in range(1, 100):
    if _n < 10:
        _w = _UNITS_WORDS[_n]
    elif _n < 20:
        _w = _TEENS[_n - 10]
    elif _n % 10 == 0:
        _w = _TENS_TH[_n // 10]
    else:
        _w = f"{_TENS[_n // 10]} {_UNITS_WORDS[_n % 10]}"
    ORDINALS[_w] = f"{_n}{_ordinal_suffix(_n)}"

"""The parser against labelled cases (``address_cases.csv``): a new failure is a new line of data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from geo_heart.geocode.address import parse_address

with open(Path(__file__).with_name("address_cases.csv"), encoding="utf-8") as _f:
    CASES = list(csv.DictReader(_f))


@pytest.mark.parametrize("case", CASES, ids=[c["input"] for c in CASES])
def test_address_case(case):
    p = parse_address(case["input"])
    assert p.kind == case["kind"], p.reason
    if case["kind"] == "invalid":
        assert p.status == "invalid" and p.reason
        return
    got = {
        "number": "" if p.number is None else str(p.number),
        "street": p.street or "",
        "street2": p.street2 or "",
        "unit": p.unit or "",
        "city": p.city or "",
        "state": p.state or "",
        "zip": p.zip or "",
    }
    want = {k: case[k] for k in got}
    assert got == want


def test_fast_path_falls_back_to_usaddress_only_when_rules_fail(monkeypatch):
    import geo_heart.geocode.address as address

    calls = []
    real = address._parse_usaddress
    monkeypatch.setattr(address, "_parse_usaddress", lambda t: calls.append(t) or real(t))
    address.parse_address.cache_clear()
    assert address.parse_address("1200 N DUKE ST").kind == "address"
    assert address.parse_address("212 W MAIN ST, DURHAM NC").kind == "address"
    assert calls == []
    address.parse_address.cache_clear()

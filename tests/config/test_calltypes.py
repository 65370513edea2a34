"""Raw CAD codes → canonical call types, through the Durham table."""

from __future__ import annotations

import pandas as pd
import pytest

from geo_heart.config.calltypes import call_type_table
from geo_heart.errors import CallTypeError


@pytest.fixture(scope="module")
def table(workspace):
    return call_type_table(workspace.config)


@pytest.mark.parametrize(
    ("raw", "canonical", "risk", "program"),
    [
        ("CRT - TRESPASS", "trespass", False, "CRT"),
        ("TRESPASS OR UNW", "trespass", False, None),
        ("COR - DISTURBAN", "disturbance", True, "CoR"),
        ("CCD - SUICIDE T", "suicide_threat", False, "CCD"),
        ("URGENT WE", "welfare_check_urgent", False, None),
        ("NON URG W", "welfare_check_non_urgent", False, None),
        ("MENTAL HE", "mental_health_crisis", False, None),
        ("crisis with wea", "mental_health_crisis", True, None),
        ("SUICIDAL /  ATT", "suicide_threat", False, None),
        ("DOMESTIC VIOLEN", "domestic_violence", True, None),
        ("trespass", "trespass", False, None),
        ("Mental health crisis", "mental_health_crisis", False, None),
        ("PANHANDLI", "panhandling", False, None),
        ("INVOLUNTA", "involuntary_commitment", False, None),
    ],
)
def test_codes(table, raw, canonical, risk, program):
    c = table.classify(raw)
    assert (c.call_type, c.risk, c.prefix_program) == (canonical, risk, program)


def test_unknown_and_ambiguous(table):
    assert table.classify("PRIVATE TOW").call_type is None
    assert table.classify("").call_type is None
    # "ABUSE" is a full code; "AB" is too short to be read as a truncation
    assert table.classify("AB").call_type is None
    with pytest.raises(CallTypeError, match="'PRIVATE TOW' is not in the call-type table"):
        table.classify_strict("PRIVATE TOW")


def test_classify_series_keeps_order_and_length(table):
    codes = pd.Series(
        ["CRT - TRESPASS", None, "LARCENY", "CRT - TRESPASS", "MENTAL HE"], index=[5, 4, 3, 2, 1]
    )
    out = table.classify_series(codes)
    assert list(out.index) == [5, 4, 3, 2, 1]
    assert out["call_type"].tolist() == ["trespass", None, None, "trespass", "mental_health_crisis"]

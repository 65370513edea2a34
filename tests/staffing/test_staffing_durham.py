"""The staffing model on the real Durham incident table (slow: reads the full file)."""

from __future__ import annotations

import pytest

from geo_heart.analysis.calls import load_calls
from geo_heart.dispatch.eligibility import programs_for
from geo_heart.staffing import ServiceTime, arrivals_from_calls, evaluate_mol, plan_for_target


@pytest.mark.slow
def test_durham_crt_citywide_12h(workspace):
    data = load_calls(workspace, scenario="citywide_12h")
    hours = programs_for(workspace.config, "citywide_12h")["CRT"].hours
    demand = arrivals_from_calls(data, "CRT", fallback_hours=hours).scaled_to(40_000)
    assert demand.service_hours.sum() == 84  # 7 days × 12 h
    r = evaluate_mol(demand, 4, ServiceTime(60))
    assert 0.5 < r.answered_share < 0.7 and r.answered_share_all_hours < r.answered_share
    plan = plan_for_target(demand, ServiceTime(60), 0.8)
    assert plan.optimal and plan.predicted_share >= 0.8 and plan.seconds < 30

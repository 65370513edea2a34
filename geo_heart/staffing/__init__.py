"""Capacity and staffing of in-person programs as loss systems (a call that finds every team busy
goes to police).

>>> from geo_heart import staffing as st
>>> demand = st.HourlyDemand(arrivals_per_week=[2.0] * 168, service_hours=[True] * 168)
>>> round(st.evaluate_mol(demand, 3, st.ServiceTime(60)).answered_share, 4)
0.7895

Modules: :mod:`~geo_heart.staffing.erlang` (Erlang-B, modified offered load),
:mod:`~geo_heart.staffing.simulate` (SimPy), :mod:`~geo_heart.staffing.plan` (fewest team-hours
for a target), :mod:`~geo_heart.staffing.data` (inputs from call data and the area file),
:mod:`~geo_heart.staffing.analysis` and :mod:`~geo_heart.staffing.outputs` (reports).
"""

from __future__ import annotations

from geo_heart.staffing.analysis import Evaluation, StaffingResult, analyse_staffing
from geo_heart.staffing.data import (
    arrivals_from_calls,
    mask_from_schedule,
    read_shifts,
    schedule_from_text,
    service_from_config,
    staffing_config,
)
from geo_heart.staffing.erlang import (
    HourlyDemand,
    MolResult,
    ServiceTime,
    erlang_b,
    erlang_b_table,
    evaluate_mol,
    mol_load_by_minute,
    teams_array,
)
from geo_heart.staffing.plan import Plan, block_gains, blocks_for, plan_for_target, staffing_curve
from geo_heart.staffing.simulate import SimResult, simulate

__all__ = [
    "Evaluation",
    "HourlyDemand",
    "MolResult",
    "Plan",
    "ServiceTime",
    "SimResult",
    "StaffingResult",
    "analyse_staffing",
    "arrivals_from_calls",
    "block_gains",
    "blocks_for",
    "erlang_b",
    "erlang_b_table",
    "evaluate_mol",
    "mask_from_schedule",
    "mol_load_by_minute",
    "plan_for_target",
    "read_shifts",
    "schedule_from_text",
    "service_from_config",
    "simulate",
    "staffing_config",
    "staffing_curve",
    "teams_array",
]

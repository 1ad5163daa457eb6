"""Workforce operations per project: who may work on it (skills, qualification, fair spread,
budget), how they stand (probation, removal) and what their work earns.

A project without a workforce policy works as before. With one, every lease passes a gate
first (``gate``); what the gate says goes back with the lease response.

One concept per module — ``policy`` (the policy and its cached read), ``gate`` (the lease
gate and the budget's reservations), ``accounting`` (after a submission or a release:
qualification, pay, metering), ``standing`` (standings, the review, probation),
``removal`` (removing a contributor and recomputing what they touched) and ``signals``
(flags of bad work) — and their SQL in ``store/workforce.py``. What the rest of Datafab
uses is importable from here.
"""

from __future__ import annotations

from datafab.services.workforce.accounting import after_release, after_submission
from datafab.services.workforce.gate import (
    OPEN,
    PROBATION,
    QUALIFYING,
    Gate,
    after_claim,
    gate,
    hold_budget,
    reserve,
)
from datafab.services.workforce.policy import (
    HardItems,
    PayRates,
    Performance,
    Qualification,
    Requirement,
    WorkforcePolicy,
    get_policy,
    policy_of,
    set_policy,
)
from datafab.services.workforce.removal import recompute_items, remove
from datafab.services.workforce.signals import detect_signals, flags
from datafab.services.workforce.standing import Standing, review, set_standing, standings

__all__ = [
    "OPEN", "PROBATION", "QUALIFYING", "Gate", "HardItems", "PayRates", "Performance",
    "Qualification", "Requirement", "Standing", "WorkforcePolicy", "after_claim",
    "after_release", "after_submission", "detect_signals", "flags", "gate", "get_policy",
    "hold_budget", "policy_of", "recompute_items", "remove", "reserve", "review",
    "set_policy", "set_standing", "standings",
]

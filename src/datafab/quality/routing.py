"""The safety driver: does a model's answer stand alone, or does the item go to people?

A model answers an item first and states a calibrated confidence ``c``. Its answer is the
record, with no person involved, only when both hold:

* ``c >= accept_confidence`` — the model is sure of this item; and
* its measured accuracy on gold at that confidence supports the target: among at least
  ``min_gold`` gold answers it gave with at least that confidence, the lower end of the Wilson
  interval for the share it got right (one-sided, ``z`` = ``ROUTING_Z``) reaches
  ``target_accuracy``.

Otherwise the item goes to people. Of the answers that would be accepted, a share
``audit_rate`` still goes to people (an audit) so the model's accuracy keeps being measured
on the line's own items, not only on gold.

Pure: the caller supplies the gold evidence and the random draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .gold import wilson_interval

ROUTING_Z = 1.2816  # one-sided 90%: accept only if accuracy >= target at 90% confidence

Action = Literal["accept", "audit", "people"]


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    accuracy_low: float  # lower Wilson bound of gold accuracy at this confidence

    @property
    def accepted(self) -> bool:
        return self.action == "accept"


def decide(
    confidence: float | None,
    *,
    accept_confidence: float,
    target_accuracy: float,
    gold_seen: int,
    gold_correct: int,
    min_gold: int,
    audit_rate: float,
    draw: float,
    z: float = ROUTING_Z,
) -> Decision:
    """Route one model answer: ``accept`` (the record, no person), ``audit`` (would have been
    accepted; people label it anyway, to keep measuring the model) or ``people``.

    ``gold_seen`` / ``gold_correct``: the model's gold answers at or above
    ``accept_confidence``; ``draw``: a uniform number in [0, 1) for the audit."""
    if not 0.0 <= draw < 1.0:
        raise ValueError(f"draw must be in [0, 1), got {draw!r}")
    if not 0 <= gold_correct <= gold_seen:
        raise ValueError("need 0 <= gold_correct <= gold_seen")
    low = float(wilson_interval(gold_correct, gold_seen, z)[0]) if gold_seen else 0.0
    if confidence is None:
        return Decision("people", "the model stated no confidence", low)
    if not 0.0 <= confidence <= 1.0:
        raise ValueError(f"confidence must be in [0, 1], got {confidence!r}")
    if confidence < accept_confidence:
        return Decision("people", f"confidence {confidence:.3f} < {accept_confidence}", low)
    if gold_seen < min_gold:
        return Decision("people", f"{gold_seen} gold answers at this confidence; "
                        f"{min_gold} needed", low)
    if low < target_accuracy:
        return Decision("people", f"gold accuracy at this confidence is at least {low:.3f}, "
                        f"below the target {target_accuracy}", low)
    if draw < audit_rate:
        return Decision("audit", "accepted, but sent to people to keep measuring the model", low)
    return Decision("accept", f"confidence {confidence:.3f}; gold accuracy >= {low:.3f}", low)

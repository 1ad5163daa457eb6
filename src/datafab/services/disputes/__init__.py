"""Disputes of gold verdicts: a contributor says a check item's expected answer is wrong
(``filing``); an operator upholds or rejects it (``review``); an upheld dispute corrects the
gold item and re-scores everyone who answered it (``rescoring``): gold accuracy,
qualification, probation or removal, and quality bonuses, each change in the audit log and
the contributors told in their inbox."""

from datafab.statuses import DisputeStatus

__all__ = ["DisputeStatus"]

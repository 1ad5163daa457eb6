"""``steps``: process supervision. The contributor rates each step of a solution +1 (correct and
useful), 0 (not wrong, but no progress) or -1 (wrong) — PRM800K's convention — and may stop
at the first wrong step.

An answer's ``ratings`` align with the item's ``steps``. They may be shorter than the steps
only when the last given rating is -1 (the labeler stopped at the first error) or the
``finish_reason`` says the labeler could not finish (``give_up``, ``bad_problem``). Rating a
step that does not exist is an error naming ``answer.ratings.<index>``. ``explanation`` (why
the first wrong step is wrong) is optional unless the project sets ``require_explanation``
(off by default, so answers imported from PRM800K, which carry none, stay valid);
``corrected_step`` (the step that should have come instead) needs a -1 to correct.

Aggregation walks the steps in order: each step's rating is the weighted vote of the answers
that rated it (equal weight goes to the more severe rating, -1 before 0 before +1), and the
walk stops at the first step the vote calls wrong. ``confidence`` is the least certain
step's winning share. The record keeps ``first_wrong_step`` and the explanation and
correction of the heaviest vote that stopped at that same step.

Exports:

* ``prm`` — TRL's stepwise-supervision format ``{"prompt", "completions", "labels"}``: the
  rated steps up to and including the first wrong one, label ``True`` for +1, ``False`` for -1,
  and for 0 the project's ``neutral_is_correct`` (default ``True``: a neutral step is not an
  error, which is how PRM800K's paper scores a solution whose steps are all non-negative).
* ``prm800k`` — one PRM800K line per record (see the openai/prm800k README): ``labeler``,
  ``timestamp``, ``generation``, the two screening flags, ``question`` and ``label`` with
  per-step ``completions``. Lines imported by ``importers.prm800k`` keep their original fields,
  alternatives and provenance; only the ratings come from the record. Datafab's lineage
  rides along under the extra key ``datafab``.
* ``records`` — the item with the aggregated answer.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from datafab.errors import InvalidInput
from datafab.primitives.base import Outcome, Primitive, RecordView, Schema, Vote
from datafab.primitives.messages import MAX_TEXT

Rating = Literal[-1, 0, 1]
FinishReason = Literal["found_error", "solution", "bad_problem", "give_up"]
UNFINISHED = ("give_up", "bad_problem")
MAX_STEPS = 500


class StepsSettings(Schema):
    neutral_is_correct: bool = True
    require_explanation: bool = False


class StepsItem(Schema):
    problem: str = Field(min_length=1, max_length=MAX_TEXT)
    steps: list[str] = Field(min_length=1, max_length=MAX_STEPS)
    ground_truth_answer: str | None = Field(default=None, max_length=MAX_TEXT)
    ground_truth_solution: str | None = Field(default=None, max_length=MAX_TEXT)
    meta: dict[str, Any] | None = None


class StepsAnswer(Schema):
    ratings: list[Rating] = Field(max_length=MAX_STEPS)
    explanation: str | None = Field(default=None, max_length=20_000)
    corrected_step: str | None = Field(default=None, max_length=MAX_TEXT)
    finish_reason: FinishReason | None = None
    flagged: list[int] | None = None


class Steps(Primitive[StepsSettings, StepsItem, StepsAnswer]):
    name = "steps"
    settings_model = StepsSettings
    item_model = StepsItem
    answer_model = StepsAnswer
    export_formats = ("prm", "prm800k", "records")

    def check_answer(
        self, settings: StepsSettings, item: dict[str, Any], answer: StepsAnswer, prefix: str
    ) -> None:
        n_steps, ratings = len(item["steps"]), answer.ratings
        if len(ratings) > n_steps:
            field = f"{prefix}.ratings.{n_steps}"
            raise InvalidInput(
                f"{field}: there is no step {n_steps}; the solution has {n_steps} steps "
                f"(0..{n_steps - 1})",
                field=field,
            )
        unfinished = answer.finish_reason in UNFINISHED
        if len(ratings) < n_steps and not unfinished and (not ratings or ratings[-1] != -1):
            field = f"{prefix}.ratings"
            raise InvalidInput(
                f"{field}: step {len(ratings)} is not rated; rate every step or stop at the "
                "first wrong one (-1)",
                field=field,
            )
        wrong = -1 in ratings
        if settings.require_explanation and wrong and not answer.explanation:
            field = f"{prefix}.explanation"
            raise InvalidInput(f"{field}: say why step {ratings.index(-1)} is wrong",
                               field=field)
        if answer.corrected_step is not None and not wrong:
            field = f"{prefix}.corrected_step"
            raise InvalidInput(f"{field}: no step is rated -1, so there is nothing to correct",
                               field=field)
        if answer.finish_reason == "found_error" and not wrong:
            field = f"{prefix}.finish_reason"
            raise InvalidInput(f"{field}: 'found_error' needs a step rated -1", field=field)
        for k, step in enumerate(answer.flagged or []):
            if not 0 <= step < n_steps:
                field = f"{prefix}.flagged.{k}"
                raise InvalidInput(f"{field}: there is no step {step}", field=field)

    def aggregate(
        self, settings: StepsSettings, item: dict[str, Any], votes: Sequence[Vote]
    ) -> Outcome:
        if not votes:
            return Outcome(answer=None, confidence=0.0, method="per_step_vote")
        ratings: list[int] = []
        shares: list[float] = []
        first_wrong = None
        for i in range(len(item["steps"])):
            mass = {-1: 0.0, 0: 0.0, 1: 0.0}
            for vote in votes:
                given = vote.answer["ratings"]
                if i < len(given):
                    mass[given[i]] += vote.weight
            total = sum(mass.values())
            if total <= 0:
                break
            rating = max(mass, key=lambda r: mass[r])  # first of -1, 0, 1 on equal mass
            ratings.append(rating)
            shares.append(mass[rating] / total)
            if rating == -1:
                first_wrong = i
                break
        answer: dict[str, Any] = {
            "ratings": ratings,
            "first_wrong_step": first_wrong,
            "finish_reason": _finish_reason(votes, first_wrong, len(ratings), item),
        }
        if first_wrong is not None:
            agreeing = sorted(
                (v for v in votes if _first_wrong(v.answer["ratings"]) == first_wrong),
                key=lambda v: -v.weight,
            )
            for key in ("explanation", "corrected_step"):
                found = next((v.answer[key] for v in agreeing if v.answer.get(key)), None)
                if found is not None:
                    answer[key] = found
        total_weight = sum(v.weight for v in votes)
        flag_mass: dict[int, float] = {}
        for vote in votes:
            for step in set(vote.answer.get("flagged") or []):
                flag_mass[step] = flag_mass.get(step, 0.0) + vote.weight
        flagged = sorted(s for s, m in flag_mass.items() if m > total_weight / 2)
        if flagged:
            answer["flagged"] = flagged
        return Outcome(
            answer=answer,
            confidence=min(shares) if shares else 0.0,
            method="per_step_vote",
            details={"step_shares": [round(s, 6) for s in shares]},
        )

    def export_row(
        self, fmt: str, settings: StepsSettings, record: RecordView
    ) -> dict[str, Any] | None:
        if fmt == "records":
            return {"item": record.item, **(record.answer or {}), **record.lineage()}
        if fmt == "prm":
            return _prm_row(settings, record)
        if fmt == "prm800k":
            return _prm800k_line(record)
        raise InvalidInput(f"steps exports prm, prm800k, records, not {fmt!r}", field="format")


def _first_wrong(ratings: list[int]) -> int | None:
    return ratings.index(-1) if -1 in ratings else None


def _finish_reason(votes: Sequence[Vote], first_wrong: int | None, n_rated: int,
                   item: dict[str, Any]) -> str:
    if first_wrong is not None:
        return "found_error"
    mass: dict[str, float] = {}
    for vote in votes:
        reason = vote.answer.get("finish_reason")
        if reason and reason != "found_error":
            mass[reason] = mass.get(reason, 0.0) + vote.weight
    if n_rated == len(item["steps"]):
        mass.pop("give_up", None)
        return max(mass, key=lambda r: mass[r]) if mass else "solution"
    mass.pop("solution", None)
    return max(mass, key=lambda r: mass[r]) if mass else "give_up"


def _label(rating: int, neutral_is_correct: bool) -> bool:
    return rating == 1 or (rating == 0 and neutral_is_correct)


def _prm_row(settings: StepsSettings, record: RecordView) -> dict[str, Any] | None:
    ratings = (record.answer or {}).get("ratings") or []
    if not ratings:
        return None
    cut = ratings.index(-1) + 1 if -1 in ratings else len(ratings)
    return {
        "prompt": record.item["problem"],
        "completions": list(record.item["steps"][:cut]),
        "labels": [_label(r, settings.neutral_is_correct) for r in ratings[:cut]],
        **record.lineage(),
    }


def _prm800k_line(record: RecordView) -> dict[str, Any] | None:
    answer = record.answer
    if not answer:
        return None
    item = record.item
    source = (item.get("meta") or {}).get("prm800k") or {}
    ratings = answer["ratings"]
    if source:  # imported: the question's fields exactly as they came
        core = source.get("question_core", ["problem"])
        question = {k: item.get(k) for k in core}
        question.update(copy.deepcopy(source.get("question") or {}))
    else:
        question = {
            "problem": item["problem"],
            "ground_truth_solution": item.get("ground_truth_solution"),
            "ground_truth_answer": item.get("ground_truth_answer"),
            "pre_generated_steps": list(item["steps"]),
        }
    label_steps = source.get("label_steps")
    sources = source.get("step_sources")
    if label_steps is not None and sources is not None and len(label_steps) == len(ratings):
        steps = copy.deepcopy(label_steps)
        for k, chosen in enumerate(sources):
            if chosen is not None:  # None: a human completion, which PRM800K leaves unrated
                steps[k]["completions"][chosen]["rating"] = ratings[k]
    else:
        flagged = set(answer.get("flagged") or [])
        steps = []
        for k, rating in enumerate(ratings):
            wrong = rating == -1
            steps.append({
                "completions": [
                    {"text": item["steps"][k], "rating": rating, "flagged": k in flagged or None}
                ],
                "human_completion": answer.get("corrected_step") if wrong else None,
                "chosen_completion": None if wrong else 0,
            })
    if "total_time" in (source.get("label") or {}):
        total_time = source["label"]["total_time"]
    else:
        spent: list[Any] = [s.get("seconds_spent") for s in record.submissions]
        total_time = int(sum(spent) * 1000) if spent and None not in spent else None
    line = {
        "labeler": record.contributors[0] if len(record.contributors) == 1
        else f"datafab:record:{record.record_id}",
        "timestamp": None,
        "generation": None,
        "is_quality_control_question": False,
        "is_initial_screening_question": False,
        **copy.deepcopy(source.get("line") or {}),
    }
    line["question"] = question
    line["label"] = {
        **copy.deepcopy(source.get("label") or {}),
        "steps": steps,
        "total_time": total_time,
        "finish_reason": answer.get("finish_reason"),
    }
    line["datafab"] = record.lineage()
    return line


STEPS = Steps()

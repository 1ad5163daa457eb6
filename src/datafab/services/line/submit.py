"""The submit as one pipeline over the batch: validate → store → score gold → aggregate →
settle, then the events go to the subscribers.

Each step runs over the whole batch inside the caller's transaction, with one statement
per step where the step writes (one insert for the submissions, one upsert for the records,
one settle for the items) and one read for the votes of every item answered. What happens
beside the line (pay, the billing meter, the model ledger, the webhook outbox and the Scale
callbacks through it) is not called from the steps: it subscribes to what they emit
(``subscribers.ON_ANSWERED``, ``subscribers.ON_FINISHED``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.primitives import Outcome, Vote
from datafab.services import hybrid, quality
from datafab.services.accounts import Contributor
from datafab.services.line import subscribers
from datafab.services.line.events import Answer, Answered, Finished, by_project
from datafab.services.tracing import marking
from datafab.store import submitting
from datafab.store.handles import Connection


def run(foundry: Foundry, conn: Connection, contributor: Contributor, answers: list[Answer],
        now: float) -> dict[int, list[int]]:
    """Store the batch's answers and everything that follows from them; fills each
    ``Answer``'s ``submission_id``, ``feedback`` and ``done``. Per project, the open items
    the contributor labelled, for ``quality.after_submissions`` to rescore once committed."""
    evidence = quality.Evidence()
    validate(foundry, conn, contributor, answers)
    store(foundry, conn, contributor, answers, now)
    score_gold(answers, evidence)
    settle(conn, aggregate(foundry, conn, answers, evidence, now))
    subscribers.publish_answered(foundry, conn, Answered(contributor, answers, now))
    quality.write_evidence(conn, evidence, now)
    still_open = {project.id: quality.open_labelled(conn, project, contributor.id)
                  for project, _ in by_project(answers)}
    subscribers.publish_finished(foundry, conn, finished(answers, now))  # last: it may wait
    return still_open


def validate(foundry: Foundry, conn: Connection, contributor: Contributor,
             answers: list[Answer]) -> None:
    """Every answer against its primitive, before anything is written (the error names the
    field)."""
    for a in answers:
        a.answer = a.project.primitive.parse_answer(
            a.project.settings, a.item.data,
            marking.unmarked(foundry, conn, a.project, a.body.answer), f"{a.prefix}answer")
        if a.body.usage is not None and contributor.kind != "model":
            raise InvalidInput(f"{a.prefix}usage: only a model reports usage",
                               field=f"{a.prefix}usage")


def store(foundry: Foundry, conn: Connection, contributor: Contributor, answers: list[Answer],
          now: float) -> None:
    """One insert for the batch's submissions; a model's first answer to an item waiting
    for models is routed first (whether it counts), a person's keeps the suggestion shown."""
    for a in answers:
        a.model_turn = hybrid.ModelTurn.of(foundry, conn, a.project, contributor, a.item,
                                           a.body.confidence)
    shown = _suggestions_shown(conn, contributor, [a for a in answers if not a.body.draft])
    ids = submitting.insert_submissions(conn, [{
        "lease_id": a.lease_id, "project_id": a.project.id, "item_id": a.item.id,
        "contributor_id": contributor.id, "answer": a.answer,
        "seconds_spent": a.body.seconds_spent, "guideline_version": a.project.guideline_version,
        "draft": a.body.draft or shown.get(a.item.id),
        "counted": a.model_turn.counted if a.model_turn is not None else True,
        "created_at": now} for a in answers])
    for a, submission_id in zip(answers, ids, strict=True):
        a.submission_id = submission_id


def _suggestions_shown(conn: Connection, contributor: Contributor,
                       answers: list[Answer]) -> dict[int, dict[str, Any]]:
    shown: dict[int, dict[str, Any]] = {}
    for project, group in by_project(answers):
        shown |= hybrid.suggestions(conn, project, contributor, [a.item.id for a in group])
    return shown


def score_gold(answers: list[Answer], evidence: quality.Evidence) -> None:
    """A gold answer scores its contributor; the feedback they get back."""
    for a in answers:
        if not a.gold:
            continue
        correct, gained = quality.gold_evidence(a.project, a.answer, a.item.gold_answer)
        evidence.add_gold(a.project.id, a.contributor_id, correct)
        if gained is not None:
            evidence.add(a.project.id, a.contributor_id, len(gained[1]), *gained)
        a.feedback = {"gold": True, "correct": correct, "expected": a.item.gold_answer,
                      "explanation": (a.item.meta or {}).get("gold_explanation")}


def aggregate(foundry: Foundry, conn: Connection, answers: list[Answer],
              evidence: quality.Evidence, now: float) -> list[dict[str, Any]]:
    """Each answered item's record from all its counted votes (read in one query, and their
    voters' skills in one more), upserted in one statement; whether each item is done. The
    items' new counters, for ``settle``. A model's routed answer settles its item itself
    (``hybrid.ModelTurn``)."""
    plain = [a for a in answers if not a.gold and a.model_turn is None]
    votes: dict[int, list[Vote]] = defaultdict(list)
    for row in submitting.votes_of(conn, [a.item.id for a in plain]) if plain else []:
        votes[row.item_id].append(Vote(contributor=row.contributor_id, answer=row.answer))
    for project, group in by_project(plain):  # every voter's skills, once for the batch
        if quality.is_model_based(project):
            quality.read_skills(conn, project, (v.contributor for a in group
                                                for v in votes[a.item.id]), evidence)
    records, counters = [], []
    for a in answers:
        if a.model_turn is not None:
            a.done = a.model_turn.settle(a.submission_id, a.answer, now, evidence)
        elif not a.gold:
            outcome = quality.item_outcome(foundry, conn, a.project, a.item.data,
                                           votes[a.item.id], evidence)
            records.append(_record(a, outcome, len(votes[a.item.id]), now))
            counters.append(_counters(foundry, conn, a, outcome, evidence))
    submitting.upsert_records(conn, records)
    return counters


def _record(a: Answer, outcome: Outcome, n: int, now: float) -> dict[str, Any]:
    return {"project": a.project.id, "item": a.item.id, "answer": outcome.answer,
            "confidence": float(outcome.confidence), "method": outcome.method, "n": n,
            "details": outcome.details or None, "now": now}


def _counters(foundry: Foundry, conn: Connection, a: Answer, outcome: Outcome,
              evidence: quality.Evidence) -> dict[str, Any]:
    gained = quality.label_evidence(a.project, a.answer, outcome)
    if gained is not None:
        evidence.add(a.project.id, a.contributor_id, len(gained[1]), *gained)
    n_labels = a.item.n_labels + 1
    n_live = a.item.n_live - (1 if a.lease_id is not None else 0)
    a.done = quality.is_done(foundry, conn, a.project, n_labels, outcome)
    wanted = a.project.policy.wanted(n_labels)
    slots = 0 if a.done else max(0, wanted - n_labels - n_live)
    return {"item": a.item.id, "n_labels": n_labels, "n_live": n_live, "slots": slots,
            "status": "done" if a.done else "open"}


def settle(conn: Connection, counters: list[dict[str, Any]]) -> None:
    """The items' counters and status, in one statement."""
    submitting.settle_items(conn, counters)


def finished(answers: list[Answer], now: float) -> Finished:
    """Per project with a finished answer, the items that became done now."""
    return Finished([(project, [a.item.id for a in group if a.item.status != "done"])
                     for project, group in by_project([a for a in answers if a.done])], now,
                    leased=all(a.lease_id is not None for a in answers))

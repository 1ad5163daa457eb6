"""Who acts on the submit pipeline's events, each with set-based work for the batch.

- ``account``: the workforce's side of each leased answer — pay credited (one insert) and
  the billing meter (one insert of usage events, one spend update when budgeted).
- ``ledger``: the model ledger — usage a model reported, its stated confidence, its gold
  results.
- ``announce``: the webhook outbox — ``record.finished`` for the items finished (one insert
  of events; endpoints and the Scale callbacks only for an organization that has them, see
  ``webhooks.audience``), then ``project.finished`` where no work is left.
"""

from __future__ import annotations

from datafab.foundry import Foundry
from datafab.services import billing, hybrid, pay, webhooks, workforce
from datafab.services.line.events import Answer, Answered, Finished, by_project
from datafab.store import model_ledger
from datafab.store.handles import Connection


def account(foundry: Foundry, conn: Connection, event: Answered) -> None:
    """Qualification, pay and metering of the leased answers (imported answers have none)."""
    who = event.contributor
    for project, group in by_project([a for a in event.answers if a.lease_id is not None]):
        policy = workforce.policy_of(foundry, conn, project.id)
        if policy is not None and policy.qualification is not None:
            for a in group:  # a qualification is scored answer by answer
                workforce.after_submission(
                    foundry, conn, project, who, a.submission_id, gold=a.gold,
                    correct=a.feedback["correct"] if a.feedback else None,
                    seconds=a.body.seconds_spent, tokens=a.tokens, now=event.now)
            continue
        if policy is not None and who.kind == "human":
            pay.credit_many(conn, policy.pay, policy.currency, project.id, who.id,
                            [(a.submission_id, a.body.seconds_spent) for a in group],
                            event.now)
        billing.meter(foundry, conn, project, _usage(group), event.now,
                      budgeted=policy is not None and policy.budget_minor is not None)


def _usage(answers: list[Answer]) -> list[tuple[str, int]]:
    usage: list[tuple[str, int]] = []
    for a in answers:
        if not a.gold:
            usage += billing.TASK  # what the lease reserved (workforce.hold_budget)
        if a.tokens:
            usage.append(("model_tokens", a.tokens))
    return usage


def ledger(foundry: Foundry, conn: Connection, event: Answered) -> None:
    """What models reported: usage (one insert), stated confidences, gold results."""
    who, now = event.contributor, event.now
    model_ledger.record_usage(conn, [
        {"project": a.project.id, "contributor": who.id, "item": a.item.id,
         "outcome": "answered", "now": now, **a.body.usage.model_dump()}
        for a in event.answers if a.body.usage is not None])
    for a in event.answers:
        if a.gold and a.feedback is not None:
            hybrid.note_gold(conn, a.project, who, a.submission_id, a.body.confidence,
                             a.feedback["correct"], now)
        elif not a.gold and a.model_turn is None and a.body.confidence is not None:
            hybrid.mark_confidence(conn, a.submission_id, a.body.confidence)


def announce(foundry: Foundry, conn: Connection, event: Finished) -> None:
    """The outbox's events for the finished items and projects."""
    for project, item_ids in event.projects:
        if item_ids:
            webhooks.records_finished(foundry, conn, project.organization_id, project.id,
                                      item_ids, event.now)
    if event.leased:
        webhooks.projects_finished(conn, {(p.organization_id, p.id) for p, _ in event.projects},
                                   event.now)


ON_ANSWERED = (account, ledger)
ON_FINISHED = (announce,)


def publish_answered(foundry: Foundry, conn: Connection, event: Answered) -> None:
    for subscriber in ON_ANSWERED:
        subscriber(foundry, conn, event)


def publish_finished(foundry: Foundry, conn: Connection, event: Finished) -> None:
    for subscriber in ON_FINISHED:
        subscriber(foundry, conn, event)

"""Workforce queries: a project's policy row, a contributor's membership (standing,
qualification, items taken), gold history, skills, removal's uncounting, and flags. Rows,
not rules: the bar, the gate and probation are ``services/workforce/``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, select, text, update

from datafab.statuses import Qualification
from datafab.store.tables import (
    contributor_flags,
    contributor_skills,
    contributors,
    items,
    leases,
    project_members,
    records,
    submissions,
    workforce_policies,
)

# -- the policy ----------------------------------------------------------------------------


def save_policy(conn: Connection, project_id: int, *, policy: dict[str, Any], currency: str,
                budget_minor: int | None, spent_minor: int, now: float) -> None:
    """Create or replace the project's policy row."""
    done = conn.execute(
        update(workforce_policies).where(workforce_policies.c.project_id == project_id)
        .values(policy=policy, currency=currency, budget_minor=budget_minor,
                spent_minor=spent_minor, updated_at=now)).rowcount
    if not done:
        conn.execute(workforce_policies.insert().values(
            project_id=project_id, policy=policy, currency=currency,
            budget_minor=budget_minor, spent_minor=spent_minor, updated_at=now))


def policy_row(conn: Connection, project_id: int) -> Row[*tuple[Any, ...]] | None:
    """The project's whole policy row."""
    return conn.execute(select(workforce_policies)
                        .where(workforce_policies.c.project_id == project_id)).first()


def policy_terms(conn: Connection, project_id: int) -> Row[*tuple[Any, ...]] | None:
    """(policy, currency, budget_minor) of the project."""
    return conn.execute(select(workforce_policies.c.policy, workforce_policies.c.currency,
                               workforce_policies.c.budget_minor)
                        .where(workforce_policies.c.project_id == project_id)).first()


# -- the gate ------------------------------------------------------------------------------

_MEMBER = text(
    "SELECT w.budget_minor, w.spent_minor, m.standing, m.qualification, m.qual_version, "
    "m.qual_seen, m.n_taken FROM workforce_policies w LEFT JOIN project_members m "
    "ON m.project_id = w.project_id AND m.contributor_id = :contributor "
    "WHERE w.project_id = :project"
)
_HELD_GOLD = text(
    "SELECT count(*) FROM leases l JOIN items i ON i.id = l.item_id WHERE l.project_id = "
    ":project AND l.contributor_id = :contributor AND l.status = 'active' AND l.expires_at > "
    ":now AND i.status = 'gold'"
)
_N_ITEMS = text("SELECT count(*) FROM items WHERE project_id = :p AND status <> 'gold'")
_TAKEN = text(
    "INSERT INTO project_members (project_id, contributor_id, n_taken, qual_version, "
    "qualification, updated_at) VALUES (:project, :contributor, :n, :version, :qualification, "
    ":now) ON CONFLICT (project_id, contributor_id) DO UPDATE SET "
    "n_taken = project_members.n_taken + excluded.n_taken, updated_at = excluded.updated_at"
)
_START_QUALIFYING = text(
    f"UPDATE project_members SET qualification = '{Qualification.QUALIFYING}', "
    "qual_version = :version, "
    "qual_seen = 0, qual_correct = 0 WHERE project_id = :project AND contributor_id = "
    ":contributor AND (qual_version < :version OR qualification = 'none')"
)
_QUAL_ANSWER = text(
    "UPDATE project_members SET qual_seen = qual_seen + 1, "
    "qual_correct = qual_correct + :right, updated_at = :now WHERE project_id = :project AND "
    "contributor_id = :contributor AND qualification = 'qualifying' "
    "RETURNING qual_seen, qual_correct"
)


def member(conn: Connection, project_id: int, contributor_id: int) -> Row[*tuple[Any, ...]] | None:
    """The project's budget and spend with the contributor's membership (its columns None
    when they have none); None when the project has no policy row."""
    return conn.execute(_MEMBER, {"project": project_id, "contributor": contributor_id}).first()


def held_gold(conn: Connection, project_id: int, contributor_id: int, now: float) -> int:
    """How many gold items the contributor holds under live leases in the project."""
    return int(conn.execute(_HELD_GOLD, {"project": project_id, "contributor": contributor_id,
                                         "now": now}).scalar_one())


def n_items(conn: Connection, project_id: int) -> int:
    """How many items of real work the project has."""
    return int(conn.execute(_N_ITEMS, {"p": project_id}).scalar_one())


def skill_levels(conn: Connection, contributor_id: int) -> Any:
    return conn.execute(select(contributors.c.skill_levels)
                        .where(contributors.c.id == contributor_id)).scalar()


def set_skill_levels(conn: Connection, contributor_id: int, levels: dict[str, Any]) -> None:
    conn.execute(update(contributors).where(contributors.c.id == contributor_id)
                 .values(skill_levels=levels))


def gold_tally(conn: Connection, project_id: int, contributor_id: int
               ) -> Row[*tuple[Any, ...]] | None:
    """(gold_seen, gold_correct) of the contributor in the project."""
    return conn.execute(select(contributor_skills.c.gold_seen, contributor_skills.c.gold_correct)
                        .where(contributor_skills.c.project_id == project_id,
                               contributor_skills.c.contributor_id == contributor_id)).first()


def count_taken(conn: Connection, params: dict[str, Any], *, qualifying: bool) -> None:
    """Count items taken (``params``: project, contributor, n, version, now, qualification);
    open a qualification when one starts."""
    conn.execute(_TAKEN, params)
    if qualifying:
        conn.execute(_START_QUALIFYING, params)


def qualification_answer(conn: Connection, project_id: int, contributor_id: int, right: bool,
                         now: float) -> Row[*tuple[Any, ...]] | None:
    """Count a qualifying contributor's answer; (qual_seen, qual_correct) after it."""
    return conn.execute(_QUAL_ANSWER, {"project": project_id, "contributor": contributor_id,
                                       "right": int(right), "now": now}).first()


def set_qualification(conn: Connection, project_id: int, contributor_id: int, outcome: str,
                      now: float) -> None:
    conn.execute(update(project_members).where(
        project_members.c.project_id == project_id,
        project_members.c.contributor_id == contributor_id)
        .values(qualification=outcome, updated_at=now))


# -- standing ------------------------------------------------------------------------------

_STANDING = text(
    "INSERT INTO project_members (project_id, contributor_id, standing, reason, "
    "probation_gold, updated_at) VALUES (:project, :contributor, :standing, :reason, "
    ":probation_gold, :updated_at) ON CONFLICT (project_id, contributor_id) DO UPDATE SET "
    "standing = excluded.standing, reason = excluded.reason, updated_at = "
    "excluded.updated_at, probation_gold = COALESCE(excluded.probation_gold, "
    "project_members.probation_gold)")


def set_standing(conn: Connection, project_id: int, contributor_id: int, standing: str,
                 now: float, *, reason: str | None, probation_gold: int | None) -> None:
    """The contributor's standing in the project (a probation's start kept unless given)."""
    conn.execute(_STANDING, {"project": project_id, "contributor": contributor_id,
                             "probation_gold": probation_gold, "standing": standing,
                             "reason": reason, "updated_at": now})


def gold_answers(conn: Connection, project_id: int) -> list[Row[*tuple[Any, ...]]]:
    """(contributor_id, answer, gold_answer) of every answer on a gold item, in order."""
    return list(conn.execute(
        select(submissions.c.contributor_id, submissions.c.answer, items.c.gold_answer)
        .join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.project_id == project_id, items.c.status == "gold")
        .order_by(submissions.c.id)).all())


def members(conn: Connection, project_id: int) -> dict[int, Row[*tuple[Any, ...]]]:
    """The project's membership rows by contributor."""
    return {r.contributor_id: r for r in conn.execute(
        select(project_members).where(project_members.c.project_id == project_id))}


def workers(conn: Connection, project_id: int) -> set[int]:
    """Who answered anything in the project."""
    return set(conn.execute(select(submissions.c.contributor_id).distinct().where(
        submissions.c.project_id == project_id)).scalars())


def engine_counts(conn: Connection, project_id: int) -> dict[int, Any]:
    """The quality engine's confusion counts per contributor of the project."""
    return {r.contributor_id: r.counts for r in conn.execute(
        select(contributor_skills.c.contributor_id, contributor_skills.c.counts)
        .where(contributor_skills.c.project_id == project_id))}


def names(conn: Connection, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(conn.execute(select(contributors.c.id, contributors.c.name)
                             .where(contributors.c.id.in_(ids))).all())


def contributor_exists(conn: Connection, contributor_id: int) -> bool:
    return conn.execute(select(contributors.c.id)
                        .where(contributors.c.id == contributor_id)).first() is not None


# -- removal -------------------------------------------------------------------------------

_COUNTED_ANSWERS = text(
    "SELECT s.id, s.item_id FROM submissions s JOIN items i ON i.id = s.item_id "
    "WHERE s.project_id = :project AND s.contributor_id = :contributor AND s.counted "
    "AND i.status <> 'gold' ORDER BY s.id"
)
_UNCOUNT = text("UPDATE submissions SET counted = false WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True))


def live_leases(conn: Connection, project_id: int, contributor_id: int) -> list[int]:
    """The contributor's active leases in the project, by id."""
    return list(conn.execute(
        select(leases.c.id).where(leases.c.project_id == project_id,
                                  leases.c.contributor_id == contributor_id,
                                  leases.c.status == "active")
        .order_by(leases.c.id)).scalars().all())


def uncount_answers(conn: Connection, project_id: int, contributor_id: int
                    ) -> list[Row[*tuple[Any, ...]]]:
    """Stop counting the contributor's counted answers on ordinary items; (id, item_id) of
    each, in id order."""
    rows = list(conn.execute(_COUNTED_ANSWERS, {"project": project_id,
                                                "contributor": contributor_id}).all())
    if rows:
        conn.execute(_UNCOUNT, {"ids": [r.id for r in rows]})
    return rows


def delete_record(conn: Connection, item_id: int) -> None:
    conn.execute(records.delete().where(records.c.item_id == item_id))


def set_n_labels(conn: Connection, item_id: int, n_labels: int) -> None:
    conn.execute(update(items).where(items.c.id == item_id).values(n_labels=n_labels))


# -- signals -------------------------------------------------------------------------------

def work_answers(conn: Connection, project_id: int) -> list[Row[*tuple[Any, ...]]]:
    """(contributor_id, answer, seconds_spent, draft, data) of every answer on an ordinary
    item of the project, in order."""
    return list(conn.execute(
        select(submissions.c.contributor_id, submissions.c.answer,
               submissions.c.seconds_spent, submissions.c.draft, items.c.data)
        .join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.project_id == project_id, items.c.status != "gold")
        .order_by(submissions.c.id)).all())


def flag_kinds(conn: Connection, project_id: int) -> set[tuple[int, str]]:
    """(contributor, kind) of the project's flags."""
    return {(r.contributor_id, r.kind) for r in conn.execute(
        select(contributor_flags.c.contributor_id, contributor_flags.c.kind)
        .where(contributor_flags.c.project_id == project_id))}


def insert_flags(conn: Connection, rows: list[dict[str, Any]]) -> None:
    conn.execute(contributor_flags.insert(), rows)


def flags_of(conn: Connection, project_id: int) -> list[Row[*tuple[Any, ...]]]:
    return list(conn.execute(select(contributor_flags)
                             .where(contributor_flags.c.project_id == project_id)
                             .order_by(contributor_flags.c.id)).all())

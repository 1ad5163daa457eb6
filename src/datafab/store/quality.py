"""The quality engine's rows: contributors' skill counts per project, a project's last fit
(its class prior), the counted labels a refit reads, and the bulk writes a refit makes to
records and item states.

Named queries only; what they mean — posteriors, when an item is finished, what a refit
replaces — is decided in ``services/quality/``. Every function takes the caller's
connection, so a service composes several inside one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select, text

from datafab.store.tables import Json, contributor_skills, items, project_fits, submissions

# -- contributors' skill counts -----------------------------------------------------------------

_SKILL_COUNTS = text(
    "SELECT counts FROM contributor_skills WHERE project_id = :project "
    "AND contributor_id = :contributor"
).columns(counts=Json)
_ADD_SKILLS = text(
    "INSERT INTO contributor_skills (project_id, contributor_id, counts, n_labels, gold_seen, "
    "gold_correct, updated_at) VALUES (:project, :contributor, :counts, :n_labels, :gold_seen, "
    ":gold_correct, :now) ON CONFLICT (project_id, contributor_id) DO UPDATE SET "
    "counts = excluded.counts, n_labels = contributor_skills.n_labels + excluded.n_labels, "
    "gold_seen = contributor_skills.gold_seen + excluded.gold_seen, "
    "gold_correct = contributor_skills.gold_correct + excluded.gold_correct, "
    "updated_at = excluded.updated_at"
).bindparams(bindparam("counts", type_=Json))
_REPLACE_SKILLS = text(
    "INSERT INTO contributor_skills (project_id, contributor_id, counts, n_labels, gold_seen, "
    "gold_correct, updated_at) VALUES (:project, :contributor, :counts, :n_labels, :gold_seen, "
    ":gold_correct, :now) ON CONFLICT (project_id, contributor_id) DO UPDATE SET "
    "counts = excluded.counts, n_labels = excluded.n_labels, gold_seen = excluded.gold_seen, "
    "gold_correct = excluded.gold_correct, updated_at = excluded.updated_at"
).bindparams(bindparam("counts", type_=Json))


def skill_counts(conn: Connection, project: int, contributor: int) -> Any:
    """The contributor's stored counts on the project (``None`` if none)."""
    return conn.execute(_SKILL_COUNTS, {"project": project,
                                        "contributor": contributor}).scalar()


def skill_counts_of(conn: Connection, project: int, contributors: Iterable[int]
                    ) -> dict[int, Any]:
    """Contributor id -> stored counts, for those of these contributors that have some."""
    return {r.contributor_id: r.counts for r in conn.execute(
        select(contributor_skills.c.contributor_id, contributor_skills.c.counts).where(
            contributor_skills.c.project_id == project,
            contributor_skills.c.contributor_id.in_(list(contributors))))}


def all_skill_counts(conn: Connection, project: int) -> list[Any]:
    """Every contributor's stored counts on the project."""
    return list(conn.execute(select(contributor_skills.c.counts).where(
        contributor_skills.c.project_id == project)).scalars())


def skills(conn: Connection, project: int) -> list[Row[Any]]:
    """Every ``contributor_skills`` row of the project."""
    return list(conn.execute(select(contributor_skills).where(
        contributor_skills.c.project_id == project)))


def add_skills(conn: Connection, *, project: int, contributor: int, counts: list[Any],
               n_labels: int, gold_seen: int, gold_correct: int, now: float) -> None:
    """Replace the counts and add to the tallies (a submit's evidence): one upsert."""
    conn.execute(_ADD_SKILLS, {
        "project": project, "contributor": contributor, "counts": counts, "now": now,
        "n_labels": n_labels, "gold_seen": gold_seen, "gold_correct": gold_correct})


def replace_skills(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Replace counts and tallies (a refit's): {project, contributor, counts, n_labels,
    gold_seen, gold_correct, now} each."""
    if rows:
        conn.execute(_REPLACE_SKILLS, list(rows))


# -- a project's fit ----------------------------------------------------------------------------

_UPSERT_FIT = text(
    "INSERT INTO project_fits (project_id, method, class_prior, n_labels, fitted_at) "
    "VALUES (:project, :method, :prior, :n, :now) ON CONFLICT (project_id) DO UPDATE SET "
    "method = excluded.method, class_prior = excluded.class_prior, "
    "n_labels = excluded.n_labels, fitted_at = excluded.fitted_at"
).bindparams(bindparam("prior", type_=Json))


def class_prior(conn: Connection, project: int) -> Any:
    """The last fit's class prior (``None`` before the first fit)."""
    return conn.execute(select(project_fits.c.class_prior).where(
        project_fits.c.project_id == project)).scalar()


def fit_of(conn: Connection, project: int) -> Row[Any] | None:
    return conn.execute(select(project_fits).where(project_fits.c.project_id == project)
                        ).first()


def upsert_fit(conn: Connection, project: int, method: str, prior: list[float], n: int,
               now: float) -> None:
    conn.execute(_UPSERT_FIT, {"project": project, "method": method, "prior": prior, "n": n,
                               "now": now})


# -- what a refit reads -------------------------------------------------------------------------


def counted_labels(conn: Connection, project: int) -> list[Row[Any]]:
    """(id, item_id, contributor_id, answer) of every counted submission, oldest first."""
    return list(conn.execute(
        select(submissions.c.id, submissions.c.item_id, submissions.c.contributor_id,
               submissions.c.answer)
        .where(submissions.c.project_id == project, submissions.c.counted)
        .order_by(submissions.c.id)))


def gold_answers(conn: Connection, project: int) -> list[Row[Any]]:
    """(id, gold_answer) of the project's gold items."""
    return list(conn.execute(select(items.c.id, items.c.gold_answer).where(
        items.c.project_id == project, items.c.status == "gold")))


_LABELLED_STATES = text(
    "SELECT i.id, i.status, i.n_labels, r.answer AS record_answer, "
    "r.confidence AS record_confidence, r.method AS record_method, "
    "r.details AS record_details, r.n_submissions AS record_n FROM items i "
    "LEFT JOIN records r ON r.item_id = i.id WHERE i.id IN (SELECT s.item_id "
    "FROM submissions s WHERE s.project_id = :project AND s.counted) AND i.status != 'gold'"
).columns(record_answer=Json, record_details=Json)


def item_states(conn: Connection, project: int) -> list[Row[Any]]:
    """(id, status, n_labels) of the project's items that are not gold and have a counted
    answer (the only ones a refit decides about), each with its record as stored
    (record_answer, record_confidence, record_method, record_details, record_n; ``None``
    without one): read from the labels, so a refit costs what the project's labels do, not
    what its items do."""
    return list(conn.execute(_LABELLED_STATES, {"project": project}))


def counted_votes(conn: Connection, project: int) -> list[Row[Any]]:
    """(item_id, contributor_id, answer, data) of every counted answer on items that are
    not gold, oldest first."""
    return list(conn.execute(
        select(submissions.c.item_id, submissions.c.contributor_id, submissions.c.answer,
               items.c.data)
        .join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.project_id == project, submissions.c.counted,
               items.c.status != "gold")
        .order_by(submissions.c.id)))


def counted_answers(conn: Connection, project: int) -> list[Row[Any]]:
    """(item_id, contributor_id, answer) of every counted answer on items that are not
    gold, oldest first."""
    return list(conn.execute(
        select(submissions.c.item_id, submissions.c.contributor_id, submissions.c.answer)
        .join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.project_id == project, submissions.c.counted,
               items.c.status != "gold")
        .order_by(submissions.c.id)))


# -- what a refit writes ------------------------------------------------------------------------

_REFIT_RECORD = text(
    "UPDATE records SET answer = :answer, confidence = :confidence, method = :method, "
    "details = :details, updated_at = :now WHERE item_id = :item AND n_submissions = :n "
    "AND method != 'review'"  # an audit's reviewed correction stands (services.curation)
).bindparams(bindparam("answer", type_=Json), bindparam("details", type_=Json))
# Only items nobody answered since the fit read them (n_labels unchanged) change state.
_REFIT_STATE = text(
    "UPDATE items SET status = :status, slots = CASE WHEN :wanted - n_labels - n_live > 0 "
    "THEN :wanted - n_labels - n_live ELSE 0 END WHERE id = :item AND n_labels = :n_labels "
    "AND status != 'gold'"
)


def refit_records(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Rewrite the given records a refit re-aggregated, in one batched statement (an
    executemany) — each only if no answer came since the fit read it: {item, n, answer,
    confidence, method, details, now} each. Rows not given are not touched."""
    if rows:
        conn.execute(_REFIT_RECORD, list(rows))


def refit_states(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Open or close items a refit decided about — each only if nobody answered it since:
    {item, n_labels, status, wanted} each."""
    if rows:
        conn.execute(_REFIT_STATE, list(rows))


# -- what the summary reads ---------------------------------------------------------------------


def record_spend(conn: Connection, project: int) -> tuple[int, float, int]:
    """(records, mean confidence, finished records) of the project."""
    values: tuple[Any, ...] = tuple(conn.execute(text(
        "SELECT count(*), coalesce(avg(r.confidence), 0), "
        "coalesce(sum(CASE WHEN i.status = 'done' THEN 1 ELSE 0 END), 0) "
        "FROM records r JOIN items i ON i.id = r.item_id WHERE r.project_id = :p"
    ), {"p": project}).one())
    return int(values[0]), float(values[1]), int(values[2])


def count_counted(conn: Connection, project: int) -> int:
    n: int = conn.execute(text(
        "SELECT count(*) FROM submissions WHERE project_id = :p AND counted"
    ), {"p": project}).scalar_one()
    return n

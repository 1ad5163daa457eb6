"""How many gold items each contributor answered in a project, and how many rightly: the
skill perception aggregation weighs votes by."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, text

_GOLD_TALLIES = text(
    "SELECT contributor_id, gold_seen, gold_correct FROM contributor_skills "
    "WHERE project_id = :project AND contributor_id IN :contributors"
).bindparams(bindparam("contributors", expanding=True))


def gold_tallies(conn: Connection, project: int,
                 contributors: list[int]) -> dict[int, tuple[int, int]]:
    """contributor id → (gold seen, gold right), for the given contributors that have any."""
    if not contributors:
        return {}
    rows = conn.execute(_GOLD_TALLIES, {"project": project, "contributors": contributors})
    return {int(c): (int(seen), int(right)) for c, seen, right in rows}

"""Gold items as operators manage them: which gold items contributors get wrong most often,
turning an unanswered item into gold, and adding a new gold item with its explanation.

Gold items have ``status = 'gold'`` and a ``gold_answer``; ``services.work`` mixes them into
leases at the project's ``gold_rate`` and scores the answers (see ``quality.gold_evidence``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from datafab.errors import Conflict, InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.services import items as item_service
from datafab.services.projects import Project, load_project
from datafab.services.quality import gold_evidence
from datafab.store import items as queries


@dataclass(frozen=True)
class ProjectChoice:
    id: int
    name: str
    organization: str
    primitive: str


@dataclass(frozen=True)
class GoldResult:
    item_id: int
    external_id: str
    expected: dict[str, Any]
    explanation: str | None
    answered: int
    wrong: int

    @property
    def share_wrong(self) -> float | None:
        return self.wrong / self.answered if self.answered else None


def all_projects(foundry: Foundry) -> list[ProjectChoice]:
    """Every project of every organization (operators see the whole foundry)."""
    with foundry.db.read() as conn:
        rows = queries.all_projects(conn)
    return [ProjectChoice(r.id, r.name, r.org, r.primitive) for r in rows]


def project(foundry: Foundry, project_id: int) -> Project:
    with foundry.db.read() as conn:
        return load_project(conn, None, project_id)


def report(foundry: Foundry, project_id: int) -> list[GoldResult]:
    """The project's gold items, the ones most often answered wrong first."""
    with foundry.db.read() as conn:
        found = load_project(conn, None, project_id)
        gold = queries.gold_items(conn, found.id)
        answers = queries.answers_on(conn, [g.id for g in gold])
    by_item: dict[int, list[dict]] = {}
    for item_id, answer in answers:
        by_item.setdefault(item_id, []).append(answer)
    out = []
    for g in gold:
        given = by_item.get(g.id, [])
        wrong = sum(not gold_evidence(found, a, g.gold_answer)[0] for a in given)
        out.append(GoldResult(g.id, g.external_id, g.gold_answer,
                              (g.meta or {}).get("gold_explanation"), len(given), wrong))
    return sorted(out, key=lambda r: (-(r.share_wrong or 0), -r.answered, r.item_id))


def make_gold(foundry: Foundry, project_id: int, external_id: str, answer: Any,
              explanation: str = "") -> None:
    """Turn an item nobody has answered or holds yet into gold with ``answer``."""
    external_id = (external_id or "").strip()
    if not external_id:
        raise InvalidInput("external_id: name the item", field="external_id")
    with foundry.db.read() as conn:
        found = load_project(conn, None, project_id)
        row = queries.by_external_id(conn, found.id, external_id)
    if row is None:
        raise NotFound(f"external_id: no item {external_id!r} in this project",
                       field="external_id")
    if row.status == "gold":
        raise Conflict(f"external_id: {external_id!r} is already gold", field="external_id")
    parsed = found.primitive.parse_answer(found.settings, row.data, answer, "answer")
    meta = dict(row.meta or {})
    if explanation.strip():
        meta["gold_explanation"] = explanation.strip()
    with foundry.db.write() as conn:
        done = queries.make_gold(conn, row.id, parsed, meta or None)
    if not done:
        raise Conflict(f"external_id: {external_id!r} already has answers or is being worked "
                       "on; add a new gold item instead", field="external_id")


def add_gold_item(foundry: Foundry, project_id: int, external_id: str, data: Any, answer: Any,
                  explanation: str = "") -> None:
    """Upload a new gold item (the same validation as any upload)."""
    found = project(foundry, project_id)
    raw: dict[str, Any] = {"external_id": (external_id or "").strip(), "data": data,
                           "gold_answer": answer}
    if explanation.strip():
        raw["gold_explanation"] = explanation.strip()
    try:
        item_service.upload_items(foundry, found.organization_id, found.id, [raw])
    except (InvalidInput, Conflict) as exc:
        field = (exc.field or "").removeprefix("items.0.")
        if field.startswith("gold_answer"):
            field = "answer" + field.removeprefix("gold_answer")
        message = exc.message.removeprefix("items.0.")
        raise type(exc)(message.replace("gold_answer", "answer", 1), field=field or None) from exc

"""The contamination guard: eval items stay held out.

* An eval item's prompt never becomes training data: an upload to a production project
  whose item carries an eval prompt's text (any string in its data, compared normalised) is
  refused whole, naming the item and field; and every export drops rows that carry one
  (the grading projects people work in hold eval prompts by design, so nothing of theirs
  leaves as training data).
* Hence it never reaches a model's prompt either: models see only leased items of
  production projects, and eval runs and judges, which are meant to see them.
* An eval set's grading projects are not leased to contributors who write training data for
  its slices: anyone with a submission in a production project of the same organization
  whose required skills meet the eval set's slice skills gets nothing from them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from datafab.errors import InvalidInput
from datafab.evals.graders import normalise
from datafab.foundry import Foundry
from datafab.store import eval_guard as queries
from datafab.store.handles import Connection

GRADING = queries.GRADING
CHUNK = 500


def fingerprint(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def prompt_text(prompt: Any) -> str:
    """The text an eval prompt is known by: the string, or its last user message."""
    if isinstance(prompt, str):
        return prompt
    users = [m.get("content", "") for m in prompt if isinstance(m, dict)
             and m.get("role") == "user"]
    return users[-1] if users else ""


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        if value.strip():
            yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for k, inner in enumerate(value):
            yield from _strings(inner, f"{path}.{k}")


def _held(conn: Connection, organization: int, prints: set[str]) -> dict[str, int]:
    """Which of these fingerprints are eval prompts of the organization (→ eval set id)."""
    found: dict[str, int] = {}
    ordered = sorted(prints)
    for start in range(0, len(ordered), CHUNK):
        found.update(queries.held(conn, organization, ordered[start : start + CHUNK]))
    return found


def is_grading_project(conn: Connection, project_id: int) -> bool:
    return queries.is_grading_project(conn, project_id)


def refuse_held_out(conn: Connection, organization: int, project_id: int,
                    rows: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """Refuse an upload whose items carry an eval prompt (``rows``: (index, data))."""
    for _, refusal in held_out_refusals(conn, organization, project_id, rows):
        raise refusal


def held_out_refusals(conn: Connection, organization: int, project_id: int,
                      rows: Iterable[tuple[int, dict[str, Any]]]) -> list[tuple[int, InvalidInput]]:
    """The items of an upload (``rows``: (index, data)) that carry an eval prompt, each with
    the error naming its first such field, in the upload's order; none for a grading
    project."""
    leaves = [(index, path, fingerprint(text)) for index, data in rows
              for path, text in _strings(data, "data")]
    if not leaves or is_grading_project(conn, project_id):
        return []
    held = _held(conn, organization, {p for _, _, p in leaves})
    refused: dict[int, InvalidInput] = {}
    for index, path, print_ in leaves:
        if print_ in held and index not in refused:
            field = f"items.{index}.{path}"
            refused[index] = InvalidInput(
                f"{field}: this text is an item of eval set {held[print_]}, held out from "
                "training data", field=field)
    return list(refused.items())


def held_out_items(conn: Connection, organization: int,
                   rows: Iterable[tuple[int, dict[str, Any]]]) -> set[int]:
    """The item ids (``rows``: (item id, data)) whose data carries an eval prompt."""
    leaves = [(item, fingerprint(text)) for item, data in rows
              for _, text in _strings(data, "data")]
    if not leaves:
        return set()
    held = _held(conn, organization, {p for _, p in leaves})
    return {item for item, print_ in leaves if print_ in held}


def grading_skills(foundry: Foundry, conn: Connection, project_id: int) -> tuple[str, ...]:
    """The slice skills of the eval set this project grades (empty for any other project);
    kept for a moment like the project itself, as leasing asks on every call."""
    key = ("eval_grading_skills", project_id)
    skills = foundry.cache.get(key)
    if skills is None:
        skills = tuple(queries.grading_skills(conn, project_id) or ())
        foundry.cache.put(key, skills)
    return skills


def barred(foundry: Foundry, conn: Connection, project_id: int, organization: int,
           contributor_id: int) -> bool:
    """Whether this contributor may not see this project's items: it grades an eval set
    whose slice skills meet the required skills of a production project the contributor
    has written for."""
    skills = set(grading_skills(foundry, conn, project_id))
    if not skills:
        return False
    written = queries.written_skills(conn, contributor_id, organization)
    return any(skills & set(required or []) for required in written)

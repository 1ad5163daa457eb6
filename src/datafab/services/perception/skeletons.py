"""A COCO keypoints file's skeleton joined to its keypoints project's: the edges the project
does not have yet are added to its settings (after its own), so the file exports back with
the skeleton it came with; a project with no items yet also takes the order in which the
file lists the same point names (an order is only how points are numbered: answers name
them) and, when it names no category of its own (``object``), the name of the file's category
listing them. An edge naming a point the project does not have is left out and named, as an odd
annotation is; with nothing to change the project is not touched."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.primitives import coco_keypoints
from datafab.primitives.importers import Skipped
from datafab.primitives.keypoints import DEFAULT_CATEGORY, KeypointsSettings
from datafab.services.project_changes import update_project
from datafab.services.projects import Project
from datafab.store import items as items_sql


def adopt(foundry: Foundry, organization: int, project: Project,
          categories: Sequence[tuple[int, dict[str, Any]]],
          on_skip: Callable[[Skipped], None] | None) -> None:
    """Join the skeletons of the file's ``categories`` (each with its line) to the project's;
    the edges left out go to ``on_skip`` (without it, a strict import: the first refuses
    the file before anything is written). A project with no items yet takes the file's order
    of its points and, unless it named its own, the file's category name."""
    settings = project.settings
    if not isinstance(settings, KeypointsSettings) or not categories:
        return
    skeleton: list[list[str]] = [list(pair) for pair in settings.skeleton]
    for line, category in categories:
        skeleton, problems = coco_keypoints.joined_skeleton(settings.keypoints, skeleton,
                                                            category["skeleton"])
        for problem in problems:
            if on_skip is None:
                raise InvalidInput(f"line {line}: {problem}", field=f"line {line}")
            on_skip(Skipped(line, problem))
    files = [category for _, category in categories]
    names = coco_keypoints.file_order(settings.keypoints, [c["keypoints"] for c in files])
    name = settings.category
    if name == DEFAULT_CATEGORY:
        name = coco_keypoints.file_category(settings.keypoints, files) or name
    renamed = (names, name) != (settings.keypoints, settings.category)
    if renamed and _has_items(foundry, project):
        # its points are numbered and its records exported under its name: keep both
        names, name = settings.keypoints, settings.category
    if (skeleton != [list(pair) for pair in settings.skeleton] or names != settings.keypoints
            or name != settings.category):
        update_project(foundry, organization, project.id, {"settings": {
            **settings.model_dump(mode="json"), "keypoints": names, "skeleton": skeleton,
            "category": name}}, actor="import")


def _has_items(foundry: Foundry, project: Project) -> bool:
    with foundry.db.read() as conn:
        return bool(items_sql.page(conn, project.id, 0, 1, None))

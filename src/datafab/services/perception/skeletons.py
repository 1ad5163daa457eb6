"""A COCO keypoints file's skeleton joined to its keypoints project's: the edges the project
does not have yet are added to its settings (after its own), so the file exports back with
the skeleton it came with; a project with no items yet also takes the order in which the
file lists the same point names (an order is only how points are numbered: answers name
them). An edge naming a point the project does not have is left out and named, as an odd
annotation is; with nothing to change the project is not touched."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.primitives import coco_keypoints
from datafab.primitives.importers import Skipped
from datafab.primitives.keypoints import KeypointsSettings
from datafab.services.project_changes import update_project
from datafab.services.projects import Project
from datafab.store import items as items_sql


def adopt(foundry: Foundry, organization: int, project: Project,
          categories: Sequence[tuple[int, dict[str, Any]]],
          on_skip: Callable[[Skipped], None] | None) -> None:
    """Join the skeletons of the file's ``categories`` (each with its line) to the project's;
    the edges left out go to ``on_skip`` (without it, a strict import: the first refuses
    the file before anything is written)."""
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
    names = coco_keypoints.file_order(settings.keypoints,
                                      [category["keypoints"] for _, category in categories])
    if names != settings.keypoints:
        with foundry.db.read() as conn:
            if items_sql.page(conn, project.id, 0, 1, None):
                names = settings.keypoints  # its points are numbered already: keep them
    if skeleton != [list(pair) for pair in settings.skeleton] or names != settings.keypoints:
        update_project(foundry, organization, project.id, {"settings": {
            **settings.model_dump(mode="json"), "keypoints": names, "skeleton": skeleton}},
            actor="import")

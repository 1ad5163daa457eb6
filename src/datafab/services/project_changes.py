"""Changing a project: its name, settings (new labels relabel the answers given so far),
quality policy, required skills, status, and guidelines (a new version, with the changelog
contributors are shown). A use case above ``projects`` (which only defines and reads a
project), since it composes relabelling and the guideline changes, which read projects."""

from __future__ import annotations

from typing import Any

from datafab.errors import Conflict, InvalidInput
from datafab.foundry import Foundry
from datafab.services import audit, relabel
from datafab.services.guidelines import changes
from datafab.services.projects import (
    Project,
    ProjectPatch,
    check_models,
    get_project,
    load_project,
    validated,
)
from datafab.store import projects as queries
from datafab.store.handles import IntegrityError


def update_project(
    foundry: Foundry, organization: int, project_id: int, raw: dict[str, Any],
    actor: str = "api",
) -> Project:
    """Change settings; new guideline text becomes a new version that later work is made under."""
    patch: ProjectPatch = validated(ProjectPatch, raw)
    changes.check(changes.ChangeFields.model_validate(patch.model_dump()))
    if patch.label_map and patch.settings is None:
        raise InvalidInput("label_map: only with new settings.labels", field="label_map")
    now = foundry.now()
    try:
        with foundry.db.write() as conn:
            project = load_project(conn, organization, project_id)
            values: dict[str, Any] = {"updated_at": now}
            mapping = None
            if patch.name is not None:
                values["name"] = patch.name
            if patch.settings is not None:
                new_settings = project.primitive.parse_settings(patch.settings)
                mapping = relabel.check_change(conn, project, new_settings, patch.label_map)
                values["settings"] = new_settings.model_dump(mode="json")
            if patch.policy is not None:
                check_models(patch.policy, project.primitive, project.settings)
                values["policy"] = patch.policy.model_dump(mode="json")
            if patch.required_skills is not None:
                values["required_skills"] = patch.required_skills
            if patch.status is not None:
                values["status"] = patch.status
            if patch.guidelines is not None:
                version = project.guideline_version + 1
                queries.add_guidelines(conn, project.id, version, patch.guidelines, now)
                values["guideline_version"] = version
                changes.record(foundry, conn, project.id, version,
                               changes.ChangeFields.model_validate(patch.model_dump()), now)
            queries.change(conn, project.id, values)
            audit.record(conn, now, organization=organization, actor=actor,
                         action="project.updated", target=f"project:{project.id}",
                         details={"fields": sorted(patch.model_dump(exclude_unset=True))})
            if mapping is not None:
                after = load_project(conn, organization, project.id)
                details = relabel.apply(foundry, conn, project, after, mapping, now)
                audit.record(conn, now, organization=organization, actor=actor,
                             action="project.relabelled", target=f"project:{project.id}",
                             details=details)
        relabel.forget(foundry, project_id)
    except IntegrityError as exc:
        raise Conflict(f"name: a project named {patch.name!r} exists", field="name") from exc
    return get_project(foundry, organization, project_id)

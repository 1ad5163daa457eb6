"""Need to know: which projects a contributor may see, and what of them.

A contributor sees a project — in the workbench, in its instructions and guidelines, in
lease answers and in lists of their projects — only while they may work on it now: it is
active, they hold a clearance reaching its sensitivity (``services.clearances``), they have
its skills (or may still take its qualification), its pool admits them and they were not
removed from it. To anyone else it does not exist: every contributor
route answers 404, as for a project id never made, and leaves it out of every list.

The rule is the lease gate's own answer (``admission.admit``: the project's status, then
``workforce.gate``), read without claiming anything; the gate states that hide a project
are listed once here. A project whose work is only held up for now (its budget spent,
the contributor's share taken, probation) stays visible.

Whose project it is stays hidden too: the organization's name is shown to contributors
only when its workforce policy says ``show_customer``.
"""

from __future__ import annotations

from datafab.errors import NotFound
from datafab.foundry import Foundry
from datafab.services import admission, workforce
from datafab.services.accounts import Contributor
from datafab.services.projects import Project, load_project
from datafab.store import pools as pools_sql
from datafab.store.handles import Connection

# Gate states under which the project does not exist for the contributor.
HIDDEN = frozenset({
    "paused",  # not active (paused, or not yet opened)
    "not_cleared",  # a confidential or restricted project, and no clearance reaching it
    "missing_skills",  # nor may they qualify: a skill they have not even declared
    "not_in_pool",  # a private pool they are not a member of
    "removed",  # removed from the project
    "qualification_failed",  # took the qualification and failed it (until new guidelines)
    "barred",  # grades an eval set whose training data they write
})


def hides(gate: workforce.Gate) -> bool:
    """Whether this answer of the gate means the project does not exist for them."""
    return gate.state in HIDDEN


def may_see(foundry: Foundry, conn: Connection, project: Project,
            contributor: Contributor) -> bool:
    """May this contributor see this project now? (See the module's docstring.)"""
    return not hides(admission.admit(foundry, conn, project, contributor, 1))


def hidden(project_id: int) -> NotFound:
    """The answer for a project the contributor may not see: the same as for no project."""
    return NotFound(f"project {project_id} not found", field="project_id")


def load_visible(foundry: Foundry, conn: Connection, contributor: Contributor,
                 project_id: int) -> Project:
    """The project, if the contributor may see it now; ``NotFound`` otherwise."""
    project = load_project(conn, None, project_id)
    if not may_see(foundry, conn, project, contributor):
        raise hidden(project_id)
    return project


def project_for(foundry: Foundry, contributor: Contributor, project_id: int) -> Project:
    with foundry.db.read() as conn:
        return load_visible(foundry, conn, contributor, project_id)


def visible_projects(foundry: Foundry, conn: Connection,
                     contributor: Contributor) -> list[Project]:
    """Every project the contributor may see now, oldest first."""
    found = (load_project(conn, None, pid) for pid in pools_sql.active_projects(conn))
    return [p for p in found if may_see(foundry, conn, p, contributor)]


def customer(foundry: Foundry, conn: Connection, project: Project) -> str | None:
    """The organization's name, if it lets contributors know it; else ``None``."""
    policy = workforce.policy_of(foundry, conn, project.id)
    if policy is None or not policy.show_customer:
        return None
    return pools_sql.organization_name(conn, project.organization_id)


def sensitivity(foundry: Foundry, conn: Connection, project: Project) -> str:
    """The project's sensitivity: standard, confidential or restricted."""
    policy = workforce.policy_of(foundry, conn, project.id)
    return "standard" if policy is None else policy.sensitivity

"""An organization's own pool of contributors: admit, dismiss, list, and invitation codes
that admit whoever signs up with them.

A project whose workforce policy says ``"pool": "private"`` is open to the members of its
organization's pool only (``workforce.gate``); to anyone else it does not exist
(``confidentiality``). Each organization sees and changes its own pool only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from datafab.errors import InvalidInput, NotFound, from_pydantic
from datafab.foundry import Foundry
from datafab.services import audit, workforce
from datafab.services.secrets import digest, new_secret, shown_prefix
from datafab.store import contributors, leasing
from datafab.store import pools as pools_sql
from datafab.store.handles import Connection

INVITE_PREFIX = "dfi_"
DAY = 86_400.0


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uses: int = Field(1, ge=1, le=10_000, description="How many sign-ups the code admits.")
    expires_in_days: float = Field(14, gt=0, le=365, description="Days the code stays good.")


@dataclass(frozen=True)
class Invitation:
    id: int
    code: str  # shown once; only its hash is kept
    uses: int
    expires_at: float

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "code": self.code, "uses": self.uses,
                "expires_at": self.expires_at}


def _contributor_exists(conn: Connection, contributor_id: int) -> None:
    if not contributors.exists(conn, contributor_id):
        raise NotFound(f"contributor_id: no contributor {contributor_id}",
                       field="contributor_id")


def _organization_exists(conn: Connection, organization: int) -> None:
    if pools_sql.organization_name(conn, organization) is None:
        raise NotFound(f"organization: no organization {organization}", field="organization")


def _contributor_id(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise InvalidInput("contributor_id: expected a contributor's id (a positive integer)",
                           field="contributor_id")
    return raw


def admit(foundry: Foundry, organization: int, contributor_id: Any, *,
          actor: str = "requester") -> dict[str, Any]:
    """Admit a contributor to the organization's pool (already in it: unchanged)."""
    cid = _contributor_id(contributor_id)
    now = foundry.now()
    with foundry.db.write() as conn:
        _organization_exists(conn, organization)
        _contributor_exists(conn, cid)
        pools_sql.admit(conn, organization, cid, now, actor)
        audit.record(conn, now, organization=organization, actor=actor,
                     action="pool.admitted", target=f"contributor:{cid}")
    return member(foundry, organization, cid)


def dismiss(foundry: Foundry, organization: int, contributor_id: int, *,
            actor: str = "requester") -> dict[str, Any]:
    """Take a contributor out of the pool: the organization's private projects are gone for
    them from the next request on, and their live leases there go back to the pool (so no
    item of a project they may no longer see stays in their hands)."""
    cid = _contributor_id(contributor_id)
    now = foundry.now()
    with foundry.db.write() as conn:
        _organization_exists(conn, organization)
        if not pools_sql.dismiss(conn, organization, cid):
            raise NotFound(f"contributor_id: contributor {cid} is not in the pool",
                           field="contributor_id")
        released = 0
        for lease in pools_sql.live_leases(conn, organization, cid):
            policy = workforce.policy_of(foundry, conn, lease.project_id)
            if policy is not None and policy.pool == "private":
                released += leasing.release(conn, lease=lease.id, contributor=cid, now=now)
        audit.record(conn, now, organization=organization, actor=actor,
                     action="pool.dismissed", target=f"contributor:{cid}",
                     details={"released": released})
    return {"contributor_id": cid, "member": False, "released": released}


def members(foundry: Foundry, organization: int) -> list[dict[str, Any]]:
    """The organization's pool, oldest admission first."""
    with foundry.db.read() as conn:
        _organization_exists(conn, organization)
        rows = pools_sql.members(conn, organization)
    return [{"contributor_id": r.contributor_id, "name": r.name, "admitted_at": r.admitted_at,
             "admitted_by": r.admitted_by} for r in rows]


def member(foundry: Foundry, organization: int, contributor_id: int) -> dict[str, Any]:
    (found,) = [m for m in members(foundry, organization)
                if m["contributor_id"] == contributor_id]
    return found


def invite(foundry: Foundry, organization: int, raw: Any = None) -> Invitation:
    """A new invitation code into the pool (shown once; only its hash is kept)."""
    try:
        spec = InvitationIn.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        raise from_pydantic(exc) from exc
    code = new_secret(INVITE_PREFIX)
    now = foundry.now()
    expires = now + spec.expires_in_days * DAY
    with foundry.db.write() as conn:
        _organization_exists(conn, organization)
        made = pools_sql.add_invitation(conn, organization, digest(code), shown_prefix(code),
                                        spec.uses, expires, now)
        audit.record(conn, now, organization=organization, actor="requester",
                     action="pool.invitation", target=f"invitation:{made}",
                     details={"uses": spec.uses, "expires_at": expires})
    return Invitation(made, code, spec.uses, expires)


def redeem(conn: Connection, code: str, contributor_id: int, now: float) -> int:
    """Inside a sign-up's transaction: spend one use of the code and admit the new
    contributor to its organization's pool. A code that is unknown, used up or expired is
    refused (naming the ``invite`` field), and so the whole sign-up with it."""
    code = (code or "").strip()
    organization = None
    if code.startswith(INVITE_PREFIX) and len(code) <= 200:
        organization = pools_sql.redeem(conn, digest(code), now)
    if organization is None:
        raise InvalidInput("invite: this invitation code is unknown, used up or expired",
                           field="invite")
    pools_sql.admit(conn, organization, contributor_id, now, "invitation")
    audit.record(conn, now, organization=organization, actor="invitation",
                 action="pool.admitted", target=f"contributor:{contributor_id}")
    return organization

"""An organization's ingest keys, and the originals it may keep.

Each organization has its own pseudonym key (HMAC) and data key (Fernet, AES-128-CBC with
HMAC-SHA256), made on first use and stored encrypted under the site's data key
(``DATAFAB_DATA_KEY``, or, on loopback, one kept in the key file beside the database — see
``services/site_keys.py``). An item's original text exists only encrypted in
``item_originals``, and only if the organization opted in.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from datafab.errors import InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.services import site_keys as kept_keys
from datafab.services.projects import load_project
from datafab.store import ingest_keys as stored
from datafab.store.handles import IntegrityError


@dataclass(frozen=True)
class OrgKeys:
    pseudonym_key: bytes
    fernet: Fernet
    keep_originals: bool


def _site_fernet(foundry: Foundry) -> Fernet:
    configured = foundry.settings.data_key
    if configured:
        raw = hashlib.sha256(b"datafab-data:" + configured.encode()).digest()
    else:
        raw = kept_keys.kept_key(foundry, kept_keys.DATA_KEY)
    return Fernet(base64.urlsafe_b64encode(raw))


def organization_keys_for(foundry: Foundry, organization: int) -> OrgKeys:
    """The organization's keys, made on first use."""
    site = _site_fernet(foundry)
    row = _key_row(foundry, organization)
    if row is None:
        try:
            with foundry.db.write() as conn:
                stored.insert_keys(conn, organization,
                                   site.encrypt(secrets.token_bytes(32)).decode(),
                                   site.encrypt(Fernet.generate_key()).decode(), foundry.now())
        except IntegrityError:
            pass
        row = _key_row(foundry, organization)
    assert row is not None  # made above, by this call or a concurrent one
    try:
        return OrgKeys(site.decrypt(row.pseudonym_key.encode()),
                       Fernet(site.decrypt(row.data_key.encode())), bool(row.keep_originals))
    except InvalidToken as exc:
        raise InvalidInput("the organization's keys do not open with this site's data key "
                           "(DATAFAB_DATA_KEY changed?)", field="data_key") from exc


def _key_row(foundry: Foundry, organization: int):
    with foundry.db.read() as conn:
        return stored.key_row(conn, organization)


def set_keep_originals(foundry: Foundry, organization: int, keep: bool) -> bool:
    """Opt the organization in (or out) of keeping originals, encrypted; out deletes none
    already kept — :func:`forget_originals` does."""
    organization_keys_for(foundry, organization)
    with foundry.db.write() as conn:
        stored.set_keep_originals(conn, organization, keep)
    return keep


def forget_originals(foundry: Foundry, organization: int) -> int:
    with foundry.db.write() as conn:
        return stored.delete_originals(conn, organization)


def get_original(foundry: Foundry, organization: int, item_id: int) -> dict[str, Any]:
    """An item's text before redaction, for its own organization's requesters only."""
    with foundry.db.read() as conn:
        row = stored.original_of(conn, item_id)
        try:
            if row is None or row.organization_id != organization:
                raise NotFound("no original")
            load_project(conn, organization, row.project_id)
        except NotFound as exc:
            raise NotFound(f"item {item_id} has no original kept", field="item_id") from exc
    keys = organization_keys_for(foundry, organization)
    return {"item_id": item_id, "text": keys.fernet.decrypt(row.ciphertext.encode()).decode()}

"""Keys the site holds for itself.

Two keys must never travel with a copy of the database, because that copy would then open
everything: the key browser sessions are signed with (``DATAFAB_SESSION_SECRET``) and the key
that encrypts each organization's ingest keys (``DATAFAB_DATA_KEY``). Each comes from its
environment variable; when one is unset — allowed only while ``datafab serve`` listens on
loopback — it is made once and kept in a **key file** readable by its owner only (0600),
beside the SQLite database (``datafab.db.keys``) or, for PostgreSQL, ``datafab.keys`` in the
working directory (``DATAFAB_KEY_FILE`` chooses another place). Every process started in the
same place agrees on them, and they survive a restart. The key file is not in a backup of the
database: keep a copy of it (or set the variables) to open a restored database's originals.

A data key kept in the database by an older version moves to the key file the first time the
file is made, and leaves the database.

The key contributor pseudonyms are made with (exports and dashboards show
``HMAC(key, project:contributor)``, so nobody without the key can confirm a guess of who
answered) stays in the database: whoever holds a copy of it sees the contributor ids anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from datafab.foundry import Foundry
from datafab.settings import Settings
from datafab.store import site_keys as queries
from datafab.store import sqlite_files
from datafab.store.handles import IntegrityError

SESSION_KEY = "session"
DATA_KEY = "data"
PSEUDONYM_KEY = "pseudonym"
KEPT = (SESSION_KEY, DATA_KEY)  # the keys a key file holds


def session_key(foundry: Foundry) -> bytes:
    configured = foundry.settings.session_secret
    if configured:
        return hashlib.sha256(b"datafab-session:" + configured.encode()).digest()
    return kept_key(foundry, SESSION_KEY)


def key_file(settings: Settings) -> Path:
    """Where the keys made for unset variables are kept."""
    if settings.key_file:
        return Path(settings.key_file)
    backend, database = sqlite_files.url_parts(settings.database_url)
    if backend == "sqlite" and database and database != ":memory:":
        return Path(database + ".keys")
    return Path("datafab.keys")


def missing_keys(settings: Settings) -> list[str]:
    """The key variables that are unset (``datafab serve`` beyond loopback needs them)."""
    return [name for name, value in (("DATAFAB_SESSION_SECRET", settings.session_secret),
                                     ("DATAFAB_DATA_KEY", settings.data_key)) if not value]


def kept_key(foundry: Foundry, name: str) -> bytes:
    """The key ``name`` (session or data) from the key file, which is made on first use."""
    path = key_file(foundry.settings)
    keys = _read(path)
    if keys is None or name not in keys:
        keys = _make(foundry, path, keys or {})
    _forget_in_database(foundry, keys)
    return bytes.fromhex(keys[name])


def _read(path: Path) -> dict[str, str] | None:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return json.loads(text)


def _make(foundry: Foundry, path: Path, keys: dict[str, str]) -> dict[str, str]:
    """Write the key file with every kept key (those already in it unchanged); when another
    process made it meanwhile, theirs wins."""
    made = dict(keys)
    for name in KEPT:
        if name not in made:
            stored = _stored(foundry, name) if name == DATA_KEY else None
            made[name] = stored or secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(made, out)
        out.flush()
        os.fsync(out.fileno())
    try:
        if keys:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if another process made the file first
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)
    return _read(path) or made


def _forget_in_database(foundry: Foundry, keys: dict[str, str]) -> None:
    """Delete the kept keys the database still holds once the key file has them (a data key
    other than the file's stays: organization keys made under it may still need it)."""
    with foundry.db.read() as conn:
        present = queries.secrets_named(conn, KEPT)
    gone = [name for name, secret in present.items()
            if name == SESSION_KEY or secret == keys.get(name)]
    if gone:
        with foundry.db.write() as conn:
            queries.forget(conn, gone)


class Pseudonyms:
    """Stable, keyed pseudonyms for contributors within one project (not linkable across
    projects, not reversible without the site's key)."""

    def __init__(self, foundry: Foundry) -> None:
        self._key = site_key(foundry, PSEUDONYM_KEY)

    def __call__(self, project_id: int, contributor_id: int) -> str:
        message = f"{project_id}:{contributor_id}".encode()
        return "c_" + hmac.new(self._key, message, hashlib.sha256).hexdigest()[:12]


def site_key(foundry: Foundry, name: str) -> bytes:
    """The site's key called ``name``, kept in the database, made on first use."""
    stored = _stored(foundry, name)
    if stored is None:
        try:
            with foundry.db.write() as conn:
                queries.add(conn, name=name, secret=secrets.token_hex(32), now=foundry.now())
        except IntegrityError:  # another process made it first: use theirs
            pass
        stored = _stored(foundry, name)
    assert stored is not None  # made just now, by this process or another
    return bytes.fromhex(stored)


def _stored(foundry: Foundry, name: str) -> str | None:
    with foundry.db.read() as conn:
        return queries.secret(conn, name)

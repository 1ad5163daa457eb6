"""A response that shows a secret is never kept by the idempotency store: its repeat gets 409
``idempotency_secret_shown_once``, nothing is done twice, and the migration that brought this
in deleted the rows stored before."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, insert, select

from datafab.services import idempotency
from datafab.services.secrets import (
    CONTRIBUTOR_TOKEN_PREFIX,
    SECRET_PREFIXES,
    carries_secret,
    new_secret,
)
from datafab.store.migrate import upgrade
from datafab.store.tables import api_keys, idempotency_keys


def _key(headers, key):
    return {**headers, "Idempotency-Key": key}


def _stored_bytes(foundry) -> bytes:
    """Everything the idempotency table holds, as one blob to search."""
    with foundry.db.read() as conn:
        rows = conn.execute(select(idempotency_keys)).all()
    return b"\n".join(repr(tuple(row)).encode() for row in rows)


def _count(foundry, table) -> int:
    with foundry.db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_new_api_key_is_never_stored_and_its_repeat_is_refused(api, foundry, make_org):
    org = make_org()
    first = api.post("/v1/keys", json={"name": "ci"}, headers=_key(org.headers, "new-key"))
    assert first.status_code == 201, first.text
    key = first.json()["key"]
    assert first.headers["cache-control"] == "no-store"
    stored = _stored_bytes(foundry)
    assert key.encode() not in stored and not carries_secret(stored)
    assert _count(foundry, idempotency_keys) == 1  # the key is remembered, its response not

    again = api.post("/v1/keys", json={"name": "ci"}, headers=_key(org.headers, "new-key"))
    assert again.status_code == 409, again.text
    error = again.json()["error"]
    assert error["type"] == "idempotency_secret_shown_once"
    assert error["field"] == "Idempotency-Key"
    assert "201" in error["message"] and "shown only once" in error["message"]
    assert "dfk_" not in again.text
    assert _count(foundry, api_keys) == 2  # the organization's first key and this one: no third
    # The new key works (it was made once, and shown once).
    assert api.get("/v1/keys", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_a_rotated_webhook_secret_is_never_stored_and_not_rotated_twice(api, foundry, make_org):
    org = make_org()
    first = api.post("/v1/webhooks/secret/rotate", headers=_key(org.headers, "rot"))
    assert first.status_code == 200, first.text
    secret = first.json()["secret"]
    assert secret.startswith("whsec_")
    assert secret.encode() not in _stored_bytes(foundry)
    again = api.post("/v1/webhooks/secret/rotate", headers=_key(org.headers, "rot"))
    assert again.status_code == 409
    assert again.json()["error"]["type"] == "idempotency_secret_shown_once"
    assert "whsec_" not in again.text
    current = api.get("/v1/webhooks/secret", headers=org.headers)
    assert current.json()["secret"] == secret  # rotated once
    assert current.headers["cache-control"] == "no-store"


def test_any_response_showing_a_secret_is_withheld_whatever_its_route(foundry):
    # Whatever route answers (a page, a future endpoint), the store looks at the body itself.
    token = new_secret(CONTRIBUTOR_TOKEN_PREFIX)
    claim = idempotency.begin(foundry, "caller", "k", "print")
    body = f"<p>Your token: <code>{token}</code></p>".encode()
    idempotency.finish(foundry, claim, 200, "text/html", body)
    assert token.encode() not in _stored_bytes(foundry)
    with pytest.raises(idempotency.SecretShownOnce):
        idempotency.begin(foundry, "caller", "k", "print")
    # A shown prefix (as in the key list and the audit log) is not a secret: stored as usual.
    claim = idempotency.begin(foundry, "caller", "k2", "print")
    idempotency.finish(foundry, claim, 200, "application/json", b'{"prefix": "dfk_AbCdEfGh"}')
    assert isinstance(idempotency.begin(foundry, "caller", "k2", "print"), idempotency.Stored)


def test_every_secret_kind_is_recognised():
    for prefix in SECRET_PREFIXES:
        assert carries_secret(b'{"x": "' + new_secret(prefix).encode() + b'"}')
        assert not carries_secret(b'{"x": "' + new_secret(prefix)[:12].encode() + b'"}')
    from datafab.services import webhooks

    assert webhooks.SECRET_PREFIX in SECRET_PREFIXES



def test_the_migration_deletes_stored_responses_that_show_a_secret(empty_database_url):
    upgrade(empty_database_url, "0010_budget_reservation")
    secret_key = new_secret("dfk_")
    bodies = {
        "key": b'{"id": 2, "key": "' + secret_key.encode() + b'"}',
        "webhook": b'{"secret": "' + new_secret("whsec_").encode() + b'"}',
        "project": b'{"id": 1, "name": "p"}',
        "listed": b'{"prefix": "dfk_AbCdEfGh"}',
    }
    engine = create_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            for name, body in bodies.items():
                conn.execute(insert(idempotency_keys).values(
                    scope="s", key=name, fingerprint="f", status="done", locked_until=0.0,
                    response_status=201, response_type="application/json",
                    response_body=body, created_at=0.0))
            conn.execute(insert(idempotency_keys).values(
                scope="s", key="running", fingerprint="f", status="in_flight",
                locked_until=0.0, created_at=0.0))
        upgrade(empty_database_url)
        with engine.connect() as conn:
            left = sorted(conn.execute(select(idempotency_keys.c.key)).scalars())
            blobs = conn.execute(select(idempotency_keys.c.response_body)).scalars().all()
    finally:
        engine.dispose()
    assert left == ["listed", "project", "running"]
    assert not any(carries_secret(bytes(b)) for b in blobs if b is not None)

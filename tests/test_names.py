"""One rule for names, on SQLite and PostgreSQL: a name that shows nothing (blank, zero-width
or text-direction characters only) is refused with a 422 naming the field, and nothing is
written — for projects, organizations, contributors and eval sets alike."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from datafab.errors import InvalidInput
from datafab.names import clean_name
from datafab.services import accounts
from datafab.store.tables import contributors, eval_sets, organizations, projects

INVISIBLE = ["", "   ", "\u200b", "\u200b\u200c\u200d\ufeff", "\u202e", "\u202a\u202c",
             "\u2066\u2069 \u200e\u200f", "\u3164", " \u2060 "]


@pytest.mark.parametrize("name", INVISIBLE)
def test_names_that_show_nothing_are_refused(name):
    with pytest.raises(ValueError):
        clean_name(name)


def test_names_that_show_something_are_kept_trimmed():
    assert clean_name("  Acme\u200b ") == "Acme"
    assert clean_name("\u05e9\u05dc\u05d5\u05dd") == "\u05e9\u05dc\u05d5\u05dd"
    assert clean_name("Zo\u00eb \u2014 \u5f20\u4f1f") == "Zo\u00eb \u2014 \u5f20\u4f1f"
    with pytest.raises(ValueError):
        clean_name("Acme\nLtd")


def _count(foundry, table):
    with foundry.db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_every_kind_of_name_is_held_to_the_rule(api, foundry, make_org):
    org = make_org()
    for name in ("\u200b\u202e", " \u2066\u2069 "):
        made = api.post("/v1/projects", headers=org.headers, json={
            "name": name, "primitive": "classify", "settings": {"labels": ["a", "b"]}})
        assert made.status_code == 422 and made.json()["error"]["field"].endswith("name"), \
            made.text
        made = api.post("/v1/evals/sets", headers=org.headers, json={"name": name})
        assert made.status_code == 422 and made.json()["error"]["field"].endswith("name"), \
            made.text
        with pytest.raises(InvalidInput) as refused:
            accounts.create_organization(foundry, name)
        assert refused.value.field == "name"
        with pytest.raises(InvalidInput) as refused:
            accounts.create_contributor(foundry, {"name": name})
        assert refused.value.field == "name"
        made = api.post("/v1/keys", headers=org.headers, json={"name": name})
        assert made.status_code == 422, made.text
    assert _count(foundry, projects) == 0 and _count(foundry, eval_sets) == 0
    assert _count(foundry, organizations) == 1 and _count(foundry, contributors) == 0
    ok = api.post("/v1/projects", headers=org.headers, json={
        "name": " Triage\u200b ", "primitive": "classify", "settings": {"labels": ["a", "b"]}})
    assert ok.status_code == 201 and ok.json()["name"] == "Triage"
    renamed = api.patch(f"/v1/projects/{ok.json()['id']}", headers=org.headers,
                        json={"name": "\u200b"})
    assert renamed.status_code == 422, renamed.text

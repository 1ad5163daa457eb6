"""``datafab contributors …``, ``datafab payouts …`` and ``datafab invoices …`` on both
databases."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from datafab.cli import app
from datafab.errors import NotFound
from datafab.services import items, projects, work
from datafab.services.accounts import authenticate_contributor


@pytest.fixture
def run(database_url, monkeypatch):
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    runner = CliRunner()
    return lambda *args, env=None: runner.invoke(app, list(args), env=env)


def _json(result):
    assert result.exit_code == 0, result.output
    text = result.stdout
    return json.loads(text[text.index("{") if text.lstrip()[0] == "{" else text.index("["):])


def test_operators_manage_contributors_payouts_and_invoices(run, foundry, make_worker,
                                                            tmp_path):
    key = run("org", "create", "Acme").stdout.strip().splitlines()[-1]
    env = {"DATAFAB_API_KEY": key}
    from datafab.services.accounts import authenticate_requester

    org = authenticate_requester(foundry, key)
    project = projects.create_project(foundry, org, {
        "name": "p", "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": {"min_labels": 2, "max_labels": 2}})
    items.upload_items(foundry, org, project.id,
                       [{"external_id": f"i{i}", "data": {"text": f"t{i}"}} for i in range(4)])
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"pay": {"per_task_minor": 30}, "budget_minor": 10_000}))
    shown = _json(run("contributors", "policy", str(project.id), "--file", str(policy), env=env))
    assert shown["pay"]["per_task_minor"] == 30 and shown["budget_minor"] == 10_000
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"currency": "GBP", "task_minor": 90}))
    assert _json(run("invoices", "prices", "--file", str(prices), env=env))["currency"] == "GBP"

    worker = make_worker()
    who = authenticate_contributor(foundry, worker.token)
    for lease in work.lease_items(foundry, who, project.id, 3):
        work.submit(foundry, who, lease.id, {"answer": {"label": "yes"}})
    (held,) = work.lease_items(foundry, who, project.id, 1)

    listed = _json(run("contributors", "list", str(project.id), env=env))
    assert [c["contributor_id"] for c in listed] == [worker.id]
    removed = _json(run("contributors", "standing", str(project.id), str(worker.id),
                        "removed", "--reason", "spam", env=env))
    assert removed == {"released": 1, "uncounted": 3, "items": 3}
    with pytest.raises(NotFound):  # removed: the project is gone for them
        work.lease_batch(foundry, who, project.id)

    made = _json(run("payouts", "run", "--start", "2020-01-01", "--end", "2100-01-01"))
    assert made[0]["contributor_id"] == worker.id and made[0]["amount_minor"] == 0  # reversed
    assert len(_json(run("payouts", "list", "--contributor", str(worker.id)))) == 1

    result = run("invoices", "create", "--start", "0", "--end", "4e9", env=env)
    assert result.exit_code == 0, result.output
    assert int(result.stdout.strip().splitlines()[-1]) == 3 * 90
    assert len(_json(run("invoices", "list", env=env))) == 1
    assert held.id  # the released lease went back: another contributor can take its item
    other = authenticate_contributor(foundry, make_worker("other").token)
    assert len(work.lease_items(foundry, other, project.id, 10)) == 4

    bad = run("payouts", "run", "--start", "yesterday", "--end", "0")
    assert bad.exit_code == 2 and "start" in bad.output
    wrong = run("contributors", "list", str(project.id), env={"DATAFAB_API_KEY": "dfk_nope"})
    assert wrong.exit_code == 2

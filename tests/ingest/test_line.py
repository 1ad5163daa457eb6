"""Ingest on the line (SQLite and PostgreSQL): files become redacted items; the original
never reaches a lease or an export unless the project says otherwise; each organization's
pseudonym key is its own; a bad file is named and left out while the rest goes through."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from datafab.errors import InvalidInput, NotFound
from datafab.ingest.workers import cores
from datafab.services import exports, ingest, projects, work
from datafab.services.accounts import authenticate_contributor
from datafab.store.tables import item_originals, items

from .samples import EMAIL, PII_TEXT, PII_VALUES, email_bytes, minimal_pdf


def _project(foundry, org, primitive="classify", name="mined"):
    spec = {"name": name, "primitive": primitive,
            "settings": {"labels": ["keep", "drop"]} if primitive == "classify" else {},
            "policy": {"min_labels": 1, "max_labels": 1}}
    return projects.create_project(foundry, org, spec).id


def _corpus(tmp_path):
    """The same planted personal data in every kind of file Datafab reads."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "tickets.jsonl").write_text(
        json.dumps({"id": 1, "text": PII_TEXT}) + "\n"
        + json.dumps({"id": 2, "text": "Nothing personal in this ticket at all."}) + "\n")
    (folder / "crm.csv").write_text('id,note\n1,"Call back: ' + PII_TEXT + '"\n')
    (folder / "notes.md").write_text("# Case 7\n\nAnalyst decision: " + PII_TEXT + "\n")
    (folder / "page.html").write_text(f"<html><body><h2>Contact</h2><p>{PII_TEXT}</p>"
                                      "</body></html>")
    cut = PII_TEXT.index("Refund")
    (folder / "letter.pdf").write_bytes(minimal_pdf([[PII_TEXT[:cut]], [PII_TEXT[cut:]]]))
    (folder / "mail.eml").write_bytes(email_bytes(PII_TEXT, sender=f"Jane <{EMAIL}>",
                                                  attachment=("scan.pdf", b"%PDF")))
    return sorted(folder.iterdir())


def _sources(paths):
    return [ingest.Source(p, p.name) for p in paths]


def _lease_all(foundry, make_worker, project_id):
    worker = make_worker("reader")
    who = authenticate_contributor(foundry, worker.token)
    out = []
    while batch := work.lease_items(foundry, who, project_id, 50):
        out += [lease.to_dict() for lease in batch]
    return out


def _leaks(blob: str) -> list[str]:
    return [v for v in PII_VALUES if v in blob]


def test_redacted_text_never_reaches_a_lease_or_an_export(foundry, make_org, make_worker,
                                                          tmp_path):
    org = make_org()
    pid = _project(foundry, org.id)
    report = ingest.ingest_files(foundry, org.id, pid, _sources(_corpus(tmp_path)),
                                 {"near_duplicates": False})  # similar files, all wanted
    assert report["errors"] == []
    assert {f["file"] for f in report["files"]} == {
        "crm.csv", "letter.pdf", "mail.eml", "notes.md", "page.html", "tickets.jsonl"}
    assert report["created"] == 8  # two records, two pages, one chunk per other file
    assert report["pii"]["CREDIT_CARD"] == report["pii"]["IBAN"] == 6
    leases = _lease_all(foundry, make_worker, pid)
    assert len(leases) == report["created"]
    assert _leaks(json.dumps(leases)) == []
    assert "[CREDIT_CARD]" in json.dumps(leases)
    rows = list(exports.export_rows(foundry, org.id, pid, "items"))
    assert len(rows) == report["created"]
    assert _leaks(json.dumps(rows)) == []
    assert {json.dumps(r["data"]) for r in rows} == {
        json.dumps(lease["item"]["data"]) for lease in leases}  # exactly what people see
    # provenance on the item: file, and page for the PDF
    listed = {i["meta"]["source"]["file"]: i["meta"] for i in
              _all_items(foundry, org.id, pid)}
    assert listed["letter.pdf"]["source"]["page"] in (1, 2)
    assert listed["tickets.jsonl"]["source"]["line"] in (1, 2)
    assert "attachments" in listed["mail.eml"]["source"]
    # nothing was kept: the organization did not opt in
    with foundry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(item_originals)).scalar() == 0


def _all_items(foundry, org, pid):
    from datafab.services.items import list_items

    page, _ = list_items(foundry, org, pid, limit=1000)
    return page


def test_the_project_may_say_otherwise(foundry, make_org, make_worker, tmp_path):
    org = make_org()
    pid = _project(foundry, org.id)
    ingest.set_policy(foundry, org.id, pid, {"redact": False})
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"text": PII_TEXT}) + "\n")
    report = ingest.ingest_files(foundry, org.id, pid, _sources([path]))
    assert report["pii"] == {} and report["redaction"]["redact"] is False
    leases = _lease_all(foundry, make_worker, pid)
    assert leases[0]["item"]["data"]["text"] == PII_TEXT


def test_pseudonyms_are_per_organization(foundry, make_org, tmp_path):
    a, b = make_org("A"), make_org("B")
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"text": f"Write to {EMAIL} about the invoice."}) + "\n")
    again = tmp_path / "u.jsonl"
    again.write_text(json.dumps({"text": f"{EMAIL.upper()} called twice this week."}) + "\n")
    seen = {}
    for org in (a, b):
        pid = _project(foundry, org.id)
        ingest.set_policy(foundry, org.id, pid, {"replacement": "pseudonym"})
        ingest.ingest_files(foundry, org.id, pid, _sources([path, again]))
        texts = [r["data"]["text"] for r in exports.export_rows(foundry, org.id, pid, "items")]
        tags = {t.split()[2] if t.startswith("Write") else t.split()[0] for t in texts}
        assert len(tags) == 1, texts  # one address, one pseudonym, across files
        seen[org.id] = tags.pop()
        assert seen[org.id].startswith("<EMAIL_")
    assert seen[a.id] != seen[b.id]  # another organization's key makes another pseudonym
    keys_a = ingest.organization_keys_for(foundry, a.id)
    keys_b = ingest.organization_keys_for(foundry, b.id)
    assert keys_a.pseudonym_key != keys_b.pseudonym_key
    from datafab.ingest.pii import EMAIL as KIND
    from datafab.ingest.pii import pseudonym

    assert pseudonym(keys_a.pseudonym_key, KIND, EMAIL) == seen[a.id]
    assert pseudonym(keys_b.pseudonym_key, KIND, EMAIL) == seen[b.id]


def test_originals_only_on_opt_in_encrypted_and_only_for_their_organization(
        foundry, make_org, tmp_path):
    a, b = make_org("A"), make_org("B")
    pid = _project(foundry, a.id)
    ingest.set_keep_originals(foundry, a.id, True)
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"text": PII_TEXT}) + "\n")
    ingest.ingest_files(foundry, a.id, pid, _sources([path]))
    (item,) = _all_items(foundry, a.id, pid)
    with foundry.db.read() as conn:
        stored = conn.execute(select(item_originals.c.ciphertext)).scalar_one()
    assert _leaks(stored) == []  # encrypted at rest
    assert ingest.get_original(foundry, a.id, item["id"])["text"] == PII_TEXT
    with pytest.raises(NotFound):
        ingest.get_original(foundry, b.id, item["id"])


def test_a_bad_file_is_named_and_the_rest_goes_through(foundry, make_org, tmp_path):
    org = make_org()
    pid = _project(foundry, org.id)
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps({"text": f"good record number {i}"}) + "\n"
                            for i in range(5)))
    bad = tmp_path / "bad.jsonl"
    lines = [json.dumps({"text": f"unique line {i} of the bad file"}) for i in range(1200)]
    lines[1100] = '{"text": "no closing quote}'
    bad.write_text("\n".join(lines) + "\n")
    report = ingest.ingest_files(foundry, org.id, pid, _sources([bad, good]))
    assert report["errors"] == [{"file": "bad.jsonl", "line": 1101,
                                 "message": report["errors"][0]["message"]}]
    assert "not a JSON record" in report["errors"][0]["message"]
    assert report["created"] == 5
    with foundry.db.read() as conn:  # the 1000 lines staged before the error are gone
        assert conn.execute(select(func.count()).select_from(items)).scalar() == 5
        statuses = set(conn.execute(select(items.c.status)).scalars())
    assert statuses == {"open"}


def test_duplicates_dropped_with_a_report_and_reingest_changes_nothing(foundry, make_org,
                                                                      tmp_path):
    org = make_org()
    pid = _project(foundry, org.id)
    body = "The analyst approved the refund because " + " ".join(
        f"reason{i}" for i in range(200))
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(json.dumps({"text": t}) for t in [
        body, body, body.replace("reason40", "motive40"), "An unrelated short note."]) + "\n")
    options = {"chunk_size": 5000}  # one chunk per record
    report = ingest.ingest_files(foundry, org.id, pid, _sources([path]), options)
    assert report["created"] == 2
    assert report["dropped"] == 2
    assert report["duplicates"]["exact"] == 1 and report["duplicates"]["near"] == 1
    reasons = {d["reason"]: d for d in report["duplicates"]["listed"]}
    assert reasons["exact"]["source"]["line"] == 2
    assert reasons["near"]["source"]["line"] == 3 and reasons["near"]["similarity"] >= 0.85
    again = ingest.ingest_files(foundry, org.id, pid, _sources([path]), options)
    assert again["created"] == 0 and again["unchanged"] == 2
    assert [r["id"] for r in ingest.list_runs(foundry, org.id, pid)] == [
        again["run_id"], report["run_id"]]


def test_routes_into_write_projects_and_refuses_others(foundry, make_org, tmp_path):
    org = make_org()
    pid = _project(foundry, org.id, "write", name="sft")
    path = tmp_path / "d.md"
    path.write_text("Past decision: refund granted to " + EMAIL + ".\n")
    ingest.ingest_files(foundry, org.id, pid, _sources([path]))
    (item,) = _all_items(foundry, org.id, pid)
    assert item["data"]["prompt"][0]["content"] == "Past decision: refund granted to [EMAIL]."
    ranked = projects.create_project(foundry, org.id, {
        "name": "r", "primitive": "rank", "settings": {}, "policy": {}}).id
    with pytest.raises(InvalidInput, match="classify, spans, write"):
        ingest.ingest_files(foundry, org.id, ranked, _sources([path]))
    with pytest.raises(InvalidInput, match="chunk by"):
        ingest.ingest_files(foundry, org.id, pid, _sources([path]), {"chunk_by": "page"})


def test_another_organizations_project_is_not_found(foundry, make_org, tmp_path):
    a, b = make_org("A"), make_org("B")
    pid = _project(foundry, a.id)
    path = tmp_path / "t.txt"
    path.write_text("hello\n")
    with pytest.raises(NotFound):
        ingest.ingest_files(foundry, b.id, pid, _sources([path]))


def _stored(foundry, pid):
    with foundry.db.read() as conn:
        return sorted(conn.execute(select(items.c.external_id, items.c.data, items.c.meta,
                                          items.c.status)
                                   .where(items.c.project_id == pid)).all())


def test_worker_processes_give_what_one_process_gives(foundry, make_org, tmp_path):
    """Redaction and fingerprints in a pool of worker processes: the same items, the same
    duplicates dropped (judged in input order), a bad file still named and left out."""
    org = make_org()
    paths = _corpus(tmp_path)
    body = "The analyst approved the refund because " + " ".join(
        f"reason{i}" for i in range(200))
    records = [body, body.replace("reason40", "motive40"), PII_TEXT, body]
    records += [f"Note {i}: {PII_TEXT}" for i in range(600)]  # more than one batch
    many = tmp_path / "many.jsonl"
    many.write_text("".join(json.dumps({"text": t}) + "\n" for t in records))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps({"text": f"line {i} {PII_TEXT}"}) + "\n"
                           for i in range(700)) + "{broken\n")
    sources = _sources(paths + [many, bad])
    reports = {}
    for workers in (0, 2):
        pid = _project(foundry, org.id, name=f"mined-{workers}")
        reports[workers] = (pid, ingest.ingest_files(
            foundry, org.id, pid, sources, {"workers": workers, "chunk_size": 5000}))
    (one_pid, one), (two_pid, two) = reports[0], reports[2]
    assert one["workers"] == 0 and two["workers"] == min(2, cores()) >= 1
    for key in ("files", "errors", "pii", "duplicates", "created", "dropped"):
        assert one[key] == two[key], key
    assert two["errors"] == [{"file": "bad.jsonl", "line": 701,
                              "message": two["errors"][0]["message"]}]
    assert two["duplicates"]["exact"] >= 1 and two["duplicates"]["near"] >= 1
    assert [r[:2] for r in _stored(foundry, one_pid)] == [r[:2] for r in
                                                           _stored(foundry, two_pid)]
    stored = json.dumps([list(r[1:3]) for r in _stored(foundry, two_pid)])
    assert _leaks(stored) == []


def test_a_file_is_published_by_primary_key_range(tmp_path):
    """Publishing (and discarding) a file's staged items visits only the rows written since
    the file began — not, through the project's index, every item the project has. (Read
    from SQLite's query plan; PostgreSQL plans by its statistics.)"""
    from sqlalchemy import text, update

    from datafab.foundry import Foundry
    from datafab.services.accounts import create_organization
    from datafab.settings import Settings
    from datafab.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)
    foundry = Foundry(Settings(database_url=url, refit_in_background=False))
    org, _ = create_organization(foundry, "Plan")
    pid = _project(foundry, org)
    with foundry.db.read() as conn:
        project = projects.load_project(conn, org, pid)
    run = ingest._Run(foundry, project, org, 1, None, None)
    run._floor = 0
    statement = update(items).where(*run._mine()).values(status="open")
    compiled = statement.compile(foundry.db.engine, compile_kwargs={"literal_binds": True})
    with foundry.db.read() as conn:
        plan = " ".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    foundry.close()
    assert "PRIMARY KEY" in plan, plan

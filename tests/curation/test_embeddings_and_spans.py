"""Audits with embeddings from an OpenAI-compatible endpoint (a real HTTP server on
127.0.0.1), an endpoint that does not answer, and a spans project."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from tests.live_servers import free_port
from typer.testing import CliRunner

from datafab.cli import app
from datafab.services.curation import audit
from datafab.services.curation.embeddings import EmbeddingsEndpoint

from .conftest import LABELS, PLANTED, corpus, given_label

DIM = 64


def _vector(text: str) -> list[float]:
    """A bag of hashed words: texts sharing words are near."""
    v = [0.0] * DIM
    for word in text.split():
        v[int(hashlib.sha256(word.encode()).hexdigest(), 16) % DIM] += 1.0
    return v


class _Embeddings(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_POST(self):  # noqa: N802 - the handler's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Embeddings.seen.append({"path": self.path, "model": body["model"],
                                 "auth": self.headers.get("Authorization")})
        out = {"object": "list", "model": body["model"], "data": [
            {"object": "embedding", "index": i, "embedding": _vector(t)}
            for i, t in enumerate(body["input"])]}
        raw = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@pytest.fixture
def embeddings_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Embeddings)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Embeddings.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    thread.join(timeout=10)


def test_an_audit_on_embeddings_finds_the_planted_label(foundry, labelled, embeddings_server):
    org, project, _ = labelled
    prepared = audit.prepare(foundry, org.id, project["id"])
    seen = []
    report = audit.run_audit(prepared, embeddings=EmbeddingsEndpoint(
        embeddings_server, "tiny-embed", "sk-test"), on_progress=lambda d, t: seen.append(d))
    assert report.features == "embeddings"
    assert PLANTED in [line["external_id"] for line in report.lines[:3]]
    assert _Embeddings.seen and _Embeddings.seen[0]["path"] == "/v1/embeddings"
    assert _Embeddings.seen[0]["model"] == "tiny-embed"
    assert _Embeddings.seen[0]["auth"] == "Bearer sk-test"
    assert seen == sorted(seen) and seen[-1] == report.n_units + audit.FOLDS + 2


def test_an_endpoint_that_does_not_answer_is_named_and_nothing_is_written(
        foundry, labelled, database_url, monkeypatch, tmp_path):
    org, project, _ = labelled
    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "audit.jsonl"
    projects_before = len(foundry_projects(foundry))
    dead = f"http://127.0.0.1:{free_port()}/v1"
    result = CliRunner().invoke(app, ["audit", "--project", str(project["id"]), "--output",
                                      str(out), "--embeddings-url", dead, "--review", "3",
                                      "--api-key", org.key])
    assert result.exit_code == 2, result.output
    assert "--embeddings-url" in result.output and "did not give embeddings" in result.output
    assert not out.exists()
    assert list((tmp_path / "out").iterdir()) == []
    assert len(foundry_projects(foundry)) == projects_before  # no review project


def foundry_projects(foundry):
    from sqlalchemy import select

    from datafab.store.tables import projects

    with foundry.db.read() as conn:
        return conn.execute(select(projects.c.id)).all()


def test_a_spans_project_is_audited_span_by_span(api, foundry, make_org, make_worker):
    org = make_org()
    body = {"name": "spans", "primitive": "spans", "settings": {"labels": LABELS},
            "policy": {"min_labels": 1, "max_labels": 1}}
    project = api.post("/v1/projects", json=body, headers=org.headers).json()
    rows = corpus(60)
    items = [{"external_id": ext, "data": {"text": f"note: {text}"}} for ext, text, _ in rows]
    assert api.post(f"/v1/projects/{project['id']}/items", json={"items": items},
                    headers=org.headers).status_code in (200, 201)
    truth = {ext: t for ext, _, t in rows}
    worker = make_worker()
    leases = api.post(f"/v1/projects/{project['id']}/leases", json={"n": 60},
                      headers=worker.headers).json()["leases"]
    for lease in leases:
        ext, text = lease["item"]["external_id"], lease["item"]["data"]["text"]
        spans = [{"start": 6, "end": len(text), "label": given_label(ext, truth[ext])}]
        r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": {"spans": spans}},
                     headers=worker.headers)
        assert r.status_code == 200, r.text
    report = audit.run_audit(audit.prepare(foundry, org.id, project["id"]))
    top = report.lines[0]
    assert top["external_id"] == PLANTED
    assert top["label"]["label"] == "cars" and top["suggested"]["label"] == "fruit"
    assert top["suggested"]["start"] == 6

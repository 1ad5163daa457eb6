"""Storing ingested chunks through the fast paths gives what the reference paths give: the
content hash through orjson is ``services.items._hash``'s, character for character, so the
same item gets the same hash in every run (SQLite and PostgreSQL); the row JSON is
``json.dumps``'s text."""

from __future__ import annotations

import json
import sys

from sqlalchemy import select

from datafab.services import ingest, projects
from datafab.services.ingest.staging import _content_hash
from datafab.services.items import _hash, plain_hash
from datafab.store.ingest_writes import _json
from datafab.store.tables import items

from .samples import PII_TEXT
from .test_line import _corpus, _sources

# every character a chunk may hold (no lone surrogates: no database keeps them), in strings
# of 4,096
_CODES = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
EVERY_CHARACTER = ["".join(map(chr, _CODES[i:i + 4096])) for i in range(0, len(_CODES), 4096)]


def _contents():
    yield {"data": {"text": ""}, "gold_answer": None, "meta": {"source": {}}}
    for i, text in enumerate(EVERY_CHARACTER):
        yield {"data": {"text": text, "prompt": text[::-1]}, "gold_answer": None,
               "meta": {"source": {"file": text[:40], "start": i, "end": -i, "line": None,
                                   "page": 2**63 - 1, "flag": i % 2 == 0,
                                   "attachments": [{"filename": "a\x00\x1f\x7f\u2028.pdf",
                                                    "bytes": 0}]},
                        "redactions": [{"type": "EMAIL", "start": 1, "end": 8}],
                        text[i % 97:i % 97 + 3]: "a key", "Z": 1, "a": 2, "é": 3, "e\u0301": 4}}


def test_the_orjson_content_hash_is_the_reference_hash():
    for content in _contents():
        assert plain_hash(content) == _hash(content)
        assert _content_hash(content["data"], content["meta"]) == _hash(content)


def test_what_orjson_would_write_otherwise_goes_through_the_reference():
    big = {"data": {"text": "x"}, "gold_answer": None, "meta": {"source": {"n": 2**64}}}
    assert plain_hash(big) == _hash(big)  # orjson refuses it: the reference instead
    for value in (1e-07, 1.5, 1e16, 12345678901234567890.0):
        meta = {"source": {"file": "a", "scores": [{"at": value}]}}
        content = {"data": {"text": "x"}, "gold_answer": None, "meta": meta}
        assert _content_hash(content["data"], meta) == _hash(content)
        data = {"text": "x", "weight": value}
        content = {"data": data, "gold_answer": None, "meta": {"source": {}}}
        assert _content_hash(data, content["meta"]) == _hash(content)
    # the reason for the detour: orjson writes this float otherwise
    weird = {"data": {"text": "x"}, "gold_answer": None, "meta": {"x": 1e-07}}
    assert plain_hash(weird) != _hash(weird)


def test_row_json_is_json_dumps_text():
    values = [None, {"text": PII_TEXT}, {"a": [1, 2.5, 1e-07, True, None, {"b": "ü"}]},
              {"nan": float("nan"), "inf": float("inf")}, [], {}, 3, "x", sys.maxsize * 4]
    values += [{"text": text} for text in EVERY_CHARACTER[:20]]
    for value in values:
        assert _json(value) == json.dumps(value)


def test_stored_items_carry_the_reference_hash_and_the_same_one_again(foundry, make_org,
                                                                        tmp_path):
    org = make_org()
    made = []
    for name in ("one", "two"):
        pid = projects.create_project(foundry, org.id, {
            "name": name, "primitive": "classify", "settings": {"labels": ["a", "b"]},
            "policy": {"max_labels": 1}}).id
        (tmp_path / name).mkdir()
        sources = _sources(_corpus(tmp_path / name))
        report = ingest.ingest_files(foundry, org.id, pid, sources, {"workers": 0})
        assert report["created"] > 5 and not report["errors"]
        with foundry.db.read() as conn:
            rows = conn.execute(select(items.c.external_id, items.c.data, items.c.meta,
                                       items.c.content_hash)
                                .where(items.c.project_id == pid)).all()
        assert any(r.meta.get("redactions") for r in rows)
        for r in rows:
            assert r.content_hash == _hash({"data": r.data, "gold_answer": None,
                                            "meta": r.meta})
        made.append({r.external_id: r.content_hash for r in rows})
    assert made[0] == made[1]  # the same chunks, the same hashes, run after run

"""The fast paths of ingest give exactly what the reference paths give: MinHash fingerprints
computed for many chunks at once, the personal-data patterns as they run (first character
class in front), and the batched single-process line."""

from __future__ import annotations

import random
import re

import numpy as np

from datafab.ingest import dedupe, names, pii
from datafab.ingest.chunking import ChunkSpec
from datafab.ingest.dedupe import Deduper, fingerprint, fingerprints
from datafab.ingest.pipeline import (
    FileEnd,
    FileStart,
    InputFile,
    Redaction,
    _read,
    process_chunk,
    process_files,
)

from .samples import CARD, DNI, EMAIL, IBAN, IP, PHONE, PII_TEXT

WORDS = ("refund delivery contract invoice password warranty price account goods the a of to "
         "and was by Ana Ruiz Okafor Chloé Ivanova Dr. Mr Haddad Straße naïve ½ ٣ 42 2026-03-01 "
         "born Born birthday BIRTH D.O.B. dob date of birth née Née geboren nacida reborn "
         "newborn unborn ébirth ábornb"
         ).split()
VALUES = [CARD, IBAN, DNI, EMAIL, PHONE, IP, "4111-1111-1111-1111", "378282246310005",
          "GB82WEST12345698765432", "X1234567L", "1 85 05 78 006 084 91", "123-45-6789",
          "(415) 555-2671", "+33 6 12 34 56 78", "020 7946 0958", "2001:db8::1",
          "version 1.2.3.4", "10.0.0.256", "born on 12/03/1985", "Order 1234567812345678",
          "DE89370400440532013001", "INV-2026-12345"]


def _mixed(rng: random.Random, n: int) -> list[str]:
    """Prose of every length, with personal data, look-alikes and repeats."""
    out = [PII_TEXT, "", "a b c d", "a b c d e", "x\u1680y z w v u", "٣٤ ½ ①②③ ⅷ"]
    for _ in range(n):
        parts = []
        for _ in range(rng.choice([1, 3, 8, 30, 120, 300])):
            parts.append(rng.choice(VALUES) if rng.random() < 0.15 else rng.choice(WORDS))
            parts.append(rng.choice([" ", " ", " ", ", ", ". ", "\n", "-", "/", "+"]))
        out.append("".join(parts))
    out += out[10:20]  # exact repeats
    out += [t + " one more sentence here." for t in out[20:30]]  # near repeats
    return out


def _same(a, b) -> bool:
    return a.digest == b.digest and (
        (a.signature is None and b.signature is None)
        or (a.signature is not None and b.signature is not None
            and np.array_equal(a.signature, b.signature)
            and a.signature.dtype == b.signature.dtype))


def test_batched_minhash_equals_one_by_one():
    texts = _mixed(random.Random(1), 400)
    for near in (True, False):
        batched = fingerprints(texts, near=near)
        assert len(batched) == len(texts)
        assert all(_same(fingerprint(t, near=near), f)
                   for t, f in zip(texts, batched, strict=True))
    # many small batches and one batch larger than a step give the same
    assert all(_same(a, b) for a, b in zip(
        fingerprints(texts), [f for i in range(0, len(texts), 7)
                              for f in fingerprints(texts[i:i + 7])], strict=True))
    assert fingerprints([]) == []


def _matches(rx: re.Pattern, text: str) -> list:
    return [(m.span(), m.groups()) for m in rx.finditer(text)]


def test_patterns_as_they_run_find_what_the_readable_ones_find():
    rng = random.Random(2)
    sample = "\n".join(_mixed(rng, 300))
    # near misses: runs of the characters the patterns care about, in every order
    alphabet = "0123456789 -.+()/XYZxyzABDEFGLNRé_:٣\nbornithdaeglcBOD"
    fuzz = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 50)))
            for _ in range(20_000)]
    assert set(pii._FAST) == set(pii._READABLE)
    for name, readable in pii._READABLE.items():
        slow, fast = re.compile(readable), re.compile(pii._FAST[name])
        found = _matches(slow, sample)
        assert found, name  # the sample exercises every pattern
        assert _matches(fast, sample) == found, name
        for text in fuzz:
            assert _matches(fast, text) == _matches(slow, text), (name, text)


def test_name_runs_as_they_run_are_the_readable_ones():
    rng = random.Random(4)
    sample = "\n".join(_mixed(rng, 300)) + (
        " Dear Mr. O'Brien, Dr. Haddad and Mrs Ana-María de la Cruz met Ms Ivanova’s team; "
        "Señora López, Sr. Núñez, Prof. Zoë d'Arc, Mme. Lefèvre, MacDonald McKay, Herr Groß, "
        "Μαρία Παπαδοπούλου, Олег Иваненко, Ǆemal, anna@Example.com, x/Ana, -Bob.")
    alphabet = "AaBbMmrsDdPfO'’-. \t\n@/\\éÉŁłΜαОлǅxZ"
    fuzz = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
            for _ in range(20_000)]
    slow = re.compile(names._RUN_READABLE)
    found = [m.span() for m in slow.finditer(sample)]
    assert len(found) > 100
    assert [m.span() for m in names._RUN.finditer(sample)] == found
    for text in fuzz:
        assert ([m.span() for m in names._RUN.finditer(text)]
                == [m.span() for m in slow.finditer(text)]), text


def test_no_other_letter_folds_to_a_birth_word_s_first():
    folds = re.compile("(?i)[bdng]")
    assert {chr(c) for c in range(0x110000) if folds.match(chr(c))} == set("bBdDnNgG")


def test_detect_finds_the_planted_values():
    found = {f.value for f in pii.detect(PII_TEXT)}
    assert {CARD, IBAN, DNI, EMAIL, PHONE, IP, "1985-03-12"} <= found


def test_batched_line_gives_what_chunk_by_chunk_gives(tmp_path):
    texts = _mixed(random.Random(3), 700)
    files = []
    for i in range(3):
        path = tmp_path / f"f{i}.txt"
        path.write_text("\n\n".join(texts[i::3]), encoding="utf-8")
        files.append(InputFile(path, path.name))
    files.append(InputFile(tmp_path / "missing.txt", "missing.txt"))
    spec = ChunkSpec(size=300)
    redaction = Redaction(replacement="pseudonym", key=b"k" * 32)
    reference, deduper = [], Deduper(threshold=0.8)
    for item in _read(files, spec, None):
        if isinstance(item, tuple):
            reference.append(process_chunk(item[1], item[0], redaction, deduper))
        else:
            reference.append(item)
    fast = list(process_files(files, spec, redaction, Deduper(threshold=0.8)))
    assert fast == reference
    kinds = {type(e).__name__ for e in fast}
    assert {"Kept", "Dropped", "FileStart", "FileEnd"} <= kinds
    assert {e.reason for e in fast if type(e).__name__ == "Dropped"} == {"exact", "near"}
    assert any(isinstance(e, FileEnd) and e.failed for e in fast)
    assert sum(isinstance(e, FileStart) for e in fast) == 4
    assert any(e.redactions for e in fast if type(e).__name__ == "Kept")


def test_batched_item_writes_store_what_the_portable_insert_stores(foundry, make_org):
    from sqlalchemy import insert, select, text

    from datafab.services import projects
    from datafab.store.ingest_writes import insert_items
    from datafab.store.tables import items

    org = make_org()
    pid = projects.create_project(foundry, org.id, {
        "name": "mined", "primitive": "classify", "settings": {"labels": ["a", "b"]},
        "policy": {"max_labels": 1}}).id

    def rows(prefix: str) -> list[dict]:
        return [dict(project_id=pid, external_id=f"{prefix}{i}",
                     data={"text": f"Chloé's note {i}: \"quoted\"\ttab\nline ½ ٣ \\ end"},
                     content_hash="h" * 64, priority=i % 3, status="staged:1", slots=1,
                     n_labels=0, n_live=0, gold_answer=None,
                     meta={"source": {"file": "a.csv", "line": i, "start": 0, "end": 9},
                           "redactions": [{"type": "EMAIL", "start": 1, "end": 8}]},
                     created_at=1_800_000_000.25 + i)
                for i in range(1200)]

    with foundry.db.write() as conn:
        conn.execute(insert(items), rows("portable-"))
        insert_items(conn, rows("batched-"))
        insert_items(conn, [])
    columns = [c for c in items.c if c.name not in ("id", "external_id")]
    with foundry.db.read() as conn:
        got = {}
        for prefix in ("portable-", "batched-"):
            got[prefix] = [tuple(r) for r in conn.execute(
                select(*columns, text("gold_answer IS NULL"), text("meta IS NULL"))
                .where(items.c.external_id.like(prefix + "%"))
                .order_by(items.c.id))]
    assert len(got["batched-"]) == 1200
    assert got["batched-"] == got["portable-"]


def test_band_keys_hash_each_band_of_the_signature():
    from datafab.ingest.dedupe import _Bands

    bands = _Bands(0.85)
    for f in fingerprints(_mixed(random.Random(5), 50)):
        if f.signature is None:
            continue
        r = bands.rows
        assert bands.keys(f.signature) == [hash(f.signature[i * r:(i + 1) * r].tobytes())
                                           for i in range(bands.bands)]


def test_words_through_the_byte_table_are_the_pattern_s():
    rng = random.Random(8)
    texts = _mixed(rng, 200) + ["".join(map(chr, range(128))) * 2, "Ab_9 x\x1fy\x7fZ"]
    texts += ["".join(chr(rng.randrange(128)) for _ in range(80)) for _ in range(2_000)]
    for text in texts:
        assert dedupe._words(text) == [w.encode() for w in re.findall(r"\w+", text.lower())]

"""Ingest, stage by stage: CPU seconds per MB (``time.process_time``, which a busy machine
inflates less than wall time) of each stage run alone, in one process, on the bench's corpus.

Stages: reading and chunking (PDF files apart), fingerprints (tokenising and MinHash),
judging duplicates, finding personal data (each detector alone, then ``pii.detect`` whole),
the item's id (keyed hash) and JSON, then storing, split: the line's own per-chunk work
(external id and provenance), the item rows (data, meta, content hash), their JSON, the
SQLite insert, the originals' encryption, and the whole staging of ``services.ingest`` (rows,
insert, publish) on a fresh SQLite database (``--no-store`` leaves these out). ``--code SRC``
measures another version's sources (e.g. ``git archive main src | tar -x -C /tmp/before``
then ``--code /tmp/before/src``), on
the same corpus (``--corpus`` keeps it between runs).

    .venv/bin/python bench/ingest_stages.py --size 8 --corpus /tmp/ingest-corpus
    .venv/bin/python bench/ingest_stages.py --size 8 --corpus /tmp/ingest-corpus \\
        --code /tmp/ingest-before/src
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

MB = 1024 * 1024


def _cpu(fn, repeat: int = 1):
    best = None
    for _ in range(repeat):
        t = time.process_time()
        out = fn()
        spent = time.process_time() - t
        best = spent if best is None else min(best, spent)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=float, default=8, help="corpus size in MB")
    parser.add_argument(
        "--corpus",
        type=Path,
        required=True,
        help="the corpus folder (generated there when empty or absent)",
    )
    parser.add_argument("--code", type=Path, help="another version's src folder")
    parser.add_argument("--repeat", type=int, default=2, help="best of this many runs")
    parser.add_argument("--no-store", dest="store", action="store_false",
                        help="leave out the storing rows")
    args = parser.parse_args()
    if args.code:
        sys.path.insert(0, str(args.code))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.ingest import generate

    from datafab.ingest import names, pii
    from datafab.ingest.chunking import ChunkSpec
    from datafab.ingest.dedupe import Deduper, fingerprints
    from datafab.ingest.pipeline import InputFile, _read, chunk_id

    if not args.corpus.is_dir() or not any(args.corpus.iterdir()):
        args.corpus.mkdir(parents=True, exist_ok=True)
        generate(args.corpus, args.size)
    files = sorted(args.corpus.iterdir())
    mb = sum(p.stat().st_size for p in files) / MB
    spec, rows = ChunkSpec(), []

    def read(which):
        return [
            c
            for item in _read([InputFile(p, p.name) for p in which], spec, None)
            if isinstance(item, tuple)
            for c in [item[1]]
        ]

    pdfs = [p for p in files if p.suffix == ".pdf"]
    others = [p for p in files if p.suffix != ".pdf"]
    t_pdf, pdf_chunks = _cpu(lambda: read(pdfs), args.repeat)
    t_other, other_chunks = _cpu(lambda: read(others), args.repeat)
    texts = [c.text for c in other_chunks + pdf_chunks]
    rows += [("reading and chunking: PDF", t_pdf), ("reading and chunking: the rest", t_other)]
    t_fp, prints = _cpu(
        lambda: [p for i in range(0, len(texts), 256) for p in fingerprints(texts[i : i + 256])],
        args.repeat,
    )
    rows.append(("fingerprints", t_fp))

    def judge():
        d = Deduper()
        return [d.judge(str(i), p).kind for i, p in enumerate(prints)]

    t_judge, verdicts = _cpu(judge, args.repeat)
    rows.append(("judging duplicates", t_judge))
    kept = [t for t, v in zip(texts, verdicts, strict=True) if v is None]
    names.gazetteer()
    detectors = {
        "e-mail": pii._emails,
        "IBAN": pii._ibans,
        "cards": pii._cards,
        "national ids": pii._national_ids,
        "IP addresses": pii._ips,
        "dates of birth": pii._dates_of_birth,
        "phones": pii._phones,
        "names": pii._persons,
    }
    for label, fn in detectors.items():  # each alone, ungated (with its own numerals)
        t, _ = _cpu(lambda fn=fn: [list(fn(t)) for t in kept], args.repeat)
        rows.append((f"  alone: {label}", t))
    try:
        from datafab.ingest import gates
        from datafab.ingest.numerals import Numerals
    except ImportError:  # the code before the gates
        pass
    else:
        t, _ = _cpu(lambda: [gates.open_gates(t) for t in kept], args.repeat)
        rows.append(("  in detect: the gates (one Hyperscan pass)", t))
        t, _ = _cpu(lambda: [Numerals(t) for t in kept], args.repeat)
        rows.append(("  in detect: the numerals", t))
    t_pii, found = _cpu(lambda: [pii.detect(t) for t in kept], args.repeat)
    rows.append(("finding personal data (pii.detect)", t_pii))
    t_red, _ = _cpu(
        lambda: [pii.redact(t, f) for t, f in zip(kept, found, strict=True)], args.repeat
    )
    rows.append(("redacting", t_red))
    t_item, _ = _cpu(
        lambda: [(chunk_id(b"k" * 32, t), json.dumps({"text": t})) for t in kept], args.repeat
    )
    rows.append(("item id and JSON", t_item))
    if args.store:
        rows += _storing(args, other_chunks + pdf_chunks, files, verdicts, found, kept)
    print(
        f"code: {Path(pii.__file__).parent}  corpus: {mb:.2f} MB, {len(texts)} chunks "
        f"({len(kept)} kept)  load: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"{'stage':<42} {'CPU s':>7} {'CPU s/MB':>9}")
    for label, t in rows:
        print(f"{label:<42} {t:7.3f} {t / mb:9.4f}")
    whole = sum(t for label, t in rows if not label.startswith("  "))
    print(f"{'sum of the stages':<42} {whole:7.3f} {whole / mb:9.4f}")
    print(f"findings: {sum(map(len, found))}")


def _storing(args, chunks, files, verdicts, found, kept) -> list:
    """The storing rows: each part alone on the same kept chunks, then the whole staging
    (``staging._Run``: start, add, end for every file) on a fresh SQLite database."""
    import tempfile

    from datafab.foundry import Foundry
    from datafab.ingest.pipeline import FileEnd, FileStart, Redaction, _identify, redacted
    from datafab.services import ingest, projects
    from datafab.services.accounts import create_organization
    from datafab.services.ingest.staging import _Run
    from datafab.settings import Settings
    from datafab.store import ingest_writes
    from datafab.store.migrate import upgrade

    work = Path(tempfile.mkdtemp(prefix="datafab-stages-"))
    url = f"sqlite:///{work / 'stages.db'}"
    upgrade(url)
    foundry = Foundry(Settings(database_url=url, refit_in_background=False))
    org, _ = create_organization(foundry, "Stages")
    keys = ingest.organization_keys_for(foundry, org)
    redaction = Redaction(True, "tag", keys.pseudonym_key)
    out = []
    t, ids = _cpu(lambda: [_identify(c, "file.txt", keys.pseudonym_key) for c in chunks],
                  args.repeat)
    out.append(("the line: external id and provenance (per chunk)", t))
    kept_ids = [i for i, v in zip(ids, verdicts, strict=True) if v is None]
    t, events = _cpu(lambda: [redacted(ext, text, prov, redaction) for (ext, prov), text
                              in zip(kept_ids, kept, strict=True)], 1)
    out.append(("  (redacted(): detect + redact + Kept, for reference)", t))
    made = iter(range(10**9))

    def project():
        return projects.create_project(foundry, org, {
            "name": f"stages-{next(made)}", "primitive": "classify",
            "settings": {"labels": ["a", "b"]}, "policy": {"max_labels": 1}})

    def run_for(p, keep=False):
        from dataclasses import replace
        return _Run(foundry, p, org, 10**6 + next(made), replace(keys, keep_originals=keep),
                    None)

    probe = run_for(project())
    now = foundry.now()
    batches = [events[i:i + 500] for i in range(0, len(events), 500)]
    t, built = _cpu(lambda: [probe._rows(b, now) for b in batches], args.repeat)
    out.append(("  storing: item rows (_rows: data, meta, hash)", t))
    try:
        from datafab.services.items import _hash
        t, _ = _cpu(lambda: [_hash({"data": r["data"], "gold_answer": None,
                                    "meta": r["meta"]}) for rs, _ in built for r in rs],
                    args.repeat)
        out.append(("    of which: content hash, json.dumps (the reference)", t))
    except ImportError:
        pass
    from datafab.services.ingest import staging as staging_module
    hashing = getattr(staging_module, "_content_hash", None)
    if hashing is not None:
        t, _ = _cpu(lambda: [hashing(r["data"], r["meta"]) for rs, _ in built for r in rs],
                    args.repeat)
        out.append(("    of which: content hash (as stored)", t))
    def encode(rs):
        return [ingest_writes._row(r) for r in rs]

    t, _ = _cpu(lambda: [encode(rs) for rs, _ in built], args.repeat)
    out.append(("  storing: row JSON (data, meta, gold)", t))
    originals = [k.original for k in events if k.original != k.text]
    t, _ = _cpu(lambda: [keys.fernet.encrypt(o.encode()) for o in originals], args.repeat)
    out.append((f"  storing: encrypting originals ({len(originals)}; only when kept)", t))

    def insert_only():
        p = project()
        for rs, _ in _cpu(lambda: [probe._rows(b, now) for b in batches], 1)[1]:
            for r in rs:
                r["project_id"] = p.id
            with foundry.db.write() as conn:
                ingest_writes.insert_items(conn, rs)

    # the insert alone is timed as (rows + insert) - rows
    t_ins, _ = _cpu(insert_only, args.repeat)
    t_rows = next(t for label, t in out if label.startswith("  storing: item rows"))
    out.append(("  storing: insert (encoded, executemany, commit)",
                max(0.0, t_ins - t_rows)))

    # the whole staging, as the run does it: a file's chunks in order, then its end
    per_file = max(1, len(events) // max(1, len(files)))

    def staging(keep=False):
        run = run_for(project(), keep)
        report = {"errors": [], "pii": {}, "redaction": {"names_by_list": 0},
                  "duplicates": {"exact": 0, "near": 0, "listed": []}}
        for i in range(0, len(events), per_file):
            source = ingest.Source(files[0], files[0].name)
            run.start(source)
            for k in events[i:i + per_file]:
                run.add(k)
            run.end(FileEnd(0), report)
        return report

    _ = FileStart
    t, _ = _cpu(staging, args.repeat)
    out.append(("storing, whole (staging: rows, insert, publish)", t))
    t, _ = _cpu(lambda: staging(True), args.repeat)
    out.append(("  with originals kept (encrypted, inserted)", t))
    foundry.close()
    return out


if __name__ == "__main__":
    main()

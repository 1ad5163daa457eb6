"""Ingest, stage by stage: CPU seconds per MB (``time.process_time``, which a busy machine
inflates less than wall time) of each stage run alone, in one process, on the bench's corpus.

Stages: reading and chunking (PDF files apart), fingerprints (tokenising and MinHash),
judging duplicates, finding personal data (each detector alone, then ``pii.detect`` whole),
and the item's id (keyed hash) and JSON. ``--code SRC`` measures another version's sources
(e.g. ``git archive main src | tar -x -C /tmp/before`` then ``--code /tmp/before/src``), on
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


if __name__ == "__main__":
    main()

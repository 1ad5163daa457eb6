"""Ingest: throughput and peak memory of the whole ingest, and PII recall/precision.

1. Generates a corpus of mixed files (JSONL, CSV, Parquet, Markdown, text, HTML, PDF, .eml)
   of about ``--size`` MB of business prose with planted personal data and ~5% exact and
   ~5% near duplicates.
2. Anchor, in the same run: reading every file raw (bytes, decoded as UTF-8) — the floor any
   ingest pays.
3. The whole ingest (read → chunk → de-duplicate → redact → store as items in a classify
   project, SQLite), in a child process whose peak resident memory is measured — its own
   peak plus, for each worker process, the largest worker's peak (an upper bound); the same
   at a quarter of the size, to show memory does not grow with the input (``--serial``: the
   quarter once more in one process, to show what the workers buy).
4. PII detection on a labelled corpus it generates (``--pii-docs`` documents): realistic
   sentences with known values planted at known places, and look-alikes that are not personal
   data (order numbers, version strings, meeting dates, IBANs with a wrong check). Recall per
   type and on the checksum-validated types (cards, IBANs, national ids); precision over all.
5. Personal names (``--name-docs`` documents): people from ``bench/data/names_eval.tsv.gz``
   — Mimesis's person lists of 31 locales, a different source from the Faker lists the
   detector ships with (``bench/names_data.py`` builds both) — written in case notes as a
   full name, a title and surname, a greeting or a signature, among sentences full of
   capitalised words that are not names. Recall over the planted names; precision over every
   name found, with no named-entity model.

Each ingest also gives its CPU seconds (its process and its workers: user and system time,
which a busy machine inflates less than wall time). Ends with ``RESULT mb_per_s=…
chunks_per_s=… cpu_s_per_mb=… peak_mb=… pii_recall_checksum=… pii_precision=…
name_recall=… name_precision=… quarter_peak_mb=… load=…`` (with ``--baseline``, also
``baseline_mb_per_s=… speedup=… same_as_baseline=… baseline_cpu_s_per_mb=… cpu_speedup=…``;
with ``--engine dask``, also ``dask_mb_per_s=… dask_vs_local=… dask_same_as_local=…``).

    .venv/bin/python bench/ingest.py                    # 64 MB (and 16 MB)
    .venv/bin/python bench/ingest.py --size 1024        # the issue's 1 GB (long)
    git worktree add /tmp/old <commit> && \
    .venv/bin/python bench/ingest.py --baseline /tmp/old/src   # before/after, back to back
    .venv/bin/python bench/ingest.py --size 0           # only the PII and name measurements
    .venv/bin/python bench/ingest.py --engine dask      # also on a dask cluster, compared
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import multiprocessing as mp
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from datafab.ingest import pii

MB = 1024 * 1024

# -- realistic text with planted values ---------------------------------------------------

FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas"]
LAST = ["Ruiz", "Okafor", "Martin", "Ivanova", "Schmidt", "Haddad", "Lee", "Tanaka", "Costa"]
TOPICS = ["refund", "delivery delay", "contract renewal", "invoice dispute", "password reset",
          "warranty claim", "price adjustment", "account closure", "damaged goods", "onboarding"]
VERBS = ["approved", "escalated", "declined", "deferred", "resolved", "reopened", "reviewed"]
FILLER = [
    "The analyst checked the order history and the previous tickets before deciding.",
    "Policy allows an exception when the customer has been with us for more than two years.",
    "We agreed to follow up within five working days and to keep the case open until then.",
    "The team lead signed off on the decision after a short discussion in the weekly review.",
    "According to the contract, the supplier bears the cost of returns in the first month.",
    "The customer was polite but insisted that the issue had been reported twice already.",
    "No further action is needed unless the payment fails again at the next billing date.",
    "Our records show the parcel left the warehouse on time but was held at the depot.",
    "A goodwill voucher was offered and accepted; the case can be closed after confirmation.",
    "Legal asked us to keep all correspondence for the audit planned next quarter.",
]


def luhn_complete(prefix: str) -> str:
    for d in "0123456789":
        if pii.luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError


def make_card(rng: random.Random) -> str:
    kind = rng.choice(["visa", "mc", "amex"])
    if kind == "amex":
        digits = luhn_complete(rng.choice(["34", "37"]) + "".join(
            rng.choice("0123456789") for _ in range(12)))
        return f"{digits[:4]} {digits[4:10]} {digits[10:]}"
    head = "4" if kind == "visa" else str(rng.randint(51, 55))
    digits = luhn_complete(head + "".join(rng.choice("0123456789")
                                          for _ in range(15 - len(head))))
    sep = rng.choice([" ", "-", ""])
    return sep.join(digits[i:i + 4] for i in range(0, 16, 4))


def make_iban(rng: random.Random) -> str:
    country, bban = rng.choice([
        ("DE", "".join(rng.choice("0123456789") for _ in range(18))),
        ("FR", "".join(rng.choice("0123456789") for _ in range(23))),
        ("GB", "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
         + "".join(rng.choice("0123456789") for _ in range(14))),
        ("NL", "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
         + "".join(rng.choice("0123456789") for _ in range(10))),
    ])
    number = int("".join(str(int(ch, 36)) for ch in bban + country + "00"))
    iban = f"{country}{98 - number % 97:02d}{bban}"
    assert pii.iban_ok(iban)
    if rng.random() < 0.5:
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def make_national_id(rng: random.Random) -> str:
    kind = rng.choice(["dni", "nie", "nir", "ssn"])
    if kind == "dni":
        n = rng.randint(10_000_000, 99_999_999)
        return f"{n}{pii.DNI_LETTERS[n % 23]}"
    if kind == "nie":
        lead, n = rng.choice("XYZ"), rng.randint(1_000_000, 9_999_999)
        return f"{lead}{n}{pii.DNI_LETTERS[int(str('XYZ'.index(lead)) + str(n)) % 23]}"
    if kind == "nir":
        body = (f"{rng.choice('12')}{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}"
                f"{rng.randint(1, 95):02d}{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}")
        return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} " \
               f"{97 - int(body) % 97:02d}"
    return f"{rng.randint(100, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def make_email(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    first = first.replace("é", "e")
    return f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@" + rng.choice(
        ["example.com", "mail.example.org", "acme.co.uk", "corp.example"])


def make_phone(rng: random.Random) -> str:
    return rng.choice([
        f"+44 20 {rng.randint(7000, 7999)} {rng.randint(1000, 9999)}",
        f"({rng.randint(200, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
        f"+1 {rng.randint(200, 989)} {rng.randint(200, 999)} {rng.randint(1000, 9999)}",
        f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
        f"{rng.randint(10, 99)}",
        f"0{rng.randint(20, 79)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
    ])


def make_ip(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return ".".join(str(rng.randint(1, 254)) for _ in range(4))
    return f"2001:db8:{rng.randint(1, 0xffff):x}::{rng.randint(1, 0xffff):x}"


def make_dob(rng: random.Random) -> tuple[str, str]:
    y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
    months = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]
    date = rng.choice([f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}",
                       f"{months[m - 1]} {d}, {y}", f"{d} {months[m - 1]} {y}"])
    lead = rng.choice(["born on ", "date of birth: ", "DOB ", "born "])
    return lead, date


PLANTS = {
    pii.EMAIL: lambda r: ("You can reach the customer at ", make_email(r), "."),
    pii.PHONE: lambda r: ("Call back on ", make_phone(r), " after 5pm."),
    pii.CREDIT_CARD: lambda r: ("The charge went to card ", make_card(r), " last week."),
    pii.IBAN: lambda r: ("Please pay the refund to IBAN ", make_iban(r), " by Friday."),
    pii.NATIONAL_ID: lambda r: ("Identity checked against document ", make_national_id(r),
                                "."),
    pii.IP_ADDRESS: lambda r: ("The login came from ", make_ip(r), " at night."),
    pii.DATE_OF_BIRTH: lambda r: (lambda lead, d: ("The account holder was " + lead, d,
                                                   "."))(*make_dob(r)),
}


def lookalike(rng: random.Random) -> str:
    """Text that looks like personal data and is not."""
    digits = "".join(rng.choice("0123456789") for _ in range(16))
    while pii.luhn_ok(digits):
        digits = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    wrong_iban = make_iban(rng).replace(" ", "")
    wrong_iban = wrong_iban[:-1] + str((int(wrong_iban[-1], 36) + 1) % 10)
    return rng.choice([
        f"Order {digits} was packed in aisle {rng.randint(1, 40)}.",
        f"The meeting on {rng.randint(2019, 2026)}-{rng.randint(1, 12):02d}-"
        f"{rng.randint(1, 28):02d} moved to the afternoon.",
        f"Upgrade the client to version {rng.randint(1, 9)}.{rng.randint(0, 20)}."
        f"{rng.randint(0, 99)} first.",
        f"Reference {wrong_iban} is not a bank account.",
        f"The invoice total was {rng.randint(1, 99)},{rng.randint(100, 999)}.{rng.randint(10, 99)}"
        f" euros for {rng.randint(2, 500)} units.",
        f"Ticket INV-{rng.randint(2019, 2026)}-{rng.randint(10000, 99999)} is closed.",
    ])


def paragraph(rng: random.Random, plant_rate: float = 0.5,
              labels: list | None = None, offset: int = 0) -> str:
    """A paragraph of a case note; planted values (type, start, end) go to ``labels``."""
    who = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    parts = [f"Case about a {rng.choice(TOPICS)}: the request was {rng.choice(VERBS)} "
             f"by {who}. "]
    for _ in range(rng.randint(2, 5)):
        parts.append(rng.choice(FILLER) + " ")
        if rng.random() < plant_rate:
            kind = rng.choice(list(PLANTS))
            lead, value, tail = PLANTS[kind](rng)
            start = offset + sum(map(len, parts)) + len(lead)
            if labels is not None:
                labels.append((kind, start, start + len(value), value))
            parts.append(lead + value + tail + " ")
        if rng.random() < 0.3:
            parts.append(lookalike(rng) + " ")
    return "".join(parts).strip()


# -- the corpus ---------------------------------------------------------------------------

def minimal_pdf(pages: list[list[str]]) -> bytes:
    objects: list[bytes] = []
    n = len(pages)
    font = 3 + 2 * n
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    for i, lines in enumerate(pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents "
                       f"{4 + 2 * i} 0 R /Resources << /Font << /F1 {font} 0 R >> >> >>"
                       .encode())
        ops = ["BT", "/F1 9 Tf", "11 TL", "40 760 Td"]
        ops += [f"({line.replace('(', '[').replace(')', ']')}) Tj T*" for line in lines]
        stream = "\n".join(ops + ["ET"]).encode("latin-1", "replace")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n" \
        .encode()
    return bytes(out)


class Paragraphs:
    """Fresh paragraphs, with ~5% exact and ~5% near repeats of earlier ones."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.recent = rng, []

    def next(self) -> str:
        r = self.rng.random()
        if self.recent and r < 0.05:
            return self.rng.choice(self.recent)
        if self.recent and r < 0.10:
            text = self.rng.choice(self.recent)
            return text + " " + self.rng.choice(FILLER)  # one sentence more
        # long enough for near duplicates to be told apart from chance
        text = " ".join(paragraph(self.rng) for _ in range(3))
        self.recent.append(text)
        if len(self.recent) > 500:
            self.recent.pop(0)
        return text


FILE_MB = 8
MIX = [("jsonl", 0.28), ("csv", 0.18), ("parquet", 0.14), ("md", 0.14), ("html", 0.14),
       ("txt", 0.07), ("pdf", 0.03), ("eml", 0.02)]


def generate(folder: Path, size_mb: float, seed: int = 7) -> int:
    rng = random.Random(seed)
    paras = Paragraphs(rng)
    total, index = 0, 0
    budget = {kind: size_mb * MB * share for kind, share in MIX}
    for kind, want in budget.items():
        made = 0
        while made < want:
            index += 1
            size = min(FILE_MB * MB, want - made)
            if kind in ("pdf",):
                size = min(size, 256 * 1024)
            if kind == "eml":
                size = min(size, 16 * 1024)
            made += _write(folder / f"f{index:05d}.{kind}", kind, size, paras, rng)
        total += made
    return total


def _texts(paras: Paragraphs, size: float):
    made = 0
    while made < size:
        text = paras.next()
        made += len(text) + 40
        yield text


def _write(path: Path, kind: str, size: float, paras: Paragraphs, rng: random.Random) -> int:
    if kind == "jsonl":
        with path.open("w") as f:
            for i, text in enumerate(_texts(paras, size)):
                f.write(json.dumps({"id": i, "channel": "email", "text": text}) + "\n")
    elif kind == "csv":
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "agent", "text"])
            for i, text in enumerate(_texts(paras, size)):
                w.writerow([i, rng.choice(FIRST), text])
    elif kind == "parquet":
        import pyarrow as pa  # here, so the ingest's worker processes do not load it
        import pyarrow.parquet as pq

        texts = list(_texts(paras, size))
        pq.write_table(pa.table({"id": list(range(len(texts))), "text": texts}), path)
    elif kind in ("md", "txt"):
        with path.open("w") as f:
            for i, text in enumerate(_texts(paras, size)):
                if kind == "md" and i % 5 == 0:
                    f.write(f"## Case {i}\n\n")
                f.write(text + "\n\n")
    elif kind == "html":
        with path.open("w") as f:
            f.write("<html><head><style>p{margin:0}</style></head><body>\n")
            for i, text in enumerate(_texts(paras, size)):
                if i % 5 == 0:
                    f.write(f"<h2>Case {i}</h2>\n")
                f.write(f"<p>{text}</p>\n")
            f.write("</body></html>\n")
    elif kind == "pdf":
        pages, lines = [], []
        for text in _texts(paras, size):
            words = text.split()
            for i in range(0, len(words), 14):
                lines.append(" ".join(words[i:i + 14]))
            lines.append("")
            if len(lines) > 60:
                pages.append(lines)
                lines = []
        pages.append(lines or ["(end)"])
        path.write_bytes(minimal_pdf(pages))
    elif kind == "eml":
        msg = EmailMessage()
        msg["From"] = f"{rng.choice(FIRST)} <{make_email(rng)}>"
        msg["To"] = "support@acme.example"
        msg["Subject"] = f"Re: {rng.choice(TOPICS)}"
        msg.set_content("\n\n".join(_texts(paras, size)))
        msg.add_attachment(b"%PDF-1.4 scan", maintype="application", subtype="pdf",
                           filename="scan.pdf")
        path.write_bytes(msg.as_bytes())
    return path.stat().st_size


# -- measurements -------------------------------------------------------------------------

def raw_read(folder: Path) -> tuple[int, float]:
    """The anchor: every byte read and decoded, nothing else."""
    started, total = time.perf_counter(), 0
    for path in sorted(folder.iterdir()):
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                total += len(block)
                block.decode("utf-8", "replace")
    return total, time.perf_counter() - started


class TreeMemory:
    """Samples, every quarter second, the resident memory of this process and of its child
    processes (the ingest's workers), from /proc. ``ru_maxrss`` cannot be used for the
    workers: a spawned child starts as a fork of this process, and the kernel carries that
    fork's size into the child's maximum; ``VmHWM`` is reset when the child execs."""

    def __init__(self) -> None:
        import threading

        self.worker_peaks: dict[int, float] = {}
        self.tree_peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _status(pid: int | str, field: str) -> float:
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return 0.0
        for line in text.splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return 0.0

    @staticmethod
    def _children() -> list[int]:
        pids = []
        for task in Path("/proc/self/task").iterdir():
            try:
                pids += [int(x) for x in (task / "children").read_text().split()]
            except OSError:
                continue
        return pids

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            total = self._status("self", "VmRSS")
            for pid in self._children():
                total += self._status(pid, "VmRSS")
                hwm = self._status(pid, "VmHWM")
                self.worker_peaks[pid] = max(self.worker_peaks.get(pid, 0.0), hwm)
            self.tree_peak = max(self.tree_peak, total)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _ingest_child(folder: str, db: str, workers: int | None, queue,
                  code: str | None = None, engine: dict | None = None) -> None:
    if code:  # another version's sources (``--baseline``): forget the ones imported so far
        for name in [m for m in sys.modules if m == "datafab" or m.startswith("datafab.")]:
            del sys.modules[name]
        sys.path.insert(0, code)
    from datafab.foundry import Foundry
    from datafab.services import ingest, projects
    from datafab.services.accounts import create_organization
    from datafab.settings import Settings
    from datafab.store.migrate import upgrade

    url = f"sqlite:///{db}"
    upgrade(url)
    foundry = Foundry(Settings(database_url=url, refit_in_background=False))
    org, _ = create_organization(foundry, "Bench")
    pid = projects.create_project(foundry, org, {
        "name": "mined", "primitive": "classify", "settings": {"labels": ["a", "b"]},
        "policy": {"max_labels": 1}}).id
    sources = [ingest.Source(p, p.name) for p in sorted(Path(folder).iterdir())]
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    memory = TreeMemory()
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    report = ingest.ingest_files(foundry, org, pid, sources, {"workers": workers},
                                 **(engine or {}))
    seconds = time.perf_counter() - started
    memory.stop()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers_peak = sorted(memory.worker_peaks.values(), reverse=True)[:report["workers"]]
    foundry.close()  # its worker processes end: their CPU time is counted
    cpu = _cpu_seconds() - cpu_before
    # an upper bound: the run's own peak plus each worker's, as if all came at once (and
    # counting the shared library pages once per process)
    queue.put({"seconds": seconds, "cpu_s": cpu, "peak_mb": own + sum(workers_peak), "own_mb": own,
               "worker_mb": max(workers_peak, default=0.0), "tree_sampled_mb": memory.tree_peak,
               "workers": report["workers"], "base_mb": base,
               "bytes": report["bytes"], "chunks": report["chunks"],
               "created": report["created"], "duplicates": {
                   k: report["duplicates"][k] for k in ("exact", "near")},
               "errors": len(report["errors"]), "pii": report["pii"],
               "code": str(Path(sys.modules["datafab"].__file__).parent)})


def _cpu_seconds() -> float:
    """User and system CPU time of this process and of its ended children (the workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_ingest(folder: Path, work: Path, workers: int | None = None,
               code: Path | None = None, engine: dict | None = None) -> dict:
    ctx = mp.get_context("spawn")  # a fresh process: its peak memory is the ingest's
    queue = ctx.Queue()
    db = work / f"bench-{time.time_ns()}.db"
    child = ctx.Process(target=_ingest_child, args=(str(folder), str(db), workers, queue,
                                                    str(code) if code else None, engine))
    child.start()
    result = queue.get()
    child.join()
    return result


def pii_quality(n_docs: int, seed: int = 11) -> dict:
    rng = random.Random(seed)
    per_type = {t: [0, 0] for t in PLANTS}  # found, planted
    tp = fp = 0
    for _ in range(n_docs):
        labels: list = []
        text = paragraph(rng, plant_rate=0.7, labels=labels)
        found = pii.detect(text, types=pii.PATTERN_TYPES)  # names: name_quality
        matched = set()
        for kind, start, end, _value in labels:
            per_type[kind][1] += 1
            hit = next((i for i, f in enumerate(found)
                        if f.type == kind and f.start < end and start < f.end), None)
            if hit is not None:
                per_type[kind][0] += 1
                matched.add(hit)
        tp += len(matched)
        fp += len(found) - len(matched)
    checksum = [per_type[t] for t in pii.CHECKSUM_TYPES]
    return {
        "recall": {t: round(f / p, 4) if p else None for t, (f, p) in per_type.items()},
        "planted": {t: p for t, (_, p) in per_type.items()},
        "recall_checksum": sum(f for f, _ in checksum) / sum(p for _, p in checksum),
        "recall_all": sum(f for f, _ in per_type.values()) / sum(p for _, p in
                                                                 per_type.values()),
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "false_positives": fp,
    }


NAMES_EVAL = Path(__file__).resolve().parent / "data" / "names_eval.tsv.gz"
# (template, what of the person it names): "full" given and surname, "title" a title and the
# surname, "given" the given name alone (a greeting or a signature)
NAME_TEMPLATES = [
    ("The refund was approved by {full} after a second review.", "full"),
    ("{full} called twice about the delayed parcel.", "full"),
    ("Please forward the signed contract to {full} before the end of the month.", "full"),
    ("According to {full}, the invoice had already been paid.", "full"),
    ("The ticket is assigned to {full} (billing).", "full"),
    ("Customer: {full}; plan: premium; status: open.", "full"),
    ("Meeting notes — present: {full}, the team lead and two analysts.", "full"),
    ("Dear {title},\n\nthank you for your patience.", "title"),
    ("We spoke with {title} about the warranty claim.", "title"),
    ("Hi {given},\n\nyour replacement ships tomorrow.", "given"),
    ("Hello {given}! The account is now closed.", "given"),
    ("I will check with the warehouse and come back to you.\n\nBest regards,\n{given}",
     "given"),
    ("Let me know if anything else is needed.\n\n— {given}", "given"),
]
TITLES = ["Mr", "Ms", "Mrs", "Dr", "Dr.", "Mr.", "Prof."]
# sentences with capitalised words that are not people (places, products, months, headings,
# name-like words at the start of a sentence)
NOT_NAMES = [
    "The Customer Success team meets every Monday in the Berlin office.",
    "Will the new pricing apply from May 1?",
    "May we suggest the Premium Plan instead?",
    "Grace periods apply to all Gold Card holders.",
    "Please read the Terms of Service before signing.",
    "Our Paris and London offices close early on Christmas Eve.",
    "Mark the ticket as resolved once the Refund Request is approved.",
    "The Apple Watch and the Samsung Galaxy were both returned.",
    "Shipping via United Parcel Service takes three days to Hong Kong.",
    "Bill Payment failed twice; the Direct Debit mandate was cancelled.",
    "Summer Sale prices end on Friday.",
    "Amazon Web Services hosts the Data Warehouse.",
    "Visit the Help Center or call Customer Care.",
    "The Golden Gate Bridge closed for maintenance.",
    "Microsoft Teams and Google Meet links are in the invite.",
    "Victoria Station is ten minutes from the hotel.",
    "Jordan and Chad are in our shipping zone list.",
    "Santa Monica Boulevard was closed, so the courier was late.",
    "The Annual Report for Quarter Three is attached.",
    "Rose Gold and Space Grey are out of stock.",
    "Christian Dior perfume is excluded from the promotion.",
    "Victoria Falls tours are sold by our partner agency.",
    "Hope Street Logistics picked up the pallets.",
    "The European Central Bank raised rates again.",
    "Priority Support is included in the Enterprise Edition.",
    "Frank feedback from the Product Review Board was welcome.",
    "New York, Los Angeles and San Francisco had the most returns.",
    "The Data Protection Officer approved the Privacy Notice.",
    "Ask IT to reset the VPN token before Tuesday.",
    "Release Notes for the March update are on the Wiki.",
]

# more of the same, written late and never used to change the detector: their precision is
# reported on its own
NOT_NAMES_LATER = [
    "Sales in Buenos Aires and Kuala Lumpur grew faster than in Western Europe.",
    "The Marketing Director asked for the Brand Guidelines by Thursday.",
    "Our Zendesk Suite and Salesforce Service Cloud licences renew in October.",
    "The Black Friday campaign beat the Cyber Monday one this year.",
    "Tokyo Disneyland tickets were refunded after the typhoon.",
    "Open the Control Panel and choose Network Settings.",
    "Dolce Vita, our Italian restaurant partner, sent a new menu.",
    "The Supreme Court ruling affects the Consumer Rights Act.",
    "He flew Lufthansa via Frankfurt Airport to reach Cape Town.",
    "Sierra Nevada Brewing is a distributor in the Pacific Northwest.",
    "Use Visual Studio Code with the Python Extension Pack.",
    "The Champions League final moved the Saturday delivery slot.",
    "Saint Petersburg and Nizhny Novgorod stores opened on Sunday.",
    "Please escalate to Tier Two if the Smart Meter does not reset.",
    "Harvard Business Review cited our Net Promoter Score.",
    "The Red Cross collected the donated Winter Coats.",
    "Lorem Ipsum placeholders were left in the Landing Page.",
    "The Great Barrier Reef tour was cancelled by Coral Expeditions.",
    "Penny Lane Records ordered two hundred Vinyl Sleeves.",
    "The Iron Man suit replica shipped from Marvel Studios.",
]


def name_quality(n_docs: int, seed: int = 13) -> dict:
    """Recall over planted names, precision over every name found (no NER model)."""
    rng = random.Random(seed)
    people = [line.split("\t") for line in gzip.decompress(NAMES_EVAL.read_bytes()).decode()
              .splitlines() if line and not line.startswith("#")]
    per_locale: dict[str, list[int]] = {}
    per_form: dict[str, list[int]] = {}
    tp = fp = 0
    false_positives: dict[str, int] = {}
    for i in range(n_docs):
        locale, given, surname = people[i % len(people)]
        template, form = rng.choice(NAME_TEMPLATES)
        name = {"full": f"{given} {surname}", "title": surname, "given": given}[form]
        shown = f"{rng.choice(TITLES)} {surname}" if form == "title" else name
        before = " ".join(rng.sample(NOT_NAMES + FILLER, rng.randint(1, 3)))
        after = " ".join(rng.sample(NOT_NAMES + FILLER, rng.randint(0, 2)))
        body = template.format(full=shown, title=shown, given=shown)
        text = f"{before}\n\n{body}\n\n{after}".strip()
        start = len(before) + 2 + body.index(shown) + (len(shown) - len(name))
        end = start + len(name)
        found = pii.detect(text, types=[pii.PERSON])
        covered = set()  # a name counts as found when every character of it is replaced
        for f in found:
            covered.update(range(f.start, f.end))
        hit = all(k in covered for k in range(start, end) if not text[k].isspace())
        for f in found:
            if f.start < end and start < f.end:
                tp += 1
            else:
                fp += 1
                false_positives[f.value] = false_positives.get(f.value, 0) + 1
        for key, table in ((locale, per_locale), (form, per_form)):
            table.setdefault(key, [0, 0])
            table[key][0] += hit
            table[key][1] += 1
    found_all = sum(f for f, _ in per_locale.values())
    later = [f.value for text in NOT_NAMES_LATER for f in pii.detect(text, types=[pii.PERSON])]
    return {
        "later_sentences": len(NOT_NAMES_LATER),
        "later_false_positives": later,
        "recall": found_all / n_docs,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall_by_locale": {k: round(f / n, 4) for k, (f, n) in sorted(per_locale.items())},
        "recall_by_form": {k: round(f / n, 4) for k, (f, n) in sorted(per_form.items())},
        "false_positives": dict(sorted(false_positives.items(), key=lambda kv: -kv[1])[:20]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=float, default=64, help="corpus size in MB")
    parser.add_argument("--pii-docs", type=int, default=20_000,
                        help="documents in the labelled PII corpus")
    parser.add_argument("--name-docs", type=int, default=10_000,
                        help="documents in the labelled personal-name corpus")
    parser.add_argument("--keep", type=Path, help="generate the corpus here and keep it")
    parser.add_argument("--workers", type=int,
                        help="worker processes (default: one per core; 0: none)")
    parser.add_argument("--baseline", type=Path, metavar="SRC",
                        help="also ingest the full corpus with the datafab sources in SRC (an "
                        "older version's src folder, e.g. from git worktree), back to back, "
                        "and report the speed-up")
    parser.add_argument("--serial", action="store_true",
                        help="also ingest the quarter-size corpus in one process, to compare (with "
                        "--baseline: with both versions, back to back)")
    parser.add_argument("--engine", choices=("local", "dask"), default="local",
                        help="dask: also ingest the full corpus on a dask.distributed cluster "
                        "(a local one started for the run, one worker per core, unless "
                        "--scheduler), back to back with the local run, and compare")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="with --engine dask: the scheduler of an existing cluster")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="datafab-bench-ingest-"))
    folder = args.keep or work / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        print(f"PII on a labelled corpus of {args.pii_docs} documents …", flush=True)
        quality = pii_quality(args.pii_docs)
        for kind, recall in quality["recall"].items():
            print(f"  {kind:<14} recall {recall:.4f}  ({quality['planted'][kind]} planted)")
        print(f"  checksum types recall {quality['recall_checksum']:.4f}; all types recall "
              f"{quality['recall_all']:.4f}; precision {quality['precision']:.4f} "
              f"({quality['false_positives']} false positives); names: "
              f"{'model installed' if pii.NerDetector.load() else 'no NER model installed'}")

        print(f"personal names on {args.name_docs} documents (people from another source "
              "than the detector's list) …", flush=True)
        names = name_quality(args.name_docs)
        print(f"  name recall {names['recall']:.4f}, precision {names['precision']:.4f}; by "
              "form " + ", ".join(f"{k} {v:.3f}" for k, v in names["recall_by_form"].items()))
        print("  by locale " + ", ".join(f"{k} {v:.2f}"
                                         for k, v in names["recall_by_locale"].items()))
        print(f"  false positives: {names['false_positives']}")
        print(f"  on {names['later_sentences']} sentences of non-names never used to tune: "
              f"{len(names['later_false_positives'])} false positives "
              f"{names['later_false_positives']}")
        if args.size <= 0:
            print(f"RESULT name_recall={names['recall']:.4f} "
                  f"name_precision={names['precision']:.4f}")
            return

        small = work / "small"
        small.mkdir()
        print(f"generating {args.size:.0f} MB (and {args.size / 4:.0f} MB) of mixed files …",
              flush=True)
        t = time.perf_counter()
        total = generate(folder, args.size) if not any(folder.iterdir()) else sum(
            p.stat().st_size for p in folder.iterdir())
        generate(small, args.size / 4, seed=8)
        kinds: dict[str, int] = {}
        for p in folder.iterdir():
            kinds[p.suffix] = kinds.get(p.suffix, 0) + p.stat().st_size
        print(f"  {total / MB:.0f} MB in {len(list(folder.iterdir()))} files "
              f"({time.perf_counter() - t:.0f} s): " + ", ".join(
                  f"{k[1:]} {v / MB:.0f} MB" for k, v in sorted(kinds.items())))

        raw_bytes, raw_s = raw_read(folder)
        print(f"anchor: raw read {raw_bytes / MB / raw_s:.0f} MB/s")
        runs = {"quarter": run_ingest(small, work, args.workers)}
        if args.serial:
            if args.baseline:
                runs["quarter, one process, baseline"] = run_ingest(small, work, 0,
                                                                    args.baseline)
            runs["quarter, one process"] = run_ingest(small, work, 0)
        if args.baseline:
            runs["full, baseline"] = run_ingest(folder, work, args.workers, args.baseline)
        runs["full"] = full = run_ingest(folder, work, args.workers)
        if args.engine == "dask":
            runs["full, dask"] = run_ingest(folder, work, None, engine={
                "engine": "dask", "scheduler": args.scheduler})
        for name, r in runs.items():
            print(f"ingest {name}: {r['bytes'] / MB:.0f} MB, {r['chunks']} chunks "
                  f"({r['created']} items, {r['duplicates']['exact']} exact + "
                  f"{r['duplicates']['near']} near duplicates dropped, {r['errors']} bad "
                  f"files) in {r['seconds']:.0f} s: {r['bytes'] / MB / r['seconds']:.2f} MB/s, "
                  f"{r['chunks'] / r['seconds']:.0f} chunks/s; CPU {r['cpu_s']:.1f} s, "
                  f"{r['cpu_s'] / (r['bytes'] / MB):.3f} s/MB; {r['workers']} worker(s); peak "
                  f"RSS {r['peak_mb']:.0f} MB (run {r['own_mb']:.0f} MB after start-up "
                  f"{r['base_mb']:.0f} MB, + up to {r['worker_mb']:.0f} MB per worker; "
                  f"largest sampled total {r['tree_sampled_mb']:.0f} MB; code {r['code']})")
        mb_s = full["bytes"] / MB / full["seconds"]
        print(f"ingest vs raw read: {mb_s / (raw_bytes / MB / raw_s):.4f}x")
        print(json.dumps({**runs, "pii": quality, "names": names}, default=str),
              file=sys.stderr)
        extra = ""
        if args.baseline:
            base = runs["full, baseline"]
            same = all(base[k] == full[k] for k in ("chunks", "created", "duplicates", "pii"))
            base_mb_s = base["bytes"] / MB / base["seconds"]
            print(f"baseline: {base_mb_s:.2f} MB/s; this version {mb_s / base_mb_s:.2f}x; the "
                  f"same chunks, items, duplicates and redaction counts: "
                  f"{'yes' if same else 'NO'}")
            extra = (f" baseline_mb_per_s={base_mb_s:.2f} speedup={mb_s / base_mb_s:.2f} "
                     f"same_as_baseline={int(same)} baseline_cpu_s_per_mb="
                     f"{base['cpu_s'] / (base['bytes'] / MB):.3f} cpu_speedup="
                     f"{base['cpu_s'] / full['cpu_s']:.2f}")
            if args.serial:
                one, one_base = runs["quarter, one process"], runs[
                    "quarter, one process, baseline"]
                ratio = one_base["seconds"] / one["seconds"]
                cpu_ratio = one_base["cpu_s"] / one["cpu_s"]
                print(f"one process, quarter: this version {ratio:.2f}x the baseline "
                      f"({cpu_ratio:.2f}x in CPU seconds)")
                extra += f" serial_speedup={ratio:.2f} serial_cpu_speedup={cpu_ratio:.2f}"
        if args.engine == "dask":
            on_cluster = runs["full, dask"]
            same = all(on_cluster[k] == full[k]
                       for k in ("chunks", "created", "duplicates", "pii", "errors"))
            dask_mb_s = on_cluster["bytes"] / MB / on_cluster["seconds"]
            print(f"dask: {dask_mb_s:.2f} MB/s on {on_cluster['workers']} worker(s), cluster "
                  f"start-up included; {dask_mb_s / mb_s:.2f}x the local run; the same "
                  f"chunks, items, duplicates and redaction counts: {'yes' if same else 'NO'}")
            extra += (f" dask_mb_per_s={dask_mb_s:.2f} dask_vs_local={dask_mb_s / mb_s:.2f} "
                      f"dask_same_as_local={int(same)}")
        print(f"RESULT mb_per_s={mb_s:.2f} chunks_per_s={full['chunks'] / full['seconds']:.0f} "
              f"cpu_s_per_mb={full['cpu_s'] / (full['bytes'] / MB):.3f} "
              f"peak_mb={full['peak_mb']:.0f} pii_recall_checksum="
              f"{quality['recall_checksum']:.4f} pii_precision={quality['precision']:.4f} "
              f"name_recall={names['recall']:.4f} name_precision={names['precision']:.4f}"
              f"{extra} quarter_peak_mb={runs['quarter']['peak_mb']:.0f} "
              f"load={' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

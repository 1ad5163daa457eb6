"""A text that a detector's gate leaves shut holds nothing that detector would find, so the
gated detection finds exactly what the ungated one finds."""

from __future__ import annotations

import random
import re
import threading

import pytest

from datafab.ingest import gates, pii

from .test_numerals import _texts

pytest.importorskip("hyperscan")

PATTERNS = {
    "email": pii._EMAIL,
    "iban": pii._IBAN,
    "dni": pii._DNI,
    "nir": pii._NIR,
    "ssn": pii._SSN,
    "ipv4": pii._IPV4,
    "card": pii._CARD,
    "phone": pii._PHONE,
    "dob_context": pii._DOB_CONTEXT,
}


def _ascii_texts() -> list[str]:
    rng = random.Random(7)
    alphabet = "0123456789 -.+()/@_%XYZxyzABDEGLNRTbdginoratehcBORNDOB\n"
    fuzz = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(20_000)]
    words = [
        "born",
        "Birth",
        "D.O.B.",
        "dob",
        "date of birth",
        "GEBOREN",
        "nacida",
        "Nacido",
        "reborn",
        "newborn",
        "DE89 3704 0044 0532 0130 00",
        "GB82WEST12345698765432",
        "a.b@c.de",
        "x@y",
        "@",
        "2001:db8::1",
    ]
    fuzz += [
        " ".join(rng.choice(words + fuzz[:50]) for _ in range(rng.randint(1, 8)))
        for _ in range(5_000)
    ]
    return [t for t in _texts() + fuzz if t.isascii()]


def test_a_shut_gate_means_no_match():
    assert set(PATTERNS) == set(gates.GATES)
    texts = _ascii_texts()
    opened = [gates.open_gates(t) for t in texts]
    for name, rx in PATTERNS.items():
        shut = matched = 0
        for text, gate in zip(texts, opened, strict=True):
            if name not in gate:
                shut += 1
                assert rx.search(text) is None, (name, text)
            elif rx.search(text) is not None:
                matched += 1
        assert shut > 100 and matched > 100, name  # both sides are exercised


def test_gated_detection_finds_what_every_detector_finds(monkeypatch):
    texts = _texts()[:3_500]
    gated = [pii.detect(t) for t in texts]
    monkeypatch.setattr(gates, "open_gates", lambda text: gates.ALL)
    assert [pii.detect(t) for t in texts] == gated


def test_only_ascii_is_gated():
    assert gates.open_gates("Chloé's card 4111 1111 1111 1111") == gates.ALL
    assert gates.open_gates("nothing here") == set()
    assert gates.open_gates("mail a.b@example.org") == {"email"}


def test_the_birth_words_gate_folds_case():
    rx = re.compile(gates.GATES["dob_context"][0].decode(), re.IGNORECASE)
    assert rx.search("DATE OF BIRTH") and "dob_context" in gates.open_gates("D.O.B: x")


def test_threads_gate_at_once():
    texts = [t for t in _texts()[:3_000] if t.isascii()]
    alone = [gates.open_gates(t) for t in texts]
    results: list[list] = [[] for _ in range(4)]

    def run(i: int) -> None:
        results[i] = [gates.open_gates(t) for t in texts]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == alone for r in results)

"""The patterns for numbers find, in a text's numerals only, exactly what they find in the
whole text: the same spans and groups, on the bench's labelled corpus, on prose with
look-alikes, and on near misses made of the characters the patterns care about."""

from __future__ import annotations

import importlib.util
import random
import re
from pathlib import Path

from datafab.ingest import pii
from datafab.ingest.numerals import Numerals

from .test_speed import _mixed

PATTERNS = {
    "card": pii._CARD,
    "dni": pii._DNI,
    "nir": pii._NIR,
    "ssn": pii._SSN,
    "ipv4": pii._IPV4,
    "phone": pii._PHONE,
}


def _bench():
    path = Path(__file__).resolve().parents[2] / "bench" / "ingest.py"
    spec = importlib.util.spec_from_file_location("bench_ingest_for_numerals", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _whole(rx: re.Pattern, text: str) -> list:
    return [(m.span(), m.groups()) for m in rx.finditer(text)]


def _in_numerals(rx: re.Pattern, text: str) -> list:
    return [
        ((m.start() + shift, m.end() + shift), m.groups())
        for m, shift in Numerals(text).finditer(rx)
    ]


def _texts() -> list[str]:
    bench, rng = _bench(), random.Random(11)
    labelled = [bench.paragraph(rng, plant_rate=0.7) for _ in range(3_000)]
    rng = random.Random(5)
    alphabet = "0123456789 -.+()/XYZxyzABDEFGLNRé_:٣\n\t\x00a"
    fuzz = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(20_000)]
    return labelled + ["\n".join(labelled[:200])] + _mixed(random.Random(6), 300) + fuzz


def test_numerals_find_what_the_whole_text_gives():
    texts = _texts()
    for name, rx in PATTERNS.items():
        hits = 0
        for text in texts:
            found = _whole(rx, text)
            hits += len(found)
            assert _in_numerals(rx, text) == found, (name, text)
        assert hits > 100, name  # the texts exercise every pattern


def test_detect_reads_numerals_and_keeps_every_finding():
    bench, rng = _bench(), random.Random(12)
    for _ in range(1_000):
        text = bench.paragraph(rng, plant_rate=0.7)
        whole = Numerals.__new__(Numerals)  # the whole text as one piece: the reference
        whole.text, whole._offsets, whole._shifts = text, [0], [0]
        expected = [
            *pii._cards(text, whole),
            *pii._national_ids(text, whole),
            *pii._ips(text, whole),
            *pii._phones(text, whole),
        ]
        assert [
            *pii._cards(text),
            *pii._national_ids(text),
            *pii._ips(text),
            *pii._phones(text),
        ] == expected


def test_pieces_map_back_to_the_text():
    text = (
        "please call 555-0100 or else (415) 555-2671, and the card is 4111 1111 1111 1111 "
        "and the id X-1234567-L."
    )
    view = Numerals(text)
    assert view.text.count("\x00") == 2 and "please" not in view.text
    for i, ch in enumerate(view.text):
        if ch != "\x00":
            assert text[view.origin(i)] == ch
    assert Numerals("no numbers here").text == ""
    nul = "a\x00 4111 1111 1111 1111"
    assert Numerals(nul).text == nul  # a NUL of its own: read whole

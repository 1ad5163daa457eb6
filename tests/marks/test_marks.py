"""The marks alone: same length, invisible to folding, keyed, read back through quoting,
re-wrapping and typing errors, and the binomial tail on cases worked out by hand."""

from __future__ import annotations

import random
import unicodedata

import pytest

from datafab import marks
from datafab.marks.glyphs import LATIN, TWINS

TEXT = ("The quarterly report describes expenses of the research office, its contracts with "
        "suppliers and the reasons each payment was approved. Several sections compare the "
        "spending of this year with the previous one and explain why the travel costs rose "
        "sharply in the spring, when the team presented its results at conferences abroad.")


def _marked(text: str, who: str) -> str:
    key = marks.subkey(b"s" * 32, who)
    return marks.embed(text, marks.keystream(key, "7:text", len(text)))


def _agreement(original: str, leaked: str, who: str) -> tuple[int, int]:
    key = marks.subkey(b"s" * 32, who)
    stream = marks.keystream(key, "7:text", len(original))
    seen = marks.observe(original, leaked).bits
    return sum(marks.bit(stream, p) == b for p, b in seen.items()), len(seen)


def test_a_mark_keeps_the_length_and_folds_back_to_the_original():
    marked = _marked(TEXT, "1:2")
    assert marked != TEXT and len(marked) == len(TEXT)
    assert marks.fold(marked) == marks.fold(TEXT)
    assert marks.unmark(marked) == TEXT
    changed = [i for i, (a, b) in enumerate(zip(TEXT, marked, strict=True)) if a != b]
    assert set(changed) <= set(marks.markable(TEXT))
    assert all(TWINS[TEXT[i]] == marked[i] for i in changed)


def test_two_contributors_get_different_marks_and_half_the_positions_differ():
    a, b = _marked(TEXT, "1:2"), _marked(TEXT, "1:3")
    positions = marks.markable(TEXT)
    differ = sum(a[i] != b[i] for i in positions)
    assert 0.3 < differ / len(positions) < 0.7


def test_words_without_an_anchor_and_cyrillic_text_are_left_alone():
    text = "a so ice Привет сосед: the cat sat"
    the, cat, sat = (text.index(w) for w in ("the", "cat", "sat"))
    assert marks.markable(text) == [the + 2, cat, cat + 1, sat, sat + 1]
    assert marks.unmark("Привет сосед") == "Привет сосед"  # Russian stays Russian
    assert marks.unmark("thе саt") == "the cat"  # twins inside Latin words go back


def test_nfkc_keeps_the_mark():
    marked = _marked(TEXT, "1:2")
    assert unicodedata.normalize("NFKC", marked) == marked


def test_the_reader_finds_a_quoted_rewrapped_paragraph_and_its_bits():
    marked = _marked(TEXT, "1:2")
    quote = marked[40:260]
    rewrapped = "From a forum post:\n> " + quote.replace(" ", "\n> ", 4) + "\n(end)"
    agree, n = _agreement(TEXT, rewrapped, "1:2")
    assert n > 60 and agree == n
    other, n_other = _agreement(TEXT, rewrapped, "1:3")
    assert n_other == n and other < 0.75 * n


def test_typing_errors_cost_only_the_positions_they_touch():
    rng = random.Random(3)
    marked = list(_marked(TEXT, "1:2"))
    for _ in range(len(marked) // 20):  # 5% of the characters edited
        k = rng.randrange(len(marked))
        op = rng.choice("sdi")
        if op == "s":
            marked[k] = rng.choice("abcdefghijklmnopqrstuvwxyz ")
        elif op == "d":
            del marked[k]
        else:
            marked.insert(k, rng.choice("abcdefghijklmnopqrstuvwxyz"))
    agree, n = _agreement(TEXT, "".join(marked), "1:2")
    assert n > 80 and agree >= n - 3
    assert marks.corrected(marks.binomial_tail(agree, n), 50) < 1e-9


def test_an_unmarked_copy_agrees_with_a_key_only_by_chance():
    agree, n = _agreement(TEXT, TEXT, "1:2")
    assert n == len(marks.markable(TEXT))
    assert marks.binomial_tail(agree, n) > 1e-3


def test_the_streams_are_keyed():
    one = marks.keystream(b"k" * 32, "1:text", 1000)
    assert one == marks.keystream(b"k" * 32, "1:text", 1000)
    assert one != marks.keystream(b"j" * 32, "1:text", 1000)
    assert one != marks.keystream(b"k" * 32, "2:text", 1000)
    assert len(one) * 8 >= 1000


@pytest.mark.parametrize(("k", "n", "expected"), [
    (0, 4, 1.0), (4, 4, 1 / 16), (3, 4, 5 / 16), (5, 4, 0.0), (1, 1, 0.5),
    (10, 10, 2.0 ** -10),
])
def test_binomial_tail_by_hand(k, n, expected):
    assert marks.binomial_tail(k, n) == pytest.approx(expected, rel=1e-12, abs=0)


def test_bonferroni_is_capped_at_one():
    assert marks.corrected(0.01, 50) == pytest.approx(0.5)
    assert marks.corrected(0.1, 50) == 1.0


def test_every_twin_is_a_different_code_point_of_another_script():
    for latin, twin in TWINS.items():
        assert latin != twin and LATIN[twin] == latin
        assert unicodedata.name(twin).startswith("CYRILLIC")
        assert unicodedata.normalize("NFKC", twin) == twin


def test_the_marks_import_nothing_of_datafab_but_themselves():
    import ast
    from pathlib import Path

    folder = Path(marks.__file__).parent
    outside = []
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            outside += [(path.name, n) for n in names
                        if n.startswith("datafab") and not n.startswith("datafab.marks")]
    assert outside == []

"""Finding an original text again inside a leaked one, and reading the bits it kept.

The leak may be a part of the original, re-wrapped, quoted inside other text, or retyped
with errors. Both are folded (``glyphs.fold``: one character for one, so positions carry
over), then aligned with ``difflib``; only runs of at least ``MIN_RUN`` equal characters
count as the same text, so a stray common letter is never read as a bit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from datafab.marks.glyphs import TWINS, fold, markable

MIN_RUN = 8
SHINGLE = 3
_TOKEN = re.compile(r"\w+")


def shingles(text: str) -> set[tuple[str, ...]]:
    """Every run of ``SHINGLE`` words of the folded text."""
    words = _TOKEN.findall(fold(text))
    return set(zip(*(words[k:] for k in range(SHINGLE)), strict=False))


def placed_shingles(text: str) -> dict[tuple[str, ...], int]:
    """Each run of ``SHINGLE`` words of the folded text -> where its first word starts."""
    found = [(m.group(), m.start()) for m in _TOKEN.finditer(fold(text))]
    words = [w for w, _ in found]
    return {run: found[k][1]
            for k, run in enumerate(zip(*(words[j:] for j in range(SHINGLE)), strict=False))}


@dataclass(frozen=True)
class Reading:
    """What a leak holds of one original: how many of its characters were found again, and
    markable position -> the bit shown there (1: the twin, 0: the Latin letter)."""

    matched: int
    bits: dict[int, int]


def observe(original: str, leaked: str) -> Reading:
    """Align ``leaked`` to ``original`` and read every markable position it holds again."""
    matcher = SequenceMatcher(None, fold(original), fold(leaked), autojunk=False)
    mapped: dict[int, int] = {}
    for a, b, size in matcher.get_matching_blocks():
        if size >= MIN_RUN:
            mapped.update(zip(range(a, a + size), range(b, b + size), strict=True))
    seen: dict[int, int] = {}
    for position in markable(original):
        at = mapped.get(position)
        if at is None:
            continue
        shown = leaked[at]
        if shown == TWINS[original[position]]:
            seen[position] = 1
        elif shown == original[position]:
            seen[position] = 0
    return Reading(len(mapped), seen)

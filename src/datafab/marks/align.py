"""Finding an original text again inside a leaked one, and reading the bits it kept.

The leak may be a part of the original, re-wrapped, quoted inside other text, or retyped
with errors. Both are folded (``glyphs.fold``: one character for one, so positions carry
over), then aligned with ``difflib``; only runs of at least ``MIN_RUN`` equal characters
count as the same text, so a stray common letter is never read as a bit."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from datafab.marks.glyphs import TWINS, fold, markable

MIN_RUN = 8
SHINGLE = 3
_TOKEN = re.compile(r"\w+")


def shingles(text: str) -> dict[tuple[str, ...], int]:
    """Each run of ``SHINGLE`` words of the folded text -> where its first word starts."""
    words = [(m.group(), m.start()) for m in _TOKEN.finditer(fold(text))]
    return {tuple(w for w, _ in words[k:k + SHINGLE]): words[k][1]
            for k in range(len(words) - SHINGLE + 1)}


def observe(original: str, leaked: str) -> dict[int, int]:
    """Markable position of ``original`` -> the bit the leak shows there (1: the twin,
    0: the Latin letter), for every position the leak holds again."""
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
    return seen

"""Where a text writes numbers: the only places a card, a phone number, an IP address or a
national id can be, so the patterns that find those need not read the rest.

A *numeral* is a maximal run of the characters numbers are written with — digits, spaces,
``. ( ) + / -`` and the ``A``/``B`` of a Corsican NIR — that starts with a digit, ``+`` or
``(``. Every match of those patterns (their consuming part: what they read, without their
look-arounds) is made of these characters and starts with one of those three, so it lies
inside one numeral — except a Spanish NIE's leading letter and dash and a DNI's check
letter, which lie at most 2 characters before or 1 after it. :class:`Numerals` keeps each
numeral with ``MARGIN`` characters of context on either side (more than any pattern's
look-behind or look-ahead reaches beyond what it reads), merges the pieces that touch, and
joins them with NUL characters, which no pattern reads and which stand, to every
look-around, where the text's start or end would.

So a pattern finds, in the joined pieces, exactly what it finds in the whole text — the same
matches, with the same groups — and ``origin`` maps each back (held by
``tests/ingest/test_numerals.py`` against the whole-text scan on the bench's labelled
corpora). A text with a NUL of its own is read whole.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator

MARGIN = 4  # the patterns read at most 2 characters before a numeral and 1 after, and look
# 1 character further back and 2 further ahead
_NUMERAL = r"[\d+(][\dAB .()+/-]*"
# numerals less than two margins apart, as one piece: between two numerals stand only
# characters that cannot start one
_PIECE = re.compile(rf"{_NUMERAL}(?:[^\d+(]{{1,{2 * MARGIN}}}{_NUMERAL})*")


class Numerals:
    """The numerals of ``text`` with their context, joined: ``text`` to scan, and
    ``origin(i)`` the offset in the original text of the joined text's offset ``i``."""

    __slots__ = ("_offsets", "_shifts", "text")

    def __init__(self, text: str) -> None:
        if "\x00" in text:
            self.text, self._offsets, self._shifts = text, [0], [0]
            return
        pieces: list[str] = []
        offsets: list[int] = []
        shifts: list[int] = []
        size = 0
        for m in _PIECE.finditer(text):
            start, end = max(0, m.start() - MARGIN), m.end() + MARGIN
            pieces.append(text[start:end])
            offsets.append(size)
            shifts.append(start - size)
            size += len(pieces[-1]) + 1  # and the NUL after it
        self.text = "\x00".join(pieces)
        self._offsets, self._shifts = offsets, shifts

    def origin(self, i: int) -> int:
        """The original offset of the joined text's offset ``i``."""
        return i + self._shifts[bisect_right(self._offsets, i) - 1]

    def finditer(self, pattern: re.Pattern[str]) -> Iterator[tuple[re.Match[str], int]]:
        """Each match of ``pattern`` and the shift that maps its offsets to the original
        text's (``match.start() + shift``)."""
        if not self.text:
            return
        if len(self._offsets) == 1:
            shift = self._shifts[0]
            for m in pattern.finditer(self.text):
                yield m, shift
            return
        for m in pattern.finditer(self.text):
            yield m, self.origin(m.start()) - m.start()

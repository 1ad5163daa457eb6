"""Invisible, keyed marks in text, and the statistics of reading them back.

Pure: it imports nothing of Datafab's, so every function is tested on its own.

A mark is a choice, at each *markable* character of a text, between a Latin letter and its
Cyrillic twin that fonts draw the same (``glyphs``); the choice at each position is one bit
of a keyed stream (``stream``), so the mark is the same length as the text and every
character offset into it stays valid. Reading is done against the original text: the leaked
text is aligned to it (``align``), and each markable position found again is one observed
bit. An innocent key agrees with each observed bit with probability one half, so the chance
that it agrees with ``k`` of ``n`` is a binomial tail (``evidence``).
"""

from datafab.marks.align import Reading, observe, placed_shingles, shingles
from datafab.marks.evidence import binomial_tail, corrected
from datafab.marks.glyphs import embed, fold, markable, unmark
from datafab.marks.stream import bit, keystream, subkey

__all__ = ["Reading", "binomial_tail", "bit", "corrected", "embed", "fold", "keystream", "markable",
           "observe", "placed_shingles", "shingles", "subkey", "unmark"]

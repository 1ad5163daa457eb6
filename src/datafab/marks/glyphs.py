"""Which characters carry a mark, how a mark is written and how it is taken off.

A markable character is a Latin letter with a Cyrillic twin drawn the same by common fonts
(``a`` and ``а``, ``o`` and ``о`` …) inside a word that also holds a Latin letter without a
twin (an *anchor*, such as ``n`` or ``t``). The anchor is what lets ``unmark`` tell a marked
English word from a Russian one: only words with an anchor are turned back to Latin, so text
really written in Cyrillic is left alone. Words made only of twins (``a``, ``so``, ``ice``)
are never marked for the same reason.

Both letters survive copying as plain text, re-wrapping and Unicode normalisation (NFC and
NFKC keep Cyrillic letters); folding confusables (Unicode TS 39 skeletons) or retyping the
text removes them.
"""

from __future__ import annotations

import re
from string import ascii_letters

#: Latin letter -> its Cyrillic twin.
TWINS: dict[str, str] = {
    "a": "\u0430", "c": "\u0441", "e": "\u0435", "o": "\u043e", "p": "\u0440",
    "x": "\u0445", "i": "\u0456", "j": "\u0458", "s": "\u0455",
    "A": "\u0410", "B": "\u0412", "C": "\u0421", "E": "\u0415", "H": "\u041d",
    "K": "\u041a", "M": "\u041c", "O": "\u041e", "P": "\u0420", "T": "\u0422",
    "X": "\u0425",
}
LATIN = {twin: latin for latin, twin in TWINS.items()}
_WORD = re.compile("[A-Za-z" + "".join(LATIN) + "]+")
_BACK = str.maketrans(LATIN)
_FOLD = str.maketrans({**{twin: latin.lower() for twin, latin in LATIN.items()},
                       "\t": " ", "\n": " ", "\r": " ", "\u00a0": " ",
                       **{chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)}})


_ANCHOR = re.compile("[" + "".join(sorted(set(ascii_letters) - set(TWINS))) + "]")
_TWIN = re.compile("[" + "".join(TWINS) + "]")


def _anchored(word: str) -> bool:
    return _ANCHOR.search(word) is not None


def markable(text: str) -> list[int]:
    """The positions of ``text`` that may carry a bit, in order."""
    found: list[int] = []
    for word in _WORD.finditer(text):
        if _ANCHOR.search(word.group()):
            start = word.start()
            found += [start + twin.start() for twin in _TWIN.finditer(word.group())]
    return found


def embed(text: str, bits: bytes) -> str:
    """``text`` with the twin at each markable position whose bit (by position) is set."""
    chars = list(text)
    for position in markable(text):
        if bits[position >> 3] >> (position & 7) & 1:
            chars[position] = TWINS[chars[position]]
    return "".join(chars)


def unmark(text: str) -> str:
    """``text`` with every marked word back in Latin (words without an anchor untouched)."""
    if not any(ch in LATIN for ch in text):
        return text
    return _WORD.sub(lambda m: m.group().translate(_BACK) if _anchored(m.group())
                     else m.group(), text)


def fold(text: str) -> str:
    """One character for each character: twins to Latin, ASCII to lower case, every kind of
    line break or tab to a space — what two copies of one text share however they were
    marked or wrapped."""
    return text.translate(_FOLD)

"""Names people give things (projects, organizations, contributors, eval sets, API keys): one
validator, so every name is held to the same rule.

A name must show something. One made only of spaces, zero-width characters (U+200B, U+FEFF …),
direction marks or overrides (U+200E, U+202E, U+2066 …) or other invisible fillers would look
blank in every list it appears in, and two such names could not be told apart; control
characters (a newline, U+0000) have no place in a name either. Pure: no I/O.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

# Characters Unicode does not class as format or space but that render as nothing.
_BLANK_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def _invisible(char: str) -> bool:
    category = unicodedata.category(char)
    return category in ("Cf", "Zs", "Zl", "Zp", "Cc") or char in _BLANK_FILLERS


def clean_name(value: str) -> str:
    """``value`` without surrounding blanks; ``ValueError`` when nothing visible is left or it
    holds a control character."""
    if any(unicodedata.category(c) == "Cc" for c in value.strip()):
        raise ValueError("a name cannot hold control characters (such as a line break)")
    trimmed = value.strip()
    while trimmed and _invisible(trimmed[0]):
        trimmed = trimmed[1:]
    while trimmed and _invisible(trimmed[-1]):
        trimmed = trimmed[:-1]
    if not trimmed:
        raise ValueError("a name needs at least one visible character (not only spaces, "
                         "zero-width or text-direction characters)")
    return trimmed


CleanName = Annotated[str, AfterValidator(clean_name)]

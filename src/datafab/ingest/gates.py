"""Which personal-data patterns can match a text at all, in one pass of a compiled
multi-pattern engine (Hyperscan, the ``ingest`` extra), so the others are not run.

Each gate is a pattern without look-arounds that matches wherever the detector's pattern
can (what that pattern reads, or a part it always reads: an IBAN's first 15 characters, a
card's first 13 digits, a birth word without its word boundaries), so a text that no gate of
a detector matches holds nothing that detector would find; a text some gate matches is read
by the detector's own pattern, as before. The gates are written for ASCII (``\\d`` is
``[0-9]``, case folds only ``A-Z``), so only an ASCII text is gated; any other text, and
every text when Hyperscan is not installed, is read by every detector.
``tests/ingest/test_gates.py`` holds each gate to its detector.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

GATES: dict[str, tuple[bytes, bool]] = {  # name: (pattern, case-insensitive)
    "email": (rb"[A-Za-z0-9._%+-]@[A-Za-z0-9]", False),
    "iban": (rb"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11}", False),
    "dni": (rb"(?:[0-9]{8}|[XYZxyz]-?[0-9]{7})-?[A-Za-z]", False),
    "nir": (
        rb"[12] ?[0-9]{2} ?(?:0[1-9]|1[0-2]|[2-9][0-9]) ?(?:[0-9]{2}|2[AB]) ?[0-9]{3} "
        rb"?[0-9]{3} ?[0-9]{2}",
        False,
    ),
    "ssn": (rb"[0-9]{3}-[0-9]{2}-[0-9]{4}", False),
    "ipv4": (rb"(?:[0-9]{1,3}\.){3}[0-9]{1,3}", False),
    "card": (rb"(?:[0-9][ -]?){12}[0-9]", False),
    "phone": (rb"[0-9]{1,4}[ .-]?[0-9]{2,4}", False),
    "dob_context": (rb"born|birth|d\.?o\.?b|geboren|nacid[oa]", True),
}
ALL = frozenset(GATES)


@cache
def _database() -> Any | None:
    try:
        import hyperscan
    except ImportError:
        return None
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    flags = [
        hyperscan.HS_FLAG_SINGLEMATCH | (hyperscan.HS_FLAG_CASELESS if caseless else 0)
        for _, caseless in GATES.values()
    ]
    db.compile(
        expressions=[p for p, _ in GATES.values()],
        ids=list(range(len(GATES))),
        elements=len(GATES),
        flags=flags,
    )
    return db


_NAMES = tuple(GATES)


def _open(gate: int, _from: int, _to: int, _flags: int, opened: set[str]) -> None:
    opened.add(_NAMES[gate])


_THREAD = threading.local()  # a scan's scratch space is used by one scan at a time


def _scratch(db: Any) -> Any:
    scratch = getattr(_THREAD, "scratch", None)
    if scratch is None:
        import hyperscan

        scratch = _THREAD.scratch = hyperscan.Scratch(db)
    return scratch


def open_gates(text: str) -> frozenset[str] | set[str]:
    """The names of the gates ``text`` opens: every one when the text cannot be gated."""
    db = _database()
    if db is None or not text.isascii():
        return ALL
    opened: set[str] = set()
    db.scan(text.encode(), match_event_handler=_open, context=opened, scratch=_scratch(db))
    return opened

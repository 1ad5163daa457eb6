"""Keyed bit streams: one per (key, unit), as long as the unit's text.

BLAKE2b in keyed mode is a pseudo-random function: without the key, the bits cannot be told
from coin flips, and two keys' streams are independent — what the evidence's binomial tail
assumes of an innocent contributor."""

from __future__ import annotations

import hashlib
import hmac

BLOCK_BITS = 512


def subkey(secret: bytes, label: str) -> bytes:
    """A key of its own for ``label`` (a project and a contributor), from the site's secret."""
    return hmac.new(secret, label.encode(), hashlib.sha256).digest()


def keystream(key: bytes, unit: str, n_bits: int) -> bytes:
    """At least ``n_bits`` bits of the stream for ``unit`` (an item and a field of it)."""
    blocks = max(1, -(-n_bits // BLOCK_BITS))
    return b"".join(hashlib.blake2b(f"{unit}:{k}".encode(), key=key, digest_size=64).digest()
                    for k in range(blocks))


def bit(bits: bytes, position: int) -> int:
    return bits[position >> 3] >> (position & 7) & 1

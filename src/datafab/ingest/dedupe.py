"""Duplicate removal: exact (a digest of the normalised text) and near (MinHash LSH).

Near duplicates are found with MinHash signatures of word 5-shingles in a locality-sensitive
hash index (datasketch's ``MinHashLSH``; Broder 1997, "On the resemblance and containment
of documents"). A chunk whose estimated Jaccard similarity with a chunk kept earlier reaches
``threshold`` is dropped, and the report says which kept chunk it resembles.

Memory: the index remembers the last ``window`` kept chunks (a digest, a signature and the
LSH band keys each, about 2 KB), so it stays bounded whatever the input size; a repeat of a
chunk older than that is not reported here, though an exact one still changes nothing when
stored (a chunk's id is a keyed digest of its text).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import deque
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"\w+")
SHINGLE = 5
NUM_PERM = 64
WINDOW = 50_000


def normalised(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


@dataclass(frozen=True)
class Verdict:
    """``None`` kind: keep. Else ``exact`` or ``near`` with the key of the chunk it repeats."""

    kind: str | None
    of: str | None = None
    similarity: float | None = None


class _Signature:
    """A MinHash signature as datasketch's LSH index reads it (its own MinHash class makes
    its permutations anew on every construction, which costs more than the hashing)."""

    __slots__ = ("hashvalues",)
    scheme = "datafab-multiply-shift"

    def __init__(self, hashvalues: np.ndarray) -> None:
        self.hashvalues = hashvalues

    def __len__(self) -> int:
        return NUM_PERM


_RNG = np.random.default_rng(1)
# NUM_PERM multiply-shift hash functions (fixed, so a signature means the same in any process)
_PERMUTATIONS = (_RNG.integers(1, 2**63, NUM_PERM, dtype=np.uint64) | 1,
                 _RNG.integers(0, 2**63, NUM_PERM, dtype=np.uint64))


@dataclass(frozen=True)
class Fingerprint:
    """What de-duplication needs of a chunk: the digest of its normalised text and, when the
    chunk is long enough to tell a near duplicate, its MinHash signature (32-bit values).
    Pure and picklable, so worker processes can compute it and the run judge it."""

    digest: bytes
    signature: np.ndarray | None


def fingerprint(text: str, *, near: bool = True) -> Fingerprint:
    norm = normalised(text)
    digest = hashlib.blake2b(norm.encode(), digest_size=16).digest()
    words = norm.split()
    if not near or len(words) < SHINGLE:
        return Fingerprint(digest, None)
    return Fingerprint(digest, minhash(words))


def minhash(words: list[str]) -> np.ndarray:
    """The MinHash of the words' 5-shingles, vectorised: each word hashed once (CRC-32),
    shingle hashes combined from them, then ``NUM_PERM`` multiply-shift hash functions
    applied to all shingles at once, the minimum of each kept (values < 2^32)."""
    w = np.array(list(map(zlib.crc32, map(str.encode, words))), dtype=np.uint64)
    n = len(words) - SHINGLE + 1
    h = np.zeros(n, dtype=np.uint64)
    for k in range(SHINGLE):  # a polynomial hash of the 5 word hashes (mod 2^64)
        h = h * np.uint64(1_000_003) + w[k:k + n]
    a, b = _PERMUTATIONS
    return ((np.outer(np.unique(h), a) + b) >> np.uint64(32)).min(axis=0).astype(np.uint32)


class Deduper:
    """Decide, chunk by chunk, whether a chunk repeats one seen before (in this run)."""

    def __init__(self, *, near: bool = True, threshold: float = 0.85,
                 window: int = WINDOW) -> None:
        if not 0.5 <= threshold <= 1.0:
            raise ValueError(f"near-duplicate threshold must be between 0.5 and 1, "
                             f"not {threshold}")
        self._exact: dict[bytes, str] = {}
        self._order: deque[tuple[str, bytes]] = deque()
        self._window = window
        self.near = near
        self._threshold = threshold
        self._lsh = None
        self._sigs: dict[str, np.ndarray] = {}
        if near:
            from datasketch import MinHashLSH

            self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)

    def check(self, key: str, text: str) -> Verdict:
        return self.judge(key, fingerprint(text, near=self.near))

    def judge(self, key: str, print_: Fingerprint) -> Verdict:
        """The verdict on a chunk from its fingerprint; a kept chunk is remembered. Chunks
        must be judged in input order (the first of two repeats is the one kept)."""
        first = self._exact.get(print_.digest)
        if first is not None:
            return Verdict("exact", first)
        if self._lsh is None or print_.signature is None:
            self._remember(key, print_.digest)
            return Verdict(None)
        sig = _Signature(print_.signature)
        best, best_sim = None, 0.0
        for other in self._lsh.query(sig):
            sim = float(np.mean(self._sigs[other] == print_.signature))
            if sim >= self._threshold and sim > best_sim:
                best, best_sim = other, sim
        if best is not None:
            return Verdict("near", best, round(best_sim, 3))
        self._lsh.insert(key, sig, check_duplication=False)
        self._sigs[key] = print_.signature
        self._remember(key, print_.digest)
        return Verdict(None)

    def _remember(self, key: str, digest: bytes) -> None:
        self._exact[digest] = key
        self._order.append((key, digest))
        if len(self._order) > self._window:
            old, old_digest = self._order.popleft()
            if self._exact.get(old_digest) == old:
                del self._exact[old_digest]
            if old in self._sigs:
                del self._sigs[old]
                self._lsh.remove(old)

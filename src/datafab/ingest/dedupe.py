"""Duplicate removal: exact (a digest of the normalised text) and near (MinHash LSH).

Near duplicates are found with MinHash signatures of word 5-shingles in a locality-sensitive
hash index (datasketch's ``MinHashLSH``; Broder 1997, "On the resemblance and containment
of documents"). A chunk whose estimated Jaccard similarity with a chunk kept earlier reaches
``threshold`` is dropped, and the report says which kept chunk it resembles.

Memory grows with the number of kept chunks (a 16-byte digest each, plus the LSH index's
band keys); it does not grow with the size of the text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"\w+")
SHINGLE = 5
NUM_PERM = 64


def normalised(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


@dataclass(frozen=True)
class Verdict:
    """``None`` kind: keep. Else ``exact`` or ``near`` with the key of the chunk it repeats."""

    kind: str | None
    of: str | None = None
    similarity: float | None = None


class Deduper:
    """Decide, chunk by chunk, whether a chunk repeats one seen before (in this run)."""

    def __init__(self, *, near: bool = True, threshold: float = 0.85) -> None:
        if not 0.5 <= threshold <= 1.0:
            raise ValueError(f"near-duplicate threshold must be between 0.5 and 1, "
                             f"not {threshold}")
        self._exact: dict[bytes, str] = {}
        self._near = near
        self._threshold = threshold
        self._lsh = None
        self._sigs: dict[str, np.ndarray] = {}
        if near:
            from datasketch import MinHashLSH

            self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)

    def check(self, key: str, text: str) -> Verdict:
        norm = normalised(text)
        digest = hashlib.blake2b(norm.encode(), digest_size=16).digest()
        first = self._exact.get(digest)
        if first is not None:
            return Verdict("exact", first)
        self._exact[digest] = key
        if self._lsh is None:
            return Verdict(None)
        words = norm.split()
        if len(words) < SHINGLE:
            return Verdict(None)  # too short to tell a near duplicate from a coincidence
        from datasketch import MinHash

        shingles = {" ".join(words[i:i + SHINGLE]).encode()
                    for i in range(len(words) - SHINGLE + 1)}
        mh = MinHash(num_perm=NUM_PERM)
        mh.update_batch(list(shingles))
        best, best_sim = None, 0.0
        for other in self._lsh.query(mh):
            sim = float(np.mean(self._sigs[other] == mh.hashvalues))
            if sim >= self._threshold and sim > best_sim:
                best, best_sim = other, sim
        if best is not None:
            del self._exact[digest]  # a dropped chunk is not a reference for later ones
            return Verdict("near", best, round(best_sim, 3))
        self._lsh.insert(key, mh, check_duplication=False)
        self._sigs[key] = mh.hashvalues.astype(np.uint32)
        return Verdict(None)

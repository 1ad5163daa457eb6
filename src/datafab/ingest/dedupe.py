"""Duplicate removal: exact (a digest of the normalised text) and near (MinHash LSH).

Near duplicates are found with MinHash signatures of word 5-shingles (Broder 1997, "On the
resemblance and containment of documents") in a banded locality-sensitive hash index
(Leskovec, Rajaraman and Ullman, *Mining of Massive Datasets*, §3.4): a chunk that shares all
the values of one band with a kept chunk is a candidate, and a candidate whose estimated
Jaccard similarity (the share of equal signature values) reaches ``threshold`` is dropped;
the report says which kept chunk it resembles.

Memory: the index remembers the last ``window`` kept chunks (a digest, a signature and one
entry per band each, about 1 KB), so it stays bounded whatever the input size; a repeat of a
chunk older than that is not reported here, though an exact one still changes nothing when
stored (a chunk's id is a keyed digest of its text). datasketch's ``MinHashLSH`` does the
same banding with a set per bucket, about three times the memory.
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


def band_shape(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """``(bands, rows)`` for the threshold: the shape whose candidate curve
    ``1 - (1 - s^rows)^bands`` minimises 0.2 × the area of false candidates below the
    threshold + 0.8 × the area of missed ones above it (candidates are checked against the
    whole signature, so a false one costs a comparison and a missed one a duplicate)."""
    x = np.linspace(0.0, 1.0, 501)
    below, step = x < threshold, x[1] - x[0]
    best: tuple[float, int, int] | None = None
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            p = 1.0 - (1.0 - x ** rows) ** bands
            cost = step * (0.2 * p[below].sum() + 0.8 * (1.0 - p[~below]).sum())
            if best is None or cost < best[0]:
                best = (cost, bands, rows)
    assert best is not None  # num_perm >= 1 shapes were tried
    return best[1], best[2]


class _Bands:
    """The banded index: per band, a dict from the band's hash to the kept chunk's key (or
    the keys, when several share it)."""

    def __init__(self, threshold: float) -> None:
        self.bands, self.rows = band_shape(threshold)
        self._tables: list[dict[int, str | list[str]]] = [{} for _ in range(self.bands)]

    def keys(self, signature: np.ndarray) -> list[int]:
        """Each band's hash: of the band's bytes, sliced from the signature's bytes."""
        raw, width = signature.tobytes(), self.rows * signature.itemsize
        return [hash(raw[i * width:(i + 1) * width]) for i in range(self.bands)]

    def candidates(self, signature: np.ndarray, keys: list[int] | None = None) -> set[str]:
        found: set[str] = set()
        for table, h in zip(self._tables, keys or self.keys(signature), strict=True):
            there = table.get(h)
            if there is not None:
                found.update([there] if isinstance(there, str) else there)
        return found

    def insert(self, key: str, signature: np.ndarray, keys: list[int] | None = None) -> None:
        for table, h in zip(self._tables, keys or self.keys(signature), strict=True):
            there = table.get(h)
            if there is None:
                table[h] = key
            elif isinstance(there, str):
                table[h] = [there, key]
            else:
                there.append(key)

    def remove(self, key: str, signature: np.ndarray) -> None:
        for table, h in zip(self._tables, self.keys(signature), strict=True):
            there = table.get(h)
            if there == key:
                del table[h]
            elif isinstance(there, list) and key in there:
                there.remove(key)


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
    """One chunk's fingerprint (the reference: :func:`fingerprints` gives the same, faster)."""
    norm = normalised(text)
    digest = hashlib.blake2b(norm.encode(), digest_size=16).digest()
    words = norm.split()
    if not near or len(words) < SHINGLE:
        return Fingerprint(digest, None)
    return Fingerprint(digest, minhash(words))


SHINGLES_PER_STEP = 4_096  # shingles hashed at once: 2 MB of intermediate values


def fingerprints(texts: list[str], *, near: bool = True) -> list[Fingerprint]:
    """The fingerprints of many chunks at once, equal to :func:`fingerprint` of each: every
    word of every chunk hashed in one pass, the shingles of all chunks combined in one array,
    and the minimum per chunk taken over contiguous slices (``minimum.reduceat``) — no
    per-chunk NumPy calls. Duplicate shingles are not removed first: they do not change a
    minimum."""
    words = [_words(t) for t in texts]
    digests = [hashlib.blake2b(b" ".join(w), digest_size=16).digest() for w in words]
    if not near:
        return [Fingerprint(d, None) for d in digests]
    sigs = minhashes(words)
    return [Fingerprint(d, s) for d, s in zip(digests, sigs, strict=True)]


# the word characters of ASCII (``\w``) as themselves, capitals as small letters, every other
# byte as a space
_ASCII_WORDS = bytes(
    c + 32 if 65 <= c <= 90 else c if chr(c).isalnum() or c == 95 else 32
    for c in range(128)
) + b" " * 128


def _words(text: str) -> list[bytes]:
    r"""The words of the text in small letters (``\w+``), UTF-8 encoded: an ASCII text
    through a byte table, the others through the regular expression."""
    if text.isascii():
        return text.encode().translate(_ASCII_WORDS).split()
    return [w.encode() for w in _WORD.findall(text.lower())]


def minhashes(word_lists: list[list[bytes]]) -> list[np.ndarray | None]:
    """:func:`minhash` of each list of (UTF-8 encoded) words (``None`` for fewer than
    ``SHINGLE`` words)."""
    out: list[np.ndarray | None] = [None] * len(word_lists)
    flat = [w for ws in word_lists for w in ws]
    if not flat:
        return out
    distinct = dict.fromkeys(flat)  # each distinct word hashed once
    table = dict(zip(distinct, map(zlib.crc32, distinct), strict=True))
    w = np.fromiter(map(table.__getitem__, flat), dtype=np.uint64, count=len(flat))
    n = len(flat) - SHINGLE + 1
    if n <= 0:
        return out
    h = np.zeros(n, dtype=np.uint64)
    for k in range(SHINGLE):  # the same polynomial hash as minhash(), over all words at once
        h = h * np.uint64(1_000_003) + w[k:k + n]
    # each long enough chunk's shingles: a contiguous slice of h (those that cross into the
    # next chunk are skipped)
    which, starts, stops, pos = [], [], [], 0
    for i, ws in enumerate(word_lists):
        if len(ws) >= SHINGLE:
            which.append(i)
            starts.append(pos)
            stops.append(pos + len(ws) - SHINGLE + 1)
        pos += len(ws)
    a, b = _PERMUTATIONS
    step: list[int] = []
    for j in range(len(which) + 1):  # groups of chunks of a bounded number of shingles
        if j < len(which) and (not step or stops[j] - starts[step[0]] <= SHINGLES_PER_STEP):
            step.append(j)
            continue
        if step:
            idx = np.concatenate([np.arange(starts[k], stops[k]) for k in step])
            lengths = np.array([stops[k] - starts[k] for k in step])
            bounds = np.concatenate(([0], np.cumsum(lengths)[:-1]))
            values = np.outer(a, h[idx])  # one row per hash function: contiguous minima
            values += b[:, None]
            values >>= np.uint64(32)
            mins = np.minimum.reduceat(values, bounds, axis=1).T.astype(np.uint32)
            for k, row in zip(step, mins, strict=True):
                out[which[k]] = row
        step = [j] if j < len(which) else []
    return out


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
        self._index = _Bands(threshold) if near else None
        self._sigs: dict[str, bytes] = {}  # kept chunks' signatures (uint32 values)

    def check(self, key: str, text: str) -> Verdict:
        return self.judge(key, fingerprint(text, near=self.near))

    def judge(self, key: str, print_: Fingerprint) -> Verdict:
        """The verdict on a chunk from its fingerprint; a kept chunk is remembered. Chunks
        must be judged in input order (the first of two repeats is the one kept)."""
        first = self._exact.get(print_.digest)
        if first is not None:
            return Verdict("exact", first)
        sig = print_.signature
        if self._index is None or sig is None:
            self._remember(key, print_.digest)
            return Verdict(None)
        best, best_sim = None, 0.0
        keys = self._index.keys(sig)  # once, for the look-up and the insert
        for other in self._index.candidates(sig, keys):
            sim = float(np.mean(np.frombuffer(self._sigs[other], np.uint32) == sig))
            if sim >= self._threshold and (sim > best_sim or (sim == best_sim
                                                             and best is not None
                                                             and other < best)):
                best, best_sim = other, sim
        if best is not None:
            return Verdict("near", best, round(best_sim, 3))
        self._index.insert(key, sig, keys)
        self._sigs[key] = sig.tobytes()
        self._remember(key, print_.digest)
        return Verdict(None)

    def _remember(self, key: str, digest: bytes) -> None:
        self._exact[digest] = key
        self._order.append((key, digest))
        if len(self._order) > self._window:
            old, old_digest = self._order.popleft()
            if self._exact.get(old_digest) == old:
                del self._exact[old_digest]
            old_sig = self._sigs.pop(old, None)
            if old_sig is not None and self._index is not None:
                self._index.remove(old, np.frombuffer(old_sig, np.uint32))

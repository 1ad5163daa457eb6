"""Load the real crowdsourcing datasets (and make synthetic ones) as plain integer arrays.

The datasets live outside the repository, in ``../shared/datasets/crowd`` next to the repo
root (override with the environment variable ``DATAFAB_DATASETS``, which points at the folder
holding ``d_product/``, ``s_rel/`` …). They are research data for benchmarks and tests only and
must never be copied into the repository.

Usage::

    from crowd_data import load, names
    ds = load("d_product")
    ds.item, ds.worker, ds.label          # int64 codes, one row per recorded label, file order
    ds.truth                              # (n_items,) true class code, -1 where unknown

Repeated (item, worker) pairs (s_rel, s_adult) are kept as they are in the file: every row is
one label. Feed other libraries the same rows so comparisons are fair.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["CrowdDataset", "DatasetsMissing", "load", "names", "root", "synthetic"]

NUMERIC = frozenset({"n_emotion"})


class DatasetsMissing(FileNotFoundError):
    """The datasets folder is not where it was expected."""


@dataclass(frozen=True)
class CrowdDataset:
    """One crowdsourcing dataset as integer codes.

    ``item``, ``worker``, ``label`` are equal-length int64 arrays (one row per recorded label,
    in file order). ``truth`` has one entry per item: the true class code or -1 when unknown.
    For the numeric dataset (``n_emotion``) ``label`` holds the raw integer scores, ``values``
    and ``truth_values`` the floats, and ``n_classes`` is 0.
    """

    name: str
    item: np.ndarray
    worker: np.ndarray
    label: np.ndarray
    truth: np.ndarray
    item_names: np.ndarray
    worker_names: np.ndarray
    class_names: np.ndarray
    n_items: int
    n_workers: int
    n_classes: int
    numeric: bool = False
    values: np.ndarray | None = None
    truth_values: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    @property
    def n_labels(self) -> int:
        return int(self.item.size)

    @property
    def truth_dict(self) -> dict[int, int]:
        known = np.flatnonzero(self.truth >= 0)
        return dict(zip(known.tolist(), self.truth[known].tolist(), strict=True))

    def accuracy(self, predicted: np.ndarray) -> float:
        """Share of items with a known truth whose predicted code equals it."""
        known = self.truth >= 0
        return float(np.mean(np.asarray(predicted)[known] == self.truth[known]))


def root() -> Path:
    env = os.environ.get("DATAFAB_DATASETS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "crowd"


def names(*, include_numeric: bool = False) -> list[str]:
    """Names of the datasets present, sorted (the numeric one only when asked)."""
    base = root()
    if not base.is_dir():
        return []
    found = sorted(p.name for p in base.iterdir() if (p / "answers.csv").is_file())
    return [n for n in found if include_numeric or n not in NUMERIC]


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        next(reader)  # header
        return [row for row in reader if row]


def load(name: str) -> CrowdDataset:
    """Load dataset ``name`` (see :func:`names`) from :func:`root`."""
    folder = root() / name
    if not (folder / "answers.csv").is_file():
        available = ", ".join(names(include_numeric=True)) or "none"
        raise DatasetsMissing(f"no dataset {name!r} under {root()} (available: {available})")
    rows = _read(folder / "answers.csv")
    truth_rows = _read(folder / "truth.csv")
    items = np.array([r[0] for r in rows])
    workers = np.array([r[1] for r in rows])
    raw = np.array([int(r[2]) for r in rows], dtype=np.int64)
    item_names, item = np.unique(items, return_inverse=True)
    worker_names, worker = np.unique(workers, return_inverse=True)
    index = {n: i for i, n in enumerate(item_names.tolist())}
    numeric = name in NUMERIC
    truth = np.full(item_names.size, -1, dtype=np.int64)
    extra = {"truth_rows": len(truth_rows), "truth_without_answers": 0}
    if numeric:
        truth_values = np.full(item_names.size, np.nan)
        for it, value in truth_rows:
            if it in index:
                truth_values[index[it]] = float(value)
        return CrowdDataset(
            name=name,
            item=item.astype(np.int64),
            worker=worker.astype(np.int64),
            label=raw,
            truth=truth,
            item_names=item_names,
            worker_names=worker_names,
            class_names=np.array([]),
            n_items=item_names.size,
            n_workers=worker_names.size,
            n_classes=0,
            numeric=True,
            values=raw.astype(float),
            truth_values=truth_values,
            extra=extra,
        )
    truth_raw = np.array([int(v) for _, v in truth_rows], dtype=np.int64)
    class_names, label = np.unique(np.concatenate([raw, truth_raw]), return_inverse=True)
    label = label[: raw.size]
    truth_code = np.searchsorted(class_names, truth_raw)
    for (it, _), code in zip(truth_rows, truth_code.tolist(), strict=True):
        if it in index:
            truth[index[it]] = code
        else:
            extra["truth_without_answers"] += 1
    return CrowdDataset(
        name=name,
        item=item.astype(np.int64),
        worker=worker.astype(np.int64),
        label=label.astype(np.int64),
        truth=truth,
        item_names=item_names,
        worker_names=worker_names,
        class_names=class_names,
        n_items=item_names.size,
        n_workers=worker_names.size,
        n_classes=class_names.size,
        extra=extra,
    )


def synthetic(
    n_items: int = 1_000_000,
    n_workers: int = 5_000,
    n_classes: int = 4,
    labels_per_item: int = 5,
    *,
    seed: int = 0,
) -> CrowdDataset:
    """A Dawid–Skene-style synthetic dataset with known truth.

    Class prior drawn from Dirichlet(2); each worker has a confusion matrix whose diagonal
    (accuracy) is drawn from Beta(4, 2) (mean 0.67, some spammers), the rest of each row
    spread by Dirichlet(1). Each item gets ``labels_per_item`` distinct-ish workers drawn
    uniformly. Rows are ordered by item.
    """
    rng = np.random.default_rng(seed)
    k = n_classes
    prior = rng.dirichlet(np.full(k, 2.0))
    truth = rng.choice(k, size=n_items, p=prior)
    acc = rng.beta(4.0, 2.0, size=n_workers)
    off = rng.dirichlet(np.ones(k - 1), size=(n_workers, k))  # (W, K, K-1)
    conf = np.empty((n_workers, k, k))
    for c in range(k):
        others = [j for j in range(k) if j != c]
        conf[:, c, c] = acc
        conf[:, c, others] = (1.0 - acc)[:, None] * off[:, c, :]
    item = np.repeat(np.arange(n_items, dtype=np.int64), labels_per_item)
    worker = rng.integers(0, n_workers, size=item.size, dtype=np.int64)
    cum = np.cumsum(conf, axis=2)
    rows = cum[worker, truth[item]]  # (N, K)
    u = rng.random(item.size)[:, None]
    label = np.minimum((u > rows).sum(axis=1), k - 1).astype(np.int64)
    return CrowdDataset(
        name=f"synthetic_{item.size}",
        item=item,
        worker=worker,
        label=label,
        truth=truth.astype(np.int64),
        item_names=np.arange(n_items),
        worker_names=np.arange(n_workers),
        class_names=np.arange(k),
        n_items=n_items,
        n_workers=n_workers,
        n_classes=k,
        extra={"confusions": conf, "prior": prior},
    )

"""Input checking shared by the estimators: plain arrays in, clear ``ValueError`` out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

GoldLike = Mapping[int, int] | tuple[Any, Any] | None
#: Validated gold: (items, classes), two int64 arrays.
Gold = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Labels:
    """Validated labels: int64 codes and the counts they live in."""

    item: np.ndarray
    worker: np.ndarray
    label: np.ndarray
    n_items: int
    n_workers: int
    n_classes: int

    @property
    def n_labels(self) -> int:
        return int(self.item.size)

    def items_with_labels(self) -> np.ndarray:
        """Boolean mask (n_items,) of items that received at least one label."""
        return np.bincount(self.item, minlength=self.n_items) > 0


def as_codes(values: Any, name: str) -> np.ndarray:
    """A 1-D array of non-negative integer codes, as int64."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    if arr.size == 0:
        return arr.astype(np.int64)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer codes, got dtype {arr.dtype}")
    if arr.min() < 0:
        raise ValueError(f"{name} must be non-negative codes, found {int(arr.min())}")
    return arr.astype(np.int64, copy=False)


def count(value: int | None, codes: np.ndarray, name: str, codes_name: str) -> int:
    """``value`` when given (checked against the codes), else ``max(codes) + 1``."""
    top = int(codes.max()) + 1 if codes.size else 0
    if value is None:
        return top
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    if top > value:
        raise ValueError(f"{codes_name} holds code {top - 1}, which is not below {name}={value}")
    return int(value)


def check_labels(
    item: Any,
    worker: Any,
    label: Any,
    *,
    n_items: int | None = None,
    n_workers: int | None = None,
    n_classes: int | None = None,
) -> Labels:
    """Validate the three label arrays (equal length, integer, non-negative, within counts)."""
    it = as_codes(item, "item")
    wk = as_codes(worker, "worker")
    lb = as_codes(label, "label")
    if not (it.size == wk.size == lb.size):
        raise ValueError(
            f"item, worker and label must have equal lengths, got {it.size}, {wk.size}, {lb.size}"
        )
    ni = count(n_items, it, "n_items", "item")
    nw = count(n_workers, wk, "n_workers", "worker")
    nc = count(n_classes, lb, "n_classes", "label")
    if nc == 0:
        raise ValueError("n_classes is needed when there are no labels")
    return Labels(it, wk, lb, ni, nw, nc)


def check_gold(gold: GoldLike, n_items: int, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gold as two int64 arrays (items, classes): from a dict or a pair of arrays."""
    if gold is None:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    if isinstance(gold, Mapping):
        keys, vals = list(gold.keys()), list(gold.values())
        items = np.asarray(keys, dtype=np.int64) if keys else np.zeros(0, np.int64)
        classes = np.asarray(vals, dtype=np.int64) if vals else np.zeros(0, np.int64)
        if keys and not all(isinstance(k, int | np.integer) for k in keys):
            raise ValueError("gold keys must be integer item codes")
        if vals and not all(isinstance(v, int | np.integer) for v in vals):
            raise ValueError("gold values must be integer class codes")
    elif isinstance(gold, tuple) and len(gold) == 2:
        items = as_codes(gold[0], "gold items")
        classes = as_codes(gold[1], "gold classes")
        if items.size != classes.size:
            raise ValueError(
                f"gold items and classes must have equal lengths, got {items.size}, {classes.size}"
            )
    else:
        raise ValueError("gold must be a dict {item: class} or a pair (items, classes)")
    if items.size:
        if items.min() < 0 or items.max() >= n_items:
            raise ValueError(f"gold items must be in [0, n_items={n_items})")
        if classes.min() < 0 or classes.max() >= n_classes:
            raise ValueError(f"gold classes must be in [0, n_classes={n_classes})")
        if np.unique(items).size != items.size:
            raise ValueError("gold lists an item more than once")
    return items, classes


def check_positive(value: float, name: str, *, allow_zero: bool = False) -> float:
    v = float(value)
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a {bound} finite number, got {value!r}")
    return v


def check_iterations(n_iter: int, tol: float) -> None:
    if isinstance(n_iter, bool) or not isinstance(n_iter, int | np.integer) or n_iter < 1:
        raise ValueError(f"n_iter must be a positive integer, got {n_iter!r}")
    check_positive(tol, "tol", allow_zero=True)

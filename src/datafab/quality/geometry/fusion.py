"""Consensus geometry: from k annotators' objects on one image, the fused objects.

Objects are matched across annotators (:func:`~.matching.match_objects`), then each cluster
is judged and fused with the annotators' weights (their measured skill):

* **presence** ``p`` — the share of the total weight of *all* the image's annotators (those
  who drew nothing too) whose object is in the cluster. The cluster is kept as an object when
  ``p > keep`` (default one half: a weighted majority says the object is there).
* **class** — voted by the project's estimator over the clusters (``weighted_majority_vote``
  uses the weights; a skill estimator such as ``dawid_skene`` learns them from the image).
* **shape** — boxes: the weighted mean of the members' corners, as Weighted Boxes Fusion
  does (Solovyev et al., "Weighted boxes fusion", Image and Vision Computing 2021) with the
  annotator's weight in place of the detector's score; polygons: a weighted vote of the
  members' rasterised masks, a cell kept when more than half the cluster's weight covers it,
  and its outline traced.
* **agreement** ``a`` — the weighted mean IoU of the members with the fused shape.
* **confidence** of an object ``p · P(class) · a``; of the whole image, the least certain
  decision: ``min`` over kept objects of their confidence and over dropped clusters of
  ``1 − p`` (1.0 when nobody drew anything).

Per annotator it counts **misses** (kept objects they did not draw), **false positives**
(their objects in dropped clusters) and **wrong classes** (their object in a kept cluster
with another class).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .matching import match_objects
from .outline import outline
from .shapes import RASTER_CELLS, bounding_box, box_iou, polygon_ious, raster_grid, rasterise


@dataclass(frozen=True)
class Consensus:
    """Clusters of one image: ``cluster`` (n objects,) maps each object to its cluster; the
    rest are per cluster (c,) or per annotator (k,)."""

    cluster: np.ndarray
    label: np.ndarray
    class_prob: np.ndarray
    presence: np.ndarray
    agreement: np.ndarray
    kept: np.ndarray
    misses: np.ndarray
    false_positives: np.ndarray
    wrong_class: np.ndarray

    @property
    def object_confidence(self) -> np.ndarray:
        out: np.ndarray = self.presence * self.class_prob * self.agreement
        return out

    @property
    def confidence(self) -> float:
        """The least certain keep/drop-and-class decision on the image."""
        kept = self.object_confidence[self.kept]
        dropped = 1.0 - self.presence[~self.kept]
        return float(min(np.min(kept, initial=1.0), np.min(dropped, initial=1.0)))


@dataclass(frozen=True)
class FusedBoxes:
    consensus: Consensus
    boxes: np.ndarray  # (c, 4) x, y, w, h per cluster


@dataclass(frozen=True)
class FusedPolygons:
    consensus: Consensus
    polygons: list[np.ndarray | None]  # per cluster: the fused outline, None if it vanished


def _check(owner: np.ndarray, labels: np.ndarray, weights: np.ndarray, n: int,
           n_classes: int) -> np.ndarray:
    if owner.shape != (n,) or labels.shape != (n,):
        raise ValueError(f"owner and labels must have one entry per object ({n})")
    if n and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must be class codes in [0, {n_classes})")
    if weights.ndim != 1 or not len(weights):
        raise ValueError("weights must list every annotator of the image")
    if not np.all(np.isfinite(weights)) or weights.min() < 0:
        raise ValueError("weights must be finite and non-negative")
    return weights if weights.sum() > 0 else np.ones_like(weights)


def vote_classes(cluster: np.ndarray, owner: np.ndarray, labels: np.ndarray,
                 weights: np.ndarray, n_clusters: int, n_classes: int,
                 method: str = "weighted_majority_vote") -> np.ndarray:
    """(c, n_classes) class posteriors of the clusters. Vote-based methods weigh each label
    by its annotator's weight; a skill estimator is fitted on the image's clusters."""
    from datafab.quality import SKILL_ESTIMATORS, estimator_name, get_estimator

    if estimator_name(method) in SKILL_ESTIMATORS and n_clusters:
        fitted = get_estimator(method)().fit(cluster, owner, labels, n_items=n_clusters,
                                             n_workers=len(weights), n_classes=n_classes)
        probas: np.ndarray = fitted.probas_
        return probas
    w = weights[owner] if method != "majority_vote" else np.ones(len(owner))
    votes = np.zeros((n_clusters, n_classes))
    np.add.at(votes, (cluster, labels), w)
    total = votes.sum(axis=1, keepdims=True)
    out: np.ndarray = np.divide(votes, total, out=np.full_like(votes, 1.0 / n_classes),
                                where=total > 0)
    return out


def _judge(owner: np.ndarray, cluster: np.ndarray, labels: np.ndarray, weights: np.ndarray,
           agreement: np.ndarray, n_classes: int, keep: float, method: str) -> Consensus:
    c, k = int(cluster.max(initial=-1)) + 1, len(weights)
    support = np.zeros(c)
    np.add.at(support, cluster, weights[owner])
    presence = support / weights.sum()
    post = vote_classes(cluster, owner, labels, weights, c, n_classes, method)
    label = post.argmax(axis=1) if c else np.zeros(0, dtype=np.int64)
    kept = presence > keep
    misses = np.full(k, int(kept.sum()))
    np.subtract.at(misses, owner[kept[cluster]], 1)
    false_positives = np.bincount(owner[~kept[cluster]], minlength=k)
    wrong = kept[cluster] & (labels != label[cluster])
    return Consensus(
        cluster=cluster, label=label, class_prob=post[np.arange(c), label],
        presence=presence, agreement=agreement, kept=kept, misses=misses,
        false_positives=false_positives, wrong_class=np.bincount(owner[wrong], minlength=k),
    )


def fuse_boxes(owner: np.ndarray, boxes: np.ndarray, labels: np.ndarray, weights: np.ndarray,
               n_classes: int, *, threshold: float = 0.5, keep: float = 0.5,
               method: str = "weighted_majority_vote") -> FusedBoxes:
    """Fuse the boxes ``boxes`` (n, 4: x, y, w, h) drawn by annotators ``owner`` (n,) with
    class codes ``labels`` (n,); ``weights`` (k,) holds each annotator's weight."""
    owner = np.asarray(owner, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    w = _check(owner, labels, np.asarray(weights, dtype=np.float64), len(boxes), n_classes)
    cluster = match_objects(owner, box_iou(boxes, boxes), w, threshold)
    c = int(cluster.max(initial=-1)) + 1
    corners = np.column_stack([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]])
    ow = w[owner] + 1e-12
    mass = np.zeros(c)
    np.add.at(mass, cluster, ow)
    fused = np.zeros((c, 4))
    np.add.at(fused, cluster, corners * ow[:, None])
    fused /= mass[:, None]
    fused[:, 2:] -= fused[:, :2]
    fit = box_iou(boxes, fused)[np.arange(len(boxes)), cluster] if c else np.zeros(0)
    agreement = np.zeros(c)
    np.add.at(agreement, cluster, fit * ow)
    agreement /= np.where(mass > 0, mass, 1.0)
    return FusedBoxes(_judge(owner, cluster, labels, w, agreement, n_classes, keep, method),
                      fused)


def fuse_polygons(owner: np.ndarray, polygons: Sequence[Sequence[np.ndarray]],
                  labels: np.ndarray, weights: np.ndarray, n_classes: int, *,
                  threshold: float = 0.5, keep: float = 0.5,
                  method: str = "weighted_majority_vote",
                  cells: int = RASTER_CELLS) -> FusedPolygons:
    """Fuse ``polygons`` (each a list of rings: outline, then holes) drawn by ``owner`` with
    class codes ``labels``; ``weights`` (k,) holds each annotator's weight. The fused shape is
    the outline of the cells more than half of the cluster's weight covers."""
    owner = np.asarray(owner, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    w = _check(owner, labels, np.asarray(weights, dtype=np.float64), len(polygons), n_classes)
    cluster = match_objects(owner, polygon_ious(polygons, cells), w, threshold)
    c = int(cluster.max(initial=-1)) + 1
    shapes: list[np.ndarray | None] = []
    agreement = np.zeros(c)
    for j in range(c):
        members = np.flatnonzero(cluster == j).tolist()
        box = bounding_box([ring for m in members for ring in polygons[m]])
        xs, ys = raster_grid(box, cells)
        masks = np.array([rasterise(polygons[m], xs, ys) for m in members])
        mw = w[owner[members]] + 1e-12
        vote = np.tensordot(mw, masks, axes=1) > 0.5 * mw.sum()
        step = max(float(box[2]), float(box[3]), 1e-9) / cells  # as raster_grid lays it
        shapes.append(outline(vote, float(xs[0] - step / 2), float(ys[0] - step / 2),
                              float(step)))
        inter = (masks & vote).sum(axis=(1, 2))
        union = (masks | vote).sum(axis=(1, 2))
        fit = np.divide(inter, union, out=np.zeros(len(members)), where=union > 0)
        agreement[j] = float(np.dot(fit, mw) / mw.sum())
    return FusedPolygons(_judge(owner, cluster, labels, w, agreement, n_classes, keep, method),
                         shapes)

"""Consensus geometry on cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from datafab.quality.geometry import (
    box_iou,
    fuse_boxes,
    fuse_polygons,
    match_objects,
    polygon_area,
    polygon_iou,
    self_intersection,
)

SQUARE = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], dtype=float)


def test_box_iou_by_hand():
    iou = box_iou([[0, 0, 10, 10], [5, 5, 10, 10], [20, 20, 1, 1]], [[0, 0, 10, 10]])
    # 5×5 overlap of two 100-pixel boxes: 25 / 175
    assert iou[:, 0] == pytest.approx([1.0, 25 / 175, 0.0])
    assert box_iou([[0, 0, 0, 5]], [[0, 0, 0, 5]])[0, 0] == 0.0  # no area, no overlap


def test_polygon_iou_close_to_exact():
    assert polygon_area(SQUARE) == 100.0
    assert polygon_iou([SQUARE], [SQUARE + 5]) == pytest.approx(25 / 175, abs=0.02)
    triangle = np.array([[0, 0], [10, 0], [0, 10]], dtype=float)
    assert polygon_iou([SQUARE], [triangle]) == pytest.approx(0.5, abs=0.03)
    assert polygon_iou([SQUARE], [SQUARE + 50]) == 0.0
    # a hole of a quarter of the square: the ring subtracts
    hole = np.array([[0, 0], [5, 0], [5, 5], [0, 5]], dtype=float)
    assert polygon_iou([SQUARE, hole], [SQUARE]) == pytest.approx(0.75, abs=0.02)


def test_self_intersection():
    assert self_intersection(SQUARE) is None
    bowtie = np.array([[0, 0], [10, 10], [10, 0], [0, 10]], dtype=float)
    assert self_intersection(bowtie) == (0, 2)
    # a vertex touching another edge counts as crossing
    touching = np.array([[0, 0], [10, 0], [10, 10], [5, 0], [0, 10]], dtype=float)
    assert self_intersection(touching) is not None


def test_matching_pairs_one_object_per_annotator_per_cluster():
    boxes = np.array([[0, 0, 10, 10], [100, 0, 10, 10],      # annotator 0
                      [101, 1, 10, 10], [1, 0, 10, 10],      # annotator 1, listed the other way
                      [0, 0, 10, 10], [300, 300, 5, 5]],     # annotator 2
                     dtype=float)
    owner = np.array([0, 0, 1, 1, 2, 2])
    cluster = match_objects(owner, box_iou(boxes, boxes), np.ones(3))
    assert cluster.tolist() == [0, 1, 1, 0, 0, 2]
    # the same objects listed in another order fall into the same partition
    perm = np.array([5, 3, 1, 4, 0, 2])
    again = match_objects(owner[perm], box_iou(boxes[perm], boxes[perm]), np.ones(3))
    assert _partition(again, perm) == _partition(cluster, np.arange(6))


def test_matching_refuses_a_pair_under_the_threshold():
    boxes = np.array([[0, 0, 10, 10], [5, 5, 10, 10]], dtype=float)
    cluster = match_objects(np.array([0, 1]), box_iou(boxes, boxes), np.ones(2), 0.5)
    assert cluster.tolist() == [0, 1]
    cluster = match_objects(np.array([0, 1]), box_iou(boxes, boxes), np.ones(2), 0.1)
    assert cluster.tolist() == [0, 0]


def _partition(cluster: np.ndarray, ids: np.ndarray) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for c, i in zip(cluster.tolist(), ids.tolist(), strict=True):
        groups.setdefault(c, set()).add(i)
    return {frozenset(g) for g in groups.values()}


def test_box_fusion_weighs_by_skill_and_counts_errors():
    # two careful annotators agree; a careless one is off and adds a spurious box
    owner = np.array([0, 1, 2, 2])
    boxes = np.array([[10, 10, 20, 20], [10, 10, 20, 20], [12, 12, 20, 20], [200, 200, 9, 9]])
    labels = np.array([0, 0, 1, 1])
    fused = fuse_boxes(owner, boxes, labels, np.array([1.0, 1.0, 0.5]), n_classes=2)
    con = fused.consensus
    assert con.cluster.tolist() == [0, 0, 0, 1]
    # corners: (10·1 + 10·1 + 12·0.5) / 2.5 = 10.4 for the top-left, 30.4 for the bottom-right
    assert fused.boxes[0] == pytest.approx([10.4, 10.4, 20.0, 20.0])
    assert con.kept.tolist() == [True, False]
    assert con.presence == pytest.approx([1.0, 0.2])
    assert con.label[0] == 0 and con.class_prob[0] == pytest.approx(2 / 2.5)
    assert con.false_positives.tolist() == [0, 0, 1]
    assert con.wrong_class.tolist() == [0, 0, 1]
    assert con.misses.tolist() == [0, 0, 0]
    assert 0 < con.confidence <= con.object_confidence[0] < 1


def test_a_missed_object_is_counted_against_who_missed_it():
    owner = np.array([0, 1])
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10]])
    con = fuse_boxes(owner, boxes, np.array([0, 0]), np.ones(3), n_classes=1).consensus
    assert con.kept.tolist() == [True]
    assert con.misses.tolist() == [0, 0, 1]
    assert con.presence[0] == pytest.approx(2 / 3)


def test_skill_weights_decide_against_a_careless_majority():
    # two unskilled annotators draw a box nobody else sees; a skilled one draws nothing
    owner = np.array([0, 1])
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10]])
    weights = np.array([0.1, 0.1, 0.9])
    assert not fuse_boxes(owner, boxes, np.zeros(2, int), weights, 1).consensus.kept[0]
    assert fuse_boxes(owner, boxes, np.zeros(2, int), np.ones(3), 1).consensus.kept[0]


def test_class_vote_with_a_skill_estimator():
    rng = np.random.default_rng(3)
    n, k = 12, 4
    owner = np.repeat(np.arange(k), n)
    centres = np.tile(np.column_stack([np.arange(n) * 50.0, np.zeros(n)]), (k, 1))
    boxes = np.column_stack([centres + rng.normal(0, 0.5, centres.shape), np.full((n * k, 2), 20)])
    truth = np.arange(n) % 3
    labels = np.tile(truth, k)
    labels[owner == 3] = (labels[owner == 3] + 1) % 3  # one annotator always wrong
    fused = fuse_boxes(owner, boxes, labels, np.ones(k), 3, method="dawid_skene")
    assert fused.consensus.label.tolist() == truth.tolist()
    assert fused.consensus.wrong_class.tolist() == [0, 0, 0, n]


def test_nobody_drew_anything():
    fused = fuse_boxes(np.zeros(0, int), np.zeros((0, 4)), np.zeros(0, int), np.ones(2), 3)
    assert fused.boxes.shape == (0, 4)
    assert fused.consensus.confidence == 1.0
    assert fused.consensus.misses.tolist() == [0, 0]


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="class codes"):
        fuse_boxes(np.array([0]), np.array([[0, 0, 1, 1]]), np.array([5]), np.ones(1), 2)
    with pytest.raises(ValueError, match="annotator index"):
        fuse_boxes(np.array([3]), np.array([[0, 0, 1, 1]]), np.array([0]), np.ones(1), 2)
    with pytest.raises(ValueError, match="non-negative"):
        fuse_boxes(np.array([0]), np.array([[0, 0, 1, 1]]), np.array([0]), -np.ones(1), 2)


def test_polygon_fusion_by_raster_vote():
    # three squares shifted 0, 1 and 2 pixels: the majority covers [1, 11] on each axis
    polygons = [[SQUARE], [SQUARE + 1], [SQUARE + 2], [SQUARE + 100]]
    owner = np.array([0, 1, 2, 2])
    fused = fuse_polygons(owner, polygons, np.zeros(4, int), np.ones(3), 1)
    con = fused.consensus
    assert con.cluster.tolist() == [0, 0, 0, 1]
    assert con.kept.tolist() == [True, False]
    shape = fused.polygons[0]
    assert shape is not None
    assert polygon_iou([shape], [SQUARE + 1]) > 0.95
    assert polygon_area(shape) == pytest.approx(100, rel=0.05)
    assert self_intersection(shape) is None
    assert con.false_positives.tolist() == [0, 0, 1]


def test_polygon_fusion_follows_the_weights():
    # a heavy annotator's triangle beats two light squares
    triangle = np.array([[0, 0], [10, 0], [0, 10]], dtype=float)
    fused = fuse_polygons(np.array([0, 1]), [[SQUARE], [triangle]], np.zeros(2, int),
                          np.array([0.2, 1.0]), 1, threshold=0.3)
    shape = fused.polygons[0]
    assert shape is not None
    assert polygon_iou([shape], [triangle]) > 0.9

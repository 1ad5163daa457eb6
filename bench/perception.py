"""Perception consensus: simulated annotators boxing simulated images, scored with
pycocotools against the truth.

Each image (640 × 480) holds 1 to 20 objects of 5 classes, sizes spread log-uniformly from
8 to 200 pixels. Five annotators box every image, with the error modes real crowds show:
corner jitter (a few percent of the object's size), small objects missed more often than
large ones, spurious boxes, and class confusions; one of the five is careless (large
jitter, many misses, many spurious boxes, a third of the classes wrong). The first
``--gold`` images are gold: each annotator's gold accuracy there (an answer is right when
its F1 at IoU 0.5 reaches 0.8) gives their weight, smoothed as the line does it
((right + 1) / (seen + 2)).

On the other images, COCOeval's mAP at IoU 0.5 of:

* ``consensus`` — ``quality.geometry.fuse_boxes`` with the weights, each kept box scored
  by its confidence;
* ``best_single`` — the best annotator alone (every box scored 1);
* ``naive_mean`` — the same matching with equal weights, the plain mean of the matched
  boxes, kept by plain majority and scored by the share of annotators who drew it.

``fuse_ms_per_image`` is the mean time of one ``fuse_boxes`` call on images with 5
annotators × 20 objects each.

    .venv/bin/python bench/perception.py                  # 3000 images
    .venv/bin/python bench/perception.py --images 500     # quicker
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from datafab.quality.geometry import box_iou, count_matches, f1, fuse_boxes

WIDTH, HEIGHT, CLASSES = 640, 480, 5
ANNOTATORS = [  # jitter (share of size), miss small, miss large, spurious per image, confusion
    (0.03, 0.35, 0.04, 0.2, 0.05),
    (0.04, 0.30, 0.05, 0.3, 0.06),
    (0.05, 0.40, 0.06, 0.3, 0.08),
    (0.04, 0.25, 0.03, 0.4, 0.05),
    (0.18, 0.60, 0.25, 2.5, 0.35),  # careless
]


def make_truth(rng: np.random.Generator, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    images = []
    for _ in range(n):
        k = int(rng.integers(1, 21))
        side = np.exp(rng.uniform(np.log(8), np.log(200), (k, 2)))
        x = rng.uniform(0, WIDTH - side[:, 0])
        y = rng.uniform(0, HEIGHT - side[:, 1])
        images.append((np.column_stack([x, y, side]), rng.integers(0, CLASSES, k)))
    return images


def annotate(rng: np.random.Generator, boxes: np.ndarray, labels: np.ndarray,
             who: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    jitter, miss_small, miss_large, spurious, confusion = who
    area = boxes[:, 2] * boxes[:, 3]
    keep = rng.random(len(boxes)) >= np.where(area < 32 * 32, miss_small, miss_large)
    b, lab = boxes[keep].copy(), labels[keep].copy()
    corners = np.column_stack([b[:, :2], b[:, :2] + b[:, 2:]])
    size = np.column_stack([b[:, 2], b[:, 3], b[:, 2], b[:, 3]])
    corners += rng.normal(0, jitter, corners.shape) * size
    corners[:, [0, 2]] = np.clip(corners[:, [0, 2]], 0, WIDTH)
    corners[:, [1, 3]] = np.clip(corners[:, [1, 3]], 0, HEIGHT)
    x1, x2 = np.minimum(corners[:, 0], corners[:, 2]), np.maximum(corners[:, 0], corners[:, 2])
    y1, y2 = np.minimum(corners[:, 1], corners[:, 3]), np.maximum(corners[:, 1], corners[:, 3])
    b = np.column_stack([x1, y1, np.maximum(x2 - x1, 1), np.maximum(y2 - y1, 1)])
    wrong = rng.random(len(lab)) < confusion
    lab[wrong] = (lab[wrong] + rng.integers(1, CLASSES, int(wrong.sum()))) % CLASSES
    extra = int(rng.poisson(spurious))
    if extra:
        side = np.exp(rng.uniform(np.log(8), np.log(120), (extra, 2)))
        ghost = np.column_stack([rng.uniform(0, WIDTH - side[:, 0]),
                                 rng.uniform(0, HEIGHT - side[:, 1]), side])
        b = np.concatenate([b, ghost])
        lab = np.concatenate([lab, rng.integers(0, CLASSES, extra)])
    return b, lab


def gold_weights(truth, drawn, gold: int) -> np.ndarray:
    right = np.zeros(len(ANNOTATORS))
    for i in range(gold):
        boxes, labels = truth[i]
        for a, (b, lab) in enumerate(drawn[i]):
            same = lab[:, None] == labels[None, :]
            matched = count_matches(box_iou(b, boxes), same, 0.5)
            right[a] += f1(matched, len(b), len(boxes)) >= 0.8
    return (right + 1) / (gold + 2)


def coco_map50(truth, detections, image_ids) -> float:
    gt = {"images": [{"id": i, "width": WIDTH, "height": HEIGHT} for i in image_ids],
          "categories": [{"id": c + 1, "name": str(c)} for c in range(CLASSES)],
          "annotations": []}
    for i in image_ids:
        boxes, labels = truth[i]
        for b, c in zip(boxes.tolist(), labels.tolist(), strict=True):
            gt["annotations"].append({"id": len(gt["annotations"]) + 1, "image_id": i,
                                      "category_id": c + 1, "bbox": b, "area": b[2] * b[3],
                                      "iscrowd": 0})
    with contextlib.redirect_stdout(io.StringIO()):
        api = COCO()
        api.dataset = gt
        api.createIndex()
        if not detections:
            return 0.0
        dets = api.loadRes(detections)
        run = COCOeval(api, dets, "bbox")
        run.params.imgIds = list(image_ids)
        run.params.maxDets = [1, 10, 100]
        run.evaluate()
        run.accumulate()
        run.summarize()
    return float(run.stats[1])


def fused(drawn_one, weights, method="weighted_majority_vote"):
    owner = np.concatenate([np.full(len(b), a) for a, (b, _) in enumerate(drawn_one)])
    boxes = np.concatenate([b for b, _ in drawn_one])
    labels = np.concatenate([lab for _, lab in drawn_one])
    return fuse_boxes(owner, boxes, labels, weights, CLASSES, method=method)


def detections_of(i, result, score_of) -> list[dict]:
    con = result.consensus
    score = score_of(con)
    return [{"image_id": i, "category_id": int(con.label[j]) + 1,
             "bbox": result.boxes[j].tolist(), "score": float(score[j])}
            for j in np.flatnonzero(con.kept)]


def fuse_timing(rng: np.random.Generator, n: int = 300) -> float:
    images = []
    for _ in range(n):
        side = np.exp(rng.uniform(np.log(8), np.log(200), (20, 2)))
        boxes = np.column_stack([rng.uniform(0, WIDTH - side[:, 0]),
                                 rng.uniform(0, HEIGHT - side[:, 1]), side])
        labels = rng.integers(0, CLASSES, 20)
        images.append([annotate(rng, boxes, labels, (0.04, 0.0, 0.0, 0.0, 0.05))
                       for _ in range(5)])
    weights = np.ones(5)
    started = time.perf_counter()
    for drawn_one in images:
        fused(drawn_one, weights)
    return (time.perf_counter() - started) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--gold", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    truth = make_truth(rng, args.images)
    drawn = [[annotate(rng, b, lab, who) for who in ANNOTATORS] for b, lab in truth]
    weights = gold_weights(truth, drawn, args.gold)
    scored = range(args.gold, args.images)

    consensus, naive = [], []
    singles: list[list[dict]] = [[] for _ in ANNOTATORS]
    for i in scored:
        consensus += detections_of(i, fused(drawn[i], weights), lambda c: c.object_confidence)
        naive += detections_of(i, fused(drawn[i], np.ones(len(ANNOTATORS)), "majority_vote"),
                               lambda c: c.presence)
        for a, (b, lab) in enumerate(drawn[i]):
            singles[a] += [{"image_id": i, "category_id": int(c) + 1, "bbox": box.tolist(),
                            "score": 1.0} for box, c in zip(b, lab, strict=True)]
    single_maps = [coco_map50(truth, s, scored) for s in singles]
    result = {
        "consensus_map50": coco_map50(truth, consensus, scored),
        "best_single_map50": max(single_maps),
        "naive_mean_map50": coco_map50(truth, naive, scored),
        "fuse_ms_per_image": fuse_timing(rng),
    }
    print("annotators' mAP@0.5:", " ".join(f"{m:.3f}" for m in single_maps),
          "| weights:", " ".join(f"{w:.2f}" for w in weights))
    print("RESULT " + " ".join(f"{k}={v:.3f}" for k, v in result.items())
          + f" images={args.images} gold={args.gold}")


if __name__ == "__main__":
    main()

"""A detector that runs in-process, with no network: OpenCV's bundled Haar cascades (faces,
full bodies, licence plates) and its HOG people detector (the optional ``detector`` extra).
It proposes boxes like a vision model does, each with the project's label chosen by a
mapping from what it detects (``{"face": "person"}``).

The mapping is the backend's ``labels`` option, or its model name written as
``face=person,plate=plate`` (so ``datafab worker --backend local --model face=person``
needs nothing more); a bare model name maps each detector named like a project label to it.
It reads only the images given to it as files (an upload, a file under the media folder:
the worker hands them over as ``data:`` URLs), never a web address.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import numpy as np

from datafab.errors import InvalidInput
from datafab.models.base import Backend, Job, MalformedAnswer, ModelAnswer, Usage

EXTRA = "pip install 'datafab[detector]'"

#: What the detector finds: a Haar cascade's file, or ``hog`` for the HOG people detector.
DETECTORS = {
    "face": "haarcascade_frontalface_default.xml",
    "body": "haarcascade_fullbody.xml",
    "plate": "haarcascade_russian_plate_number.xml",
    "people": "hog",
}


def parse_labels(spec: str) -> dict[str, str]:
    """``face=person,plate=plate`` as a mapping; an unknown detector is refused."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        found, _, label = part.partition("=")
        out[found.strip()] = label.strip() or found.strip()
    return out


def _cv2() -> Any:
    try:
        import cv2
    except ImportError as exc:
        raise InvalidInput(f"backend: the local detector needs OpenCV ({EXTRA})",
                           field="backend") from exc
    return cv2


class LocalDetector(Backend):
    """Boxes from OpenCV's classic detectors, in-process. Options: ``labels`` (what is
    detected → the project's label), ``min_size`` (pixels; 24); endpoint options (a base
    URL, a key, prices) are not used."""

    name = "local"

    def __init__(self, model: str = "local", labels: dict[str, str] | None = None,
                 min_size: int = 24, **_endpoint: Any) -> None:
        self.model = model
        self.labels = dict(labels) if labels is not None else (
            parse_labels(model) if "=" in model else {})
        unknown = sorted(set(self.labels) - set(DETECTORS))
        if unknown:
            raise InvalidInput(f"labels: no local detector for {unknown[0]!r} "
                             f"(there are {', '.join(DETECTORS)})", field="labels")
        self.min_size = min_size
        self._cv2 = _cv2()
        self._loaded: dict[str, Any] = {}

    def answer(self, job: Job) -> ModelAnswer:
        started = time.perf_counter()
        if job.primitive != "boxes":
            raise MalformedAnswer(f"the local detector proposes boxes, not {job.primitive}")
        image = self._image(job.image)
        project_labels = set(job.settings.get("labels") or [])
        mapping = self.labels or {d: d for d in DETECTORS if d in project_labels}
        boxes: list[dict[str, Any]] = []
        for found, label in mapping.items():
            if label not in project_labels:
                continue
            for x, y, w, h in self._detect(found, image):
                boxes.append(_box(label, x, y, w, h, image.shape))
        seconds = time.perf_counter() - started
        return ModelAnswer({"boxes": [b for b in boxes if b["w"] > 0 and b["h"] > 0]},
                           confidence=None, usage=Usage(self.model, calls=1, seconds=seconds))

    def _image(self, url: str | None) -> np.ndarray:
        if not url or not url.startswith("data:") or ";base64," not in url:
            raise MalformedAnswer("the local detector reads only files (uploads or the media "
                                  "folder), not web addresses")
        raw = np.frombuffer(base64.b64decode(url.split(";base64,", 1)[1]), dtype=np.uint8)
        image = self._cv2.imdecode(raw, self._cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise MalformedAnswer("the image could not be decoded")
        return np.asarray(image)

    def _detect(self, found: str, gray: np.ndarray) -> list[tuple[int, int, int, int]]:
        cv2 = self._cv2
        if found not in self._loaded:
            source = DETECTORS[found]
            if source == "hog":
                hog = cv2.HOGDescriptor()
                hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
                self._loaded[found] = hog
            else:
                self._loaded[found] = cv2.CascadeClassifier(cv2.data.haarcascades + source)
        detector = self._loaded[found]
        if DETECTORS[found] == "hog":
            rects, _ = detector.detectMultiScale(gray, winStride=(8, 8), scale=1.05)
        else:
            rects = detector.detectMultiScale(cv2.equalizeHist(gray), scaleFactor=1.1,
                                              minNeighbors=5,
                                              minSize=(self.min_size, self.min_size))
        return [tuple(int(v) for v in r) for r in rects]  # type: ignore[misc]


def _box(label: str, x: int, y: int, w: int, h: int,
         shape: tuple[int, ...]) -> dict[str, Any]:
    """A detection as a box clipped to the image."""
    height, width = shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + w), min(height, y + h)
    return {"label": label, "x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0}

"""The built-in learner: a text classifier trained on the project's own confident records,
needing no model server.

Features are TF-IDF word and bigram weights (or, with the ``embeddings`` extra, sentence
embeddings); the classifier is a logistic regression whose probabilities are calibrated by
``CalibratedClassifierCV`` (Platt scaling on few records, isotonic regression once there are
``ISOTONIC_FROM`` or more), so its stated confidence can be routed on. It learns only from
records people made (never from records accepted on a model's own answer), read with the
requester's key through the REST API, and retrains in a background thread whenever
``retrain_every`` new records have arrived. Until it has ``min_records`` records of at least
two labels it is not ``ready``: a model worker trains it first and leases nothing while it
cannot answer, so no item is taken from the model only to be given up.

Needs scikit-learn: ``pip install 'datafab[learner]'``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from datafab.models.base import Backend, Job, ModelAnswer, ModelError, ModelUnavailable, Usage
from datafab.sdk.client import ApiError, Client

ISOTONIC_FROM = 1_000  # records from which isotonic calibration replaces Platt's sigmoid


def item_text(data: dict[str, Any]) -> str:
    """The text the learner reads from an item: its ``text``, else its JSON."""
    if isinstance(data.get("text"), str):
        return data["text"]
    import json

    return json.dumps(data, sort_keys=True, ensure_ascii=False)


class TextClassifier:
    """TF-IDF (or embeddings) + calibrated logistic regression over labelled texts."""

    def __init__(self, *, features: str = "tfidf", embedding_model: str | None = None,
                 c: float = 4.0) -> None:
        if features not in ("tfidf", "embeddings"):
            raise ValueError("features must be 'tfidf' or 'embeddings'")
        self.features, self.embedding_model, self.c = features, embedding_model, c
        self.classes_: np.ndarray | None = None
        self._pipeline: Any = None  # a fitted scikit-learn pipeline (untyped)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TextClassifier:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        y = np.asarray(labels)
        classes, counts = np.unique(y, return_counts=True)
        if classes.size < 2:
            raise ValueError("need records of at least two labels")
        folds = int(min(3, counts.min()))
        if folds < 2:
            raise ValueError("need at least two records of every label")
        method = "isotonic" if len(y) >= ISOTONIC_FROM else "sigmoid"
        classifier = CalibratedClassifierCV(
            LogisticRegression(C=self.c, max_iter=500), method=method, cv=folds
        )
        with _one_blas_thread():
            self._pipeline = make_pipeline(self._vectorizer(), classifier).fit(list(texts), y)
        self.classes_ = self._pipeline.classes_
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self._pipeline is None:
            raise ValueError("the classifier is not trained")
        with _one_blas_thread():
            return self._pipeline.predict_proba(list(texts))

    def _vectorizer(self):
        if self.features == "tfidf":
            from sklearn.feature_extraction.text import TfidfVectorizer

            return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=50_000)
        return _Embedder(self.embedding_model or "sentence-transformers/all-MiniLM-L6-v2")


def _one_blas_thread():
    """Small fits in a worker that shares its cores: BLAS threads only fight each other
    (measured: 0.25 s instead of 8 s for 300 records on a loaded 2-core machine)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


class _Embedder:
    """Sentence embeddings as a scikit-learn transformer (the ``embeddings`` extra)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._model = None

    def fit(self, texts, y=None):
        return self

    def transform(self, texts):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self.name)
        return self._model.encode(list(texts), normalize_embeddings=True)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"name": self.name}

    def set_params(self, **params: Any):
        self.name = params.get("name", self.name)
        return self


class Learner(Backend):
    name = "learner"

    def __init__(self, *, model: str = "learner", server: str, api_key: str, project: int,
                 min_records: int = 50, retrain_every: int = 50, min_confidence: float = 0.9,
                 features: str = "tfidf", embedding_model: str | None = None,
                 refresh_seconds: float = 30.0, background: bool = True) -> None:
        self.model, self.project = model, project
        self.min_records, self.retrain_every = min_records, retrain_every
        self.min_confidence = min_confidence
        self.features, self.embedding_model = features, embedding_model
        self.refresh_seconds = refresh_seconds
        self._requester = Client(server, api_key)
        self._classifier: TextClassifier | None = None
        self._trained_on = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(target=self._loop, daemon=True,
                                            name="datafab-learner")
            self._thread.start()

    @property
    def trained_on(self) -> int:
        return self._trained_on

    # -- answering --------------------------------------------------------------------------
    def ready(self) -> bool:
        return self._classifier is not None

    def prepare(self) -> None:
        """Train now on the records there are (a worker asks before it leases anything)."""
        try:
            self.train_now()
        except (ApiError, OSError):
            pass  # the server is away: the worker tries again later

    def answer(self, job: Job) -> ModelAnswer:
        if job.primitive != "classify" or job.settings.get("multi_label"):
            raise ModelError("the learner answers single-label classify projects only")
        classifier = self._classifier
        if classifier is None:
            raise ModelUnavailable(f"the learner has not trained yet ({self._trained_on} "
                                   f"records; {self.min_records} needed)")
        started = time.monotonic()
        proba = classifier.predict_proba([item_text(job.data)])[0]
        best = int(np.argmax(proba))
        assert classifier.classes_ is not None  # it predicted, so it is trained
        label = str(classifier.classes_[best])
        if label not in job.settings.get("labels", []):
            raise ModelError(f"the learner predicts {label!r}, not a label of the project")
        usage = Usage(self.model, calls=1, seconds=time.monotonic() - started)
        return ModelAnswer({"label": label}, float(proba[best]), usage)

    # -- training ---------------------------------------------------------------------------
    def train_now(self) -> bool:
        """Read the project's confident records people made and retrain if enough arrived
        since the last training; whether it retrained."""
        texts, labels = self._training_set()
        enough = len(labels) >= self.min_records and len(set(labels)) >= 2
        if not enough or (self._classifier is not None
                          and len(labels) < self._trained_on + self.retrain_every):
            return False
        try:
            classifier = TextClassifier(features=self.features,
                                        embedding_model=self.embedding_model).fit(texts, labels)
        except ValueError:
            return False
        with self._lock:
            self._classifier, self._trained_on = classifier, len(labels)
        return True

    def _training_set(self) -> tuple[list[str], list[str]]:
        records = {r["external_id"]: r for r in self._requester.records(
            self.project, min_confidence=self.min_confidence, final=True)
            if r["method"] != "model" and r["answer"] and "label" in r["answer"]}
        texts, labels = [], []
        for item in self._requester.items(self.project, status="done"):
            record = records.get(item["external_id"])
            if record is not None:
                texts.append(item_text(item["data"]))
                labels.append(record["answer"]["label"])
        return texts, labels

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.train_now()
            except (ApiError, OSError):
                pass  # the server is away: try again later
            self._stop.wait(self.refresh_seconds)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._requester.close()

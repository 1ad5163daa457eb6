"""The built-in learner: calibrated on its own, and trained on a project's records over HTTP."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from datafab.models import ModelUnavailable, get_backend  # noqa: E402
from datafab.models.base import Job  # noqa: E402
from datafab.models.learner import TextClassifier  # noqa: E402
from datafab.models.worker import ModelWorker  # noqa: E402
from datafab.quality.calibration import expected_calibration_error  # noqa: E402

CLASSES = ["sport", "food", "music"]


def _texts(n, rng, vocabulary=30):
    """Texts with a few words of their class among common words, some with a stray word of
    another class: hard enough that confidence has to vary."""
    vocab = {c: [f"{c}{i}" for i in range(vocabulary)] for c in CLASSES}
    common = [f"w{i}" for i in range(200)]
    texts, labels = [], []
    for _ in range(n):
        c = CLASSES[rng.integers(3)]
        words = list(rng.choice(vocab[c], size=rng.integers(1, 4)))
        words += list(rng.choice(common, size=12))
        if rng.random() < 0.3:
            words += list(rng.choice(vocab[CLASSES[rng.integers(3)]], size=2))
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(c)
    return texts, labels


def test_the_classifier_is_calibrated():
    rng = np.random.default_rng(0)
    train, y_train = _texts(600, rng)
    test, y_test = _texts(3000, rng)
    proba = TextClassifier().fit(train, y_train).predict_proba(test)
    classes = TextClassifier().fit(train, y_train).classes_
    right = classes[proba.argmax(1)] == np.array(y_test)
    calibrated = expected_calibration_error(proba.max(1), right)

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    raw = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                        LogisticRegression(C=4.0, max_iter=500)).fit(train, y_train)
    raw_proba = raw.predict_proba(test)
    raw_ece = expected_calibration_error(raw_proba.max(1),
                                         raw.classes_[raw_proba.argmax(1)] == np.array(y_test))
    assert 0.6 < right.mean() < 0.99  # a task where calibration matters
    assert calibrated < 0.07 and calibrated < raw_ece / 2


def test_the_classifier_needs_two_labels():
    with pytest.raises(ValueError):
        TextClassifier().fit(["a", "b", "c"], ["x", "x", "x"])


def test_the_learner_trains_on_records_and_works_as_a_contributor(line):
    rng = np.random.default_rng(3)
    texts, labels = _texts(160, rng, vocabulary=5)
    project = line.requester.create_project(
        "topics", "classify", settings={"labels": CLASSES},
        policy={"min_labels": 1, "max_labels": 1})
    line.requester.upload_items(project["id"], [
        {"external_id": f"t{i}", "data": {"text": t}} for i, t in enumerate(texts[:100])])
    truth = dict(zip(texts, labels, strict=True))
    person = line.person("ann")
    while leases := person.lease(project["id"], 50):
        for lease in leases:
            person.submit(lease["id"], {"label": truth[lease["item"]["data"]["text"]]})

    learner = get_backend("learner")(server=line.url, api_key=line.requester_key,
                                     project=project["id"], min_records=50,
                                     min_confidence=0.5, background=False)
    job = Job("classify", {"labels": CLASSES}, "", {"text": texts[120]})
    with pytest.raises(ModelUnavailable):
        learner.answer(job)
    assert learner.train_now() and learner.trained_on == 100
    assert not learner.train_now()  # nothing new since

    line.requester.upload_items(project["id"], [
        {"external_id": f"t{i}", "data": {"text": t}} for i, t in enumerate(texts[100:], 100)])
    with line.model_client() as client:
        stats = ModelWorker(client, learner, project["id"]).run()
    learner.close()
    assert stats.answered == 60 and stats.failed == 0
    records = [r for r in line.requester.records(project["id"]) if r["external_id"] >= "t100"
               and int(r["external_id"][1:]) >= 100]
    items = {i["external_id"]: i["data"]["text"] for i in line.requester.items(project["id"])}
    right = [r["answer"]["label"] == truth[items[r["external_id"]]] for r in records]
    assert len(right) == 60 and np.mean(right) > 0.7  # chance is 1/3


def test_the_learner_trains_before_it_leases(line):
    """A worker whose learner cannot answer yet leases nothing (the items stay for it, or go
    to people as usual); once there are records enough it trains first, then answers every
    item it leases — none is given up as "not trained yet"."""
    rng = np.random.default_rng(5)
    texts, labels = _texts(100, rng, vocabulary=5)
    truth = dict(zip(texts, labels, strict=True))
    project = line.requester.create_project(
        "topics", "classify", settings={"labels": CLASSES},
        policy={"min_labels": 1, "max_labels": 1})
    pid = project["id"]

    def label_by_people(batch):
        line.requester.upload_items(pid, [{"external_id": f"t{i}", "data": {"text": texts[i]}}
                                          for i in batch])
        person = line.person(f"ann{batch[0]}")
        while leases := person.lease(pid, 50):
            for lease in leases:
                person.submit(lease["id"], {"label": truth[lease["item"]["data"]["text"]]})

    label_by_people(range(10))  # too few records to train on
    learner = get_backend("learner")(server=line.url, api_key=line.requester_key, project=pid,
                                     min_records=50, min_confidence=0.5, background=False)
    line.requester.upload_items(pid, [{"external_id": f"t{i}", "data": {"text": texts[i]}}
                                      for i in range(60, 100)])
    with line.model_client() as client:
        stats = ModelWorker(client, learner, pid).run()
    assert stats.leased == 0 and stats.failed == 0 and stats.not_ready == 1
    assert not learner.ready()

    label_by_people(range(10, 60))  # people label 50 more (and the 40 waiting, as they lease)
    fresh = [{"external_id": f"n{i}", "data": {"text": t}}
             for i, t in enumerate(_texts(40, rng, vocabulary=5)[0])]
    line.requester.upload_items(pid, fresh)
    with line.model_client() as client:
        stats = ModelWorker(client, learner, pid).run()
    learner.close()
    assert learner.ready()
    assert stats.leased == 40 and stats.answered == 40 and stats.failed == 0

"""Projects whose labels an audit can check: three topics with words of their own, so a
classifier learns them from a few dozen items, and one planted wrong label."""

from __future__ import annotations

import random

import pytest

TOPICS = {
    "fruit": "apple banana cherry grape melon peach pear plum mango lemon".split(),
    "cars": "engine wheel brake gear piston clutch tyre axle bumper exhaust".split(),
    "sport": "goal match striker keeper referee pitch league score tackle penalty".split(),
}
COMMON = "the a of and to in is it with for".split()
LABELS = list(TOPICS)
PLANTED = "t-6"  # a fruit text labelled cars


def topic_text(rng: random.Random, topic: str) -> str:
    words = rng.choices(TOPICS[topic], k=6) + rng.choices(COMMON, k=4)
    rng.shuffle(words)
    return " ".join(words)


def corpus(n: int = 60, seed: int = 1) -> list[tuple[str, str, str]]:
    """(external_id, text, true topic)."""
    rng = random.Random(seed)
    return [(f"t-{i}", topic_text(rng, LABELS[i % 3]), LABELS[i % 3]) for i in range(n)]


def given_label(ext: str, truth: str) -> str:
    return "cars" if ext == PLANTED else truth


def make_project(api, org, name="topics", policy=None, n=60, unlabelled=0):
    body = {"name": name, "primitive": "classify", "guidelines": "Which topic?",
            "settings": {"labels": LABELS},
            "policy": policy or {"min_labels": 1, "max_labels": 1}}
    r = api.post("/v1/projects", json=body, headers=org.headers)
    assert r.status_code == 201, r.text
    project = r.json()
    rows = corpus(n + unlabelled)
    items = [{"external_id": ext, "data": {"text": text}} for ext, text, _ in rows]
    r = api.post(f"/v1/projects/{project['id']}/items", json={"items": items},
                 headers=org.headers)
    assert r.status_code in (200, 201), r.text
    return project, {ext: truth for ext, _, truth in rows}


def label_all(api, project, worker, answer_of, limit=None):
    """The worker leases and answers items (``answer_of(external_id)``: the label)."""
    done = 0
    while limit is None or done < limit:
        n = 50 if limit is None else min(50, limit - done)
        leases = api.post(f"/v1/projects/{project['id']}/leases", json={"n": n},
                          headers=worker.headers).json()["leases"]
        if not leases:
            break
        for lease in leases:
            label = answer_of(lease["item"]["external_id"])
            r = api.post(f"/v1/leases/{lease['id']}/submit",
                         json={"answer": {"label": label}}, headers=worker.headers)
            assert r.status_code == 200, r.text
            done += 1
    return done


@pytest.fixture
def labelled(api, make_org, make_worker):
    """A project of 60 single-labelled items, one of them wrong (``PLANTED``)."""
    org = make_org()
    project, truth = make_project(api, org)
    worker = make_worker("labeller")
    assert label_all(api, project, worker, lambda ext: given_label(ext, truth[ext])) == 60
    return org, project, truth

"""The built-in learner closes the loop locally: trained on a project's records as people
finish them, scored on held-out records, set against people's hours — through the SDK on a
real server and through ``datafab eval curve``. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

pytest.importorskip("sklearn")

from datafab.cli import app  # noqa: E402
from datafab.models.learning_curve import held_out, learning_curve  # noqa: E402
from datafab.sdk import Client  # noqa: E402
from datafab.services import items, projects  # noqa: E402

CLASSES = ["sport", "food", "music"]
N, SECONDS, STEP = 150, 30.0, 60.0


def _texts(rng) -> list[tuple[str, str]]:
    """Texts with two words of their class among common words: learnable, not at once."""
    vocab = {c: [f"{c}{i}" for i in range(40)] for c in CLASSES}
    common = [f"w{i}" for i in range(300)]
    out = []
    for _ in range(N):
        c = CLASSES[rng.integers(3)]
        words = list(rng.choice(vocab[c], size=2)) + list(rng.choice(common, size=10))
        rng.shuffle(words)
        out.append((" ".join(words), c))
    return out


@pytest.fixture
def labelled(foundry, served, clock, make_org, make_worker):
    """A classify project a person labelled one item a minute, 30 s each."""
    org, worker = make_org("Curve Lab"), make_worker("labeller")
    data = _texts(np.random.default_rng(3))
    project = projects.create_project(foundry, org.id, {
        "name": "topics", "primitive": "classify", "settings": {"labels": CLASSES},
        "policy": {"min_labels": 1, "max_labels": 1}})
    items.upload_items(foundry, org.id, project.id, [
        {"external_id": f"t{k}", "data": {"text": text}} for k, (text, _) in enumerate(data)])
    truth = {f"t{k}": label for k, (_, label) in enumerate(data)}
    order = []
    with Client(served, worker.token) as person:
        while leases := person.lease(project.id, 1):
            clock.advance(STEP)
            ext = leases[0]["item"]["external_id"]
            person.submit(leases[0]["id"], {"label": truth[ext]}, seconds_spent=SECONDS)
            order.append(ext)
    assert len(order) == N
    return org, project.id, order


def test_accuracy_rises_with_people_s_hours(served, labelled):
    org, project, order = labelled
    with Client(served, org.key) as client:
        curve = learning_curve(client, project, points=5, holdout=0.25)
    train = [e for e in order if not held_out(e, 0.25)]
    assert curve["train"] == len(train) and curve["held_out"] == N - len(train)
    points = curve["points"]
    assert len(points) == 5 and points[-1]["records"] == len(train)
    assert [p["records"] for p in points] == sorted({p["records"] for p in points})
    for p in points:  # the hours people had spent when its last training record was done
        last = train[p["records"] - 1]
        assert p["hours"] == round((order.index(last) + 1) * SECONDS / 3600, 6)
    first, final = points[0], points[-1]
    assert final["accuracy"] > first["accuracy"] + 0.1
    assert final["accuracy"] > final["majority"] + 0.2
    assert final["gain"] == round(final["accuracy"] - first["accuracy"], 6)


def test_the_cli_prints_the_curve_and_draws_it(served, labelled, tmp_path):
    org, project, _ = labelled
    chart = tmp_path / "curve.svg"
    result = CliRunner().invoke(app, [
        "eval", "curve", "--project", str(project), "--server", served, "--points", "3",
        "--svg", str(chart)], env={"DATAFAB_API_KEY": org.key})
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(found["points"]) == 3
    drawn = chart.read_text()
    assert drawn.startswith("<svg") and "<style>" in drawn and "people&#39;s minutes" in drawn
    assert drawn.count('<circle class="dot"') == 3
    bad = CliRunner().invoke(app, ["eval", "curve", "--project", str(project), "--server",
                                   served, "--holdout", "0.9"],
                             env={"DATAFAB_API_KEY": org.key})
    assert bad.exit_code == 2 and "holdout" in bad.output

"""The pure parts: the routing decision, calibration, prompts and replies, the registry, and
the layer rule for models/."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from datafab.errors import InvalidInput
from datafab.models import Backend, Job, MalformedAnswer, backend_names, get_backend
from datafab.models.prompts import build_messages, parse_reply
from datafab.quality.calibration import (
    at_or_above,
    binned,
    confidence_bin,
    ece_from_bins,
    expected_calibration_error,
)
from datafab.quality.routing import decide

ROUTE = dict(accept_confidence=0.9, target_accuracy=0.9, min_gold=20, audit_rate=0.05)


def test_accepts_only_a_confident_answer_from_a_proven_model():
    proven = dict(gold_seen=200, gold_correct=196)
    assert decide(0.95, **ROUTE, **proven, draw=0.5).action == "accept"
    assert decide(0.89, **ROUTE, **proven, draw=0.5).action == "people"  # unsure
    assert decide(None, **ROUTE, **proven, draw=0.5).action == "people"  # said nothing
    assert decide(0.95, **ROUTE, gold_seen=19, gold_correct=19, draw=0.5).action == "people"
    # 180/200 right is 90% — but the lower bound is below the 90% target
    assert decide(0.95, **ROUTE, gold_seen=200, gold_correct=180, draw=0.5).action == "people"


def test_a_share_of_acceptable_answers_is_audited():
    proven = dict(gold_seen=200, gold_correct=196)
    assert decide(0.95, **ROUTE, **proven, draw=0.049).action == "audit"
    assert decide(0.95, **ROUTE, **proven, draw=0.05).action == "accept"
    draws = np.random.default_rng(0).random(10_000)
    audited = sum(decide(0.95, **ROUTE, **proven, draw=d).action == "audit" for d in draws)
    assert 400 < audited < 600


def test_routing_refuses_nonsense():
    with pytest.raises(ValueError):
        decide(1.2, **ROUTE, gold_seen=1, gold_correct=1, draw=0.1)
    with pytest.raises(ValueError):
        decide(0.9, **ROUTE, gold_seen=1, gold_correct=2, draw=0.1)
    with pytest.raises(ValueError):
        decide(0.9, **ROUTE, gold_seen=1, gold_correct=1, draw=1.0)


def test_ece_by_hand():
    # bin 0.9-0.95: two answers at 0.9, one right -> |0.5 - 0.9| = 0.4, weight 2/4
    # bin 0.5-0.55: two answers at 0.5, one right -> 0, weight 2/4
    ece = expected_calibration_error([0.9, 0.9, 0.5, 0.5], [1, 0, 1, 0])
    assert ece == pytest.approx(0.2)
    assert expected_calibration_error([1.0, 0.0], [0, 1]) == pytest.approx(1.0)
    assert np.isnan(expected_calibration_error([], []))
    assert confidence_bin(1.0) == 19 and confidence_bin(0.0) == 0 and confidence_bin(0.85) == 17


def test_a_calibrated_model_has_a_small_ece_and_an_overconfident_one_does_not():
    rng = np.random.default_rng(1)
    stated = 0.5 + 0.5 * rng.beta(7, 3, size=20_000)
    right = rng.random(stated.size) < stated
    assert expected_calibration_error(stated, right) < 0.02
    boasted = np.minimum(stated + 0.1, 1.0)
    assert expected_calibration_error(boasted, right) > 0.08
    seen, correct, total = binned(stated, right)
    assert ece_from_bins(seen, correct, total) == pytest.approx(
        expected_calibration_error(stated, right))
    n, k = at_or_above(seen, correct, 0.9)
    assert n == int(np.sum(stated >= 0.9)) and k == int(np.sum(right[stated >= 0.9]))


JOB = Job("classify", {"labels": ["cat", "dog"]}, "Pick the animal in the text.",
          {"text": "it barks"}, "i1")


def test_prompts_carry_the_item_guidelines_and_answer_format():
    system, user = build_messages(JOB)
    assert "Pick the animal in the text." in system["content"]
    assert '"it barks"' in user["content"] and '["cat", "dog"]' in user["content"]
    assert '"confidence"' in user["content"]


@pytest.mark.parametrize("reply, expected", [
    ('{"answer": {"label": "dog"}, "confidence": 0.8}', ({"label": "dog"}, 0.8)),
    ('Sure!\n```json\n{"answer": {"label": "cat"}}\n```', ({"label": "cat"}, None)),
])
def test_replies_parse(reply, expected):
    assert parse_reply(JOB, reply) == expected


@pytest.mark.parametrize("reply", [
    "it is a dog", '{"label": "dog"}', '{"answer": {"label": "cow"}, "confidence": 0.9}',
    '{"answer": {"label": "dog"}, "confidence": 1.5}', '{"answer": {"label": "dog"}, '
    '"confidence": true}', "",
])
def test_malformed_replies_are_refused(reply):
    with pytest.raises(MalformedAnswer):
        parse_reply(JOB, reply)


def test_prompts_exist_for_every_primitive():
    from datafab.models.prompts import INSTRUCTIONS
    from datafab.primitives import primitive_names

    assert set(primitive_names()) <= set(INSTRUCTIONS)


def test_registry_names_backends_lazily_with_did_you_mean():
    assert {"openai", "learner"} <= set(backend_names())
    assert issubclass(get_backend("openai"), Backend)
    with pytest.raises(InvalidInput) as err:
        get_backend("opnai")
    assert "did you mean 'openai'" in err.value.message and err.value.field == "backend"


def test_models_talk_to_datafab_only_over_http():
    import datafab.models as package

    forbidden = ("datafab.store", "datafab.services", "datafab.api", "datafab.web",
                 "sqlalchemy", "fastapi")
    for path in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [n.name for n in node.names]
            else:
                continue
            for module in modules:
                assert not module.startswith(forbidden), f"{path.name} imports {module}"


def test_routing_and_calibration_are_pure():
    import datafab.quality.calibration as calibration
    import datafab.quality.routing as routing

    for module in (routing, calibration):
        tree = ast.parse(Path(module.__file__).read_text())
        imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert all(not m.startswith(("datafab", "sqlalchemy")) for m in imported), imported

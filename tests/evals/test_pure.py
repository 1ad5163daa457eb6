"""The evaluation maths and graders on cases worked out by hand, and Datafab's
Bradley–Terry against the Chatbot Arena method on battles from known strengths."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from datafab.evals.gaps import SliceFigure, find_gaps, slice_keys, slice_skills
from datafab.evals.graders import (
    extract_code,
    grade,
    last_number,
    normalise,
    parse_reference,
    picked_choice,
)
from datafab.quality.leaderboard import (
    bradley_terry_board,
    mean_scores,
    score_agreement,
    tied_ranks,
)

BENCH = Path(__file__).resolve().parents[2] / "bench" / "evals.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_evals", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_evals"] = module
    spec.loader.exec_module(module)
    return module


def test_bradley_terry_matches_the_arena_method_within_one_elo_point():
    pytest.importorskip("sklearn")
    bench = _bench()
    winner, loser, tie, truth = bench.battles(12, 20_000, seed=3)
    ours = bradley_terry_board(winner, loser, ties=tie, n_models=12, n_rounds=200)
    arena = bench.arena_ratings(winner, loser, tie, 12)
    centred = ours.estimate - ours.estimate.mean() + 1000.0
    assert np.abs(centred - arena).max() < 1.0
    assert (np.argsort(-centred) == np.argsort(-arena)).all()
    # and both recover the strengths the battles came from
    assert np.abs(centred - (truth - truth.mean() + 1000)).max() < 40


def test_bootstrap_intervals_are_close_to_the_arena_bootstrap():
    pytest.importorskip("sklearn")
    bench = _bench()
    winner, loser, tie, _ = bench.battles(5, 4_000, seed=5)
    ours = bradley_terry_board(winner, loser, ties=tie, n_models=5, n_rounds=400, seed=1)
    arena = bench.arena_bootstrap(winner, loser, tie, 5, rounds=150, seed=2)
    shift = ours.estimate.mean() - 1000.0
    width_ours = ours.hi - ours.lo
    width_arena = arena[:, 1] - arena[:, 0]
    assert np.allclose(width_ours, width_arena, rtol=0.3)
    assert np.abs((ours.lo - shift) - arena[:, 0]).max() < 0.3 * width_arena.max()


def test_tied_ranks_share_a_rank_where_intervals_overlap():
    # a: [0.8, 0.9]; b: [0.75, 0.85] overlaps a; c: [0.1, 0.2] is below both
    assert tied_ranks([0.8, 0.75, 0.1], [0.9, 0.85, 0.2]).tolist() == [1, 1, 3]
    # a chain: a overlaps b, b overlaps c, but c is below a
    assert tied_ranks([0.6, 0.45, 0.3], [0.8, 0.65, 0.5]).tolist() == [1, 1, 2]


def test_mean_scores_by_hand_and_paired_bootstrap():
    # model 0 right on all four items, model 1 on items 0 and 1 only
    model = [0, 0, 0, 0, 1, 1, 1, 1]
    item = [0, 1, 2, 3, 0, 1, 2, 3]
    score = [1, 1, 1, 1, 1, 1, 0, 0]
    board = mean_scores(model, item, score, n_rounds=500, seed=0)
    assert board.estimate.tolist() == [1.0, 0.5]
    assert board.n.tolist() == [4, 4]
    assert board.lo[0] == board.hi[0] == 1.0
    assert 0.0 <= board.lo[1] < 0.5 < board.hi[1] <= 1.0
    # a model with no scores gets NaN and the last rank
    board = mean_scores([0, 0], [0, 1], [1.0, 0.0], n_models=2, n_rounds=50)
    assert np.isnan(board.estimate[1]) and board.n[1] == 0


def test_mean_scores_refuses_bad_input():
    with pytest.raises(ValueError, match="equal lengths"):
        mean_scores([0, 1], [0], [1.0, 0.0])
    with pytest.raises(ValueError, match="finite"):
        mean_scores([0], [0], [float("nan")])


def test_score_agreement():
    out = score_agreement([1, 0, 1, 0], [1, 0, 0, 0])
    assert out["n"] == 4 and out["pass_agreement"] == 0.75
    assert out["mean_abs_diff"] == 0.25
    # chance agreement 0.5·0.25 + 0.5·0.75 = 0.5, so kappa = (0.75 - 0.5) / 0.5
    assert out["kappa"] == pytest.approx(0.5)
    assert score_agreement([], [])["pass_agreement"] is None


@pytest.mark.parametrize("reference,response,score", [
    ({"kind": "exact", "answer": "Paris"}, "  paris. ", 1.0),
    ({"kind": "exact", "answer": "Paris"}, "Lyon", 0.0),
    ({"kind": "numeric", "answer": 1234.5}, "The total is 1,234.5 dollars", 1.0),
    ({"kind": "numeric", "answer": 0.75}, "so the answer is 3/4", 1.0),
    ({"kind": "numeric", "answer": 12}, "first 3, then 13", 0.0),
    ({"kind": "numeric", "answer": 12}, "no number here", 0.0),
    ({"kind": "regex", "pattern": r"\bO\(n log n\)"}, "It runs in O(n log n) time", 1.0),
    ({"kind": "regex", "pattern": r"^yes$"}, "no", 0.0),
    ({"kind": "choice", "answer": "B"}, "Let me think. Answer: (B)", 1.0),
    ({"kind": "choice", "answer": "B"}, "C", 0.0),
    ({"kind": "choice", "answer": "c"}, "I pick C.", 1.0),
])
def test_automatic_graders(reference, response, score):
    verdict = grade(parse_reference(reference), response)
    assert verdict is not None and verdict.score == score


def test_code_grader_runs_tests_in_a_subprocess_with_a_time_limit():
    ref = parse_reference({"kind": "code", "tests": "assert add(2, 3) == 5", "timeout": 5})
    good = "Here you go:\n```python\ndef add(a, b):\n    return a + b\n```"
    bad = "```python\ndef add(a, b):\n    return a - b\n```"
    assert grade(ref, good).score == 1.0
    failed = grade(ref, bad)
    assert failed.score == 0.0 and "AssertionError" in failed.details["stderr"]
    slow = parse_reference({"kind": "code", "tests": "add(1, 2)", "timeout": 1})
    verdict = grade(slow, "def add(a, b):\n    while True:\n        pass")
    assert verdict.score == 0.0 and verdict.details["outcome"] == "timeout"
    # the child sees no environment of ours
    env = parse_reference({"kind": "code", "tests": "import os\nassert not os.environ.get("
                                                     "'DATAFAB_DATABASE_URL')"})
    assert grade(env, "x = 1").score == 1.0


def test_rubric_and_pairwise_items_are_not_graded_automatically():
    rubric = parse_reference({"kind": "rubric", "rubric": [{"id": "clarity"}]})
    assert grade(rubric, "anything") is None
    assert grade(parse_reference(None), "anything") is None


@pytest.mark.parametrize("raw,message", [
    ({"kind": "numeric"}, "answer"),
    ({"kind": "numeric", "answer": "many"}, "number"),
    ({"kind": "regex", "pattern": "("}, "regular expression"),
    ({"kind": "choice", "answer": "E"}, "choices"),
    ({"kind": "code"}, "tests"),
    ({"kind": "telepathy"}, "kind"),
])
def test_bad_references_are_refused_naming_the_field(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_reference(raw)


def test_extractors():
    assert normalise("  The   Answer.  ") == "the answer"
    assert last_number("-2e-3 and 45%") == 45.0
    assert picked_choice("(A) is wrong, the answer is D", ["A", "B", "C", "D"]) == "D"
    assert extract_code("no fences") == "no fences"


def test_gaps_low_or_behind_the_best_worst_first():
    figures = [
        SliceFigure("domain=math", 0.2, 0.1, 0.3, 40, "b", 0.9, 0.8),
        SliceFigure("domain=code", 0.7, 0.6, 0.75, 40, "b", 0.95, 0.9),
        SliceFigure("domain=law", 0.8, 0.7, 0.9, 40, "b", 0.85, 0.75),
        SliceFigure("domain=art", 0.4, 0.0, 1.0, 2, "b", 0.5, 0.0),  # too unsure to say
    ]
    gaps = find_gaps(figures)
    assert [g["slice"] for g in gaps] == ["domain=math", "domain=code"]
    assert gaps[0]["reasons"] == ["low", "behind_best"]
    assert gaps[1]["reasons"] == ["behind_best"]
    assert slice_skills({"domain": "math", "difficulty": "hard", "language": "fr"}) == \
        ["fr", "math"]
    assert slice_keys({"domain": "math", "skill": ""}) == ["domain=math"]


def test_bradley_terry_intervals_on_one_sided_battles_are_not_points():
    # 25 battles, all won by model 0: every bootstrap round redraws the same record, so
    # without a prior the interval is one point and the gap looks exact
    board = bradley_terry_board(np.zeros(25, int), np.ones(25, int), n_models=2,
                                n_rounds=300)
    assert board.estimate[0] > board.estimate[1]
    assert (board.hi - board.lo > 50).all()  # wide: 25 battles pin the gap loosely
    assert board.lo[0] < board.estimate[0] < board.hi[0]
    assert board.rank.tolist() == [1, 2] or board.rank.tolist() == [1, 1]
    # on a record with both outcomes the prior barely moves the ratings
    w, lo = [0] * 600 + [1] * 400, [1] * 600 + [0] * 400
    plain = bradley_terry_board(w, lo, n_models=2, n_rounds=50, prior_ties=0)
    prior = bradley_terry_board(w, lo, n_models=2, n_rounds=50)
    assert np.abs(plain.estimate - prior.estimate).max() < 1.0

"""Properties of the per-item aggregations that hold for any votes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from datafab.primitives import get_primitive
from datafab.primitives.base import Vote

COMPARE, RANK, STEPS, SPANS = (get_primitive(n) for n in ("compare", "rank", "steps", "spans"))
weights = st.floats(min_value=0.1, max_value=5.0)

compare_votes = st.lists(
    st.tuples(st.sampled_from(["a", "b", "tie"]),
              st.sampled_from([None, "slight", "clear", "decisive"]), weights),
    min_size=1, max_size=8,
)


@settings(max_examples=100, deadline=None)
@given(compare_votes)
def test_compare_vote_is_order_free_and_bounded(raw):
    item = {"prompt": [], "a": {"content": []}, "b": {"content": []}}
    cfg = COMPARE.parse_settings({})
    votes = [Vote(i, {"choice": c, **({"strength": s} if s and c != "tie" else {})}, w)
             for i, (c, s, w) in enumerate(raw)]
    out = COMPARE.aggregate(cfg, item, votes)
    again = COMPARE.aggregate(cfg, item, votes[::-1])
    assert out.answer["choice"] == again.answer["choice"]
    assert abs(out.confidence - again.confidence) < 1e-12
    assert 1 / 3 - 1e-12 <= out.confidence <= 1.0
    assert 0.0 <= out.answer["margin"] <= 3.0


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 6).flatmap(lambda n: st.lists(
    st.tuples(st.permutations(range(n)), weights), min_size=1, max_size=5)))
def test_rank_result_is_a_permutation_and_unanimity_wins(raw):
    n = len(raw[0][0])
    item = {"prompt": [], "responses": [{"content": []}] * n}
    votes = [Vote(i, {"order": list(order)}, w) for i, (order, w) in enumerate(raw)]
    out = RANK.aggregate(RANK.parse_settings({}), item, votes)
    assert sorted(out.answer["order"]) == list(range(n))
    assert 0.0 <= out.confidence <= 1.0
    unanimous = RANK.aggregate(RANK.parse_settings({}), item, [Vote(0, {"order": list(raw[0][0])})])
    assert unanimous.answer["order"] == list(raw[0][0]) and unanimous.confidence == 1.0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from([-1, 0, 1]), min_size=1, max_size=5),
                          weights), min_size=1, max_size=5))
def test_steps_record_stops_at_its_first_wrong_step(raw):
    item = {"problem": "p", "steps": ["s"] * 5}
    votes = [Vote(i, {"ratings": r}, w) for i, (r, w) in enumerate(raw)]
    out = STEPS.aggregate(STEPS.parse_settings({}), item, votes)
    ratings = out.answer["ratings"]
    assert -1 not in ratings[:-1]
    assert (out.answer["first_wrong_step"] is not None) == (ratings[-1:] == [-1])
    assert 1 / 3 - 1e-12 <= out.confidence <= 1.0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sets(st.sampled_from([(0, 2), (2, 4), (4, 6)])), weights),
                min_size=1, max_size=6))
def test_spans_kept_have_a_weighted_majority(raw):
    cfg = SPANS.parse_settings({"labels": ["A"]})
    votes = [Vote(i, {"spans": [{"start": s, "end": e, "label": "A"} for s, e in sorted(spans)]},
                  w) for i, (spans, w) in enumerate(raw)]
    out = SPANS.aggregate(cfg, {"text": "abcdef"}, votes)
    total = sum(w for _, w in raw)
    for span in [(0, 2), (2, 4), (4, 6)]:
        mass = sum(w for spans, w in raw if span in spans)
        kept = {"start": span[0], "end": span[1], "label": "A"} in out.answer["spans"]
        assert kept == (mass / total > 0.5)
    assert 0.5 <= out.confidence <= 1.0

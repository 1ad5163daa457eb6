"""The simulated deeper crowd: labels drawn from the fitted confusions past the recorded depth."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from tests.quality.test_planning_replay import crowd

from datafab.quality import planning
from datafab.quality.judging import judge
from datafab.quality.replay import Candidate, replay
from datafab.quality.simulation import believed, draw, score


def _deep_and_shallow(per_item: int, *, seed: int = 3):
    """The same planted crowd (the same contributors' skills, items and answers) with
    ``per_item`` labels an item and with 6."""
    shallow, truth = crowd((0.6, 0.8), seed=seed, n_items=600, per_item=per_item)
    deep, truth_again = crowd((0.6, 0.8), seed=seed, n_items=600, per_item=6)
    assert (truth == truth_again).all()
    return shallow, deep, truth


def test_the_shallow_crowd_keeps_the_pairs_and_the_deep_one_fills_every_item_once_each():
    ev, _, _ = _deep_and_shallow(2)
    sk = planning.fitted_skill(ev)
    got = draw(ev, sk, judge(ev, "dawid_skene").probs, 5, np.random.default_rng(0))
    assert (got.shallow.item == ev.item).all() and (got.shallow.worker == ev.worker).all()
    assert not (got.shallow.label == ev.label).all()  # drawn, not copied
    per_item = np.bincount(got.deep.item, minlength=ev.n_items)
    assert (per_item == 5).all()
    pairs = got.deep.item.astype(np.int64) * ev.n_workers + got.deep.worker
    assert np.unique(pairs).size == pairs.size  # nobody answers an item twice
    assert (got.deep.item[: ev.item.size] == ev.item).all()  # drawn labels come after


def test_the_deeper_crowd_recovers_a_planted_accuracy_past_the_recorded_depth():
    ev, deep_ev, truth = _deep_and_shallow(2)
    sk = planning.fitted_skill(ev)
    five = Candidate(5, 5, 1.0)
    records = planning._records(ev)
    # the truth: five labels an item from the same contributors, read as the line reads
    planted = float((replay(deep_ev, five, planning.fitted_skill(deep_ev)).record[records]
                     == truth[records]).mean())
    recorded = float((replay(ev, five, sk).record[records] == truth[records]).mean())
    rng = np.random.default_rng(1)
    probs = judge(ev, "dawid_skene").probs
    drawn = [draw(ev, sk, probs, 5, rng, believed=believed(ev, sk, "dawid_skene"))
             for _ in range(3)]
    simulated = np.mean([score(c, five, sk, records, deep=True).accuracy for c in drawn])
    assert planted > recorded + 0.05  # two recorded labels an item cannot show five
    assert abs(simulated - planted) < 0.03
    # drawn from the fit as it stands, a replay reading them through that same fit knows
    # exactly who is good: far too sure
    naive = draw(ev, sk, probs, 5, np.random.default_rng(1))
    assert score(naive, five, sk, records, deep=True).accuracy > planted + 0.06
    labels = np.mean([score(c, five, sk, records, deep=True).labels for c in drawn])
    assert labels == 5.0


def test_the_prediction_moves_towards_the_deeper_crowd_and_its_interval_holds_both():
    ev, _, _ = _deep_and_shallow(2)
    cands = [Candidate(1, 1, 1.0), Candidate(5, 5, 1.0), Candidate(1, 5, 0.95)]
    recorded = planning.evaluate(ev, "dawid_skene", cands, deeper=False)
    deeper = planning.evaluate(ev, "dawid_skene", cands)
    one, five, adaptive = zip(recorded, deeper, strict=True)
    assert one[1].accuracy == pytest.approx(one[0].accuracy)  # one label: nothing deeper
    for before, after in (five, adaptive):
        assert after.accuracy > before.accuracy + 0.02
        assert after.labels_per_record > before.labels_per_record
        assert after.cost_per_record > before.cost_per_record
        assert after.low <= before.accuracy and after.high >= after.accuracy
    assert deeper == planning.evaluate(ev, "dawid_skene", cands)  # deterministic


def test_a_pool_as_deep_as_the_policies_ask_is_left_as_recorded():
    ev, _, _ = _deep_and_shallow(6)
    cands = [Candidate(3, 3, 1.0), Candidate(1, 5, 0.9)]
    assert planning.evaluate(ev, "dawid_skene", cands) == \
        planning.evaluate(ev, "dawid_skene", cands, deeper=False)


def test_the_drawn_crowd_depends_on_the_seed_only():
    ev, _, _ = _deep_and_shallow(2)
    sk = planning.fitted_skill(ev)
    probs = judge(ev, "dawid_skene").probs
    a, b = (draw(ev, sk, probs, 4, np.random.default_rng(7)) for _ in range(2))
    assert (a.truth == b.truth).all() and (a.deep.label == b.deep.label).all()
    other = draw(replace(ev), sk, probs, 4, np.random.default_rng(8))
    assert not (other.deep.label == a.deep.label).all()


def test_with_the_deeper_crowd_a_bigger_budget_still_never_plans_worse():
    full, _ = crowd((0.6, 0.8), seed=4, n_items=300, per_item=6)
    keep = np.random.default_rng(4).random(full.item.size) < 0.5  # 0 to 6 labels an item
    shallow = replace(full, item=full.item[keep], worker=full.worker[keep],
                      label=full.label[keep])
    outcomes = planning.evaluate(shallow, "dawid_skene")
    recorded = planning.evaluate(shallow, "dawid_skene", [o.policy for o in outcomes],
                                 deeper=False)
    assert any(o.accuracy > r.accuracy + 0.01 for o, r in zip(outcomes, recorded, strict=True))
    items = shallow.n_items
    plans = [planning.choose(outcomes, b * items, items) for b in (0.5, 1, 1.5, 2, 3, 4, 6)]
    for small, big in zip(plans, plans[1:], strict=False):
        assert big.records >= small.records
        if small.covers_all:
            assert planning._step(big.best.accuracy) >= planning._step(small.best.accuracy)
            assert big.best.cost_per_record * items <= big.budget

"""The budget planner: replay recorded labels under candidate policies, pick within budget."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from datafab.quality import planning
from datafab.quality.replay import Candidate, Evidence, replay, skill


def crowd(accuracy: tuple[float, float], *, seed: int = 5, n_items: int = 400,
          n_workers: int = 30, per_item: int = 7, k: int = 2, gold: int = 0,
          model: float | None = None, hard: float = 0.0) -> tuple[Evidence, np.ndarray]:
    """Contributors right ``accuracy`` of the time (uniform range), ``per_item`` labels an
    item in random order; ``gold`` items with their answer known; with ``model``, a model
    answering every item, right with its stated confidence ``model`` or 0.55. A share
    ``hard`` of the items is answered right only 30% of the time by everyone (errors the
    models of independent contributors do not expect)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n_items)
    acc = rng.uniform(*accuracy, n_workers)
    item = np.repeat(np.arange(n_items), per_item)
    worker = np.concatenate([rng.choice(n_workers, per_item, replace=False)
                             for _ in range(n_items)])
    right = rng.random(item.size) < acc[worker]
    tricky = rng.random(n_items) < hard  # everyone is usually wrong the same way on these
    right[tricky[item]] = rng.random(int(tricky[item].sum())) < 0.3
    label = np.where(right, truth[item], (truth[item] + 1 + 0 * item) % k)
    order = rng.permutation(item.size)  # arrival order mixes the items
    item, worker, label = item[order], worker[order], label[order]
    golds = {int(i): int(truth[i]) for i in range(gold)}
    model_label = model_conf = None
    if model is not None:
        model_conf = np.where(rng.random(n_items) < 0.7, model, 0.55)
        hit = rng.random(n_items) < model_conf
        model_label = np.where(hit, truth, (truth + 1) % k)
    return Evidence(item, worker, label, n_items, n_workers, k, np.array(1.0), golds,
                    model_label, model_conf, 0.9, 20, 0.0), truth


@pytest.fixture(scope="module")
def noisy():
    ev, truth = crowd((0.6, 0.75))
    return ev, truth, planning.evaluate(ev, "dawid_skene")


def test_a_bigger_budget_never_plans_worse(noisy):
    ev, _, outcomes = noisy
    items = ev.n_items
    plans = [planning.choose(outcomes, b * items, items)
             for b in (0.3, 0.8, 1.0, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 9)]
    covering = [p for p in plans if p.covers_all]
    assert covering and len(covering) < len(plans)  # the budgets span both regimes
    for small, big in zip(plans, plans[1:], strict=False):
        assert big.records >= small.records
        if small.covers_all:
            assert big.covers_all
            assert planning._step(big.best.accuracy) >= planning._step(small.best.accuracy)
            assert big.best.cost_per_record * items <= big.budget
    assert plans[-1].best.accuracy > plans[len(plans) - len(covering)].best.accuracy


def test_too_small_a_budget_says_how_many_records_it_pays_for(noisy):
    ev, _, outcomes = noisy
    plan = planning.choose(outcomes, 0.5 * ev.n_items, ev.n_items)
    assert not plan.covers_all
    assert plan.best.labels_per_record == 1.0
    assert plan.records == ev.n_items // 2
    with pytest.raises(ValueError, match="budget"):
        planning.choose(outcomes, 0.0, ev.n_items)


def test_the_planner_buys_more_labels_for_a_noisier_crowd(noisy):
    ev, _, outcomes = noisy
    clean, _ = crowd((0.93, 0.98))
    budget = 4 * ev.n_items
    careful = planning.choose(outcomes, budget, ev.n_items).best
    relaxed = planning.choose(planning.evaluate(clean, "dawid_skene"), budget,
                              clean.n_items).best
    assert careful.labels_per_record > relaxed.labels_per_record + 1.0
    assert careful.accuracy < relaxed.accuracy


def _truth_of(ev, truth, outcomes):
    return planning.evaluate(ev, "dawid_skene", [o.policy for o in outcomes],
                             judged=planning.truth_judge(np.eye(ev.n_classes)[truth]))


def test_without_shared_errors_the_posterior_predicts_and_gold_barely_moves_it():
    ev, truth = crowd((0.6, 0.8), gold=60, n_items=600)
    assert abs(planning.judge(ev, "dawid_skene").gap) < 0.05
    outcomes = planning.evaluate(ev, "dawid_skene")
    real = _truth_of(ev, truth, outcomes)
    errors = np.array([o.accuracy - r.accuracy for o, r in zip(outcomes, real, strict=True)])
    # 60 gold items move the map by their sampling noise (about 4 points), no more
    assert abs(errors.mean()) < 0.06 and np.abs(errors).max() < 0.08
    plan = planning.choose(outcomes, 3 * ev.n_items, ev.n_items)
    assert plan.best.low <= plan.best.accuracy <= plan.best.high


def test_gold_corrects_a_posterior_that_shared_errors_make_too_sure():
    ev, truth = crowd((0.7, 0.9), gold=200, n_items=800, hard=0.2, seed=8)
    blind = replace(ev, gold={})
    assert planning.judge(ev, "dawid_skene").gap < -0.05  # blind gold: right less than said
    corrected = planning.evaluate(ev, "dawid_skene")
    cands = [o.policy for o in corrected]
    naive = planning.evaluate(blind, "dawid_skene", cands)
    real = _truth_of(ev, truth, corrected)
    err = np.array([abs(o.accuracy - r.accuracy) for o, r in zip(corrected, real, strict=True)])
    naive_err = np.array([abs(o.accuracy - r.accuracy) for o, r in zip(naive, real,
                                                                       strict=True)])
    assert naive_err.mean() > 0.08  # the posterior alone is far too sure
    assert err.mean() < 0.5 * naive_err.mean()


def test_fixed_replay_keeps_exactly_k_labels_and_the_first_ones():
    ev, _ = crowd((0.6, 0.8), n_items=50, per_item=5)
    sk = planning.fitted_skill(ev)
    got = replay(ev, Candidate(2, 2, 1.0), sk)
    assert (got.used == 2).all()
    assert got.cost.sum() == 100.0


def test_routing_puts_proven_contributors_first_on_hard_items():
    ev, _ = crowd((0.55, 0.95), n_items=200, per_item=6)
    sk = planning.fitted_skill(ev)
    dummy = skill(np.exp(sk.log_conf), np.exp(sk.log_prior))
    bar = float(np.percentile(dummy.accuracy, 75))
    plain = replay(ev, Candidate(1, 4, 0.99), sk)
    routed = replay(ev, Candidate(1, 4, 0.99, route_hard=True, hard_min_accuracy=bar,
                                  hard_below=0.99), sk)
    assert routed.used.sum() < plain.used.sum()  # proven labels settle items sooner


def test_model_first_saves_labels_and_model_candidates_exist():
    ev, _ = crowd((0.6, 0.8), gold=80, model=0.97)
    cands = planning.candidates(ev, sk=planning.fitted_skill(ev))
    assert {c.model for c in cands} == {"none", "first", "suggest"}
    outcomes = planning.evaluate(ev, "dawid_skene", cands)
    first = [o for o in outcomes if o.policy.model == "first"]
    assert max(o.model_share for o in first) > 0.5
    people = {(o.policy.min_labels, o.policy.max_labels, o.policy.target_confidence,
               o.policy.route_hard): o for o in outcomes if o.policy.model == "none"}
    for o in first:
        twin = people[(o.policy.min_labels, o.policy.max_labels, o.policy.target_confidence,
                       o.policy.route_hard)]
        if o.model_share > 0:
            assert o.labels_per_record < twin.labels_per_record


def test_a_pilot_is_asked_for_before_enough_labels():
    ev, _ = crowd((0.6, 0.8), n_items=30, per_item=3)
    asked = planning.plan(ev, 1000.0, 30)
    assert isinstance(asked, planning.Pilot)
    assert (asked.items, asked.labels_per_item) == planning.PILOT_ASK
    ready, _ = crowd((0.6, 0.8), n_items=60, per_item=3)
    assert isinstance(planning.plan(ready, 1000.0, 60), planning.Plan)


def test_too_little_gold_leaves_the_posterior_as_it_is_and_few_gold_widen_the_interval():
    few, truth = crowd((0.7, 0.9), gold=planning.MIN_GOLD - 1, n_items=300, hard=0.2, seed=8)
    assert planning.judge(few, "dawid_skene").gap == 0.0
    cands = [Candidate(3, 3, 1.0)]
    none = planning.evaluate(replace(few, gold={}), "dawid_skene", cands)[0]
    assert abs(planning.evaluate(few, "dawid_skene", cands)[0].accuracy - none.accuracy) < 0.02
    some, _ = crowd((0.7, 0.9), gold=30, n_items=300, hard=0.2, seed=8)
    many, _ = crowd((0.7, 0.9), gold=150, n_items=300, hard=0.2, seed=8)
    narrow = planning.evaluate(many, "dawid_skene", cands)[0]
    wide = planning.evaluate(some, "dawid_skene", cands)[0]
    assert wide.high - wide.low > narrow.high - narrow.low


def test_a_target_takes_the_cheapest_policy_that_reaches_it_or_the_best_reachable(noisy):
    ev, _, outcomes = noisy
    items = ev.n_items
    top = max(o.accuracy for o in outcomes)
    goal = (min(o.accuracy for o in outcomes) + top) / 2
    plan = planning.cheapest_reaching(outcomes, goal, items)
    assert plan.reached and plan.best.accuracy >= goal
    assert all(o.accuracy < goal for o in outcomes
               if o.cost_per_record < plan.best.cost_per_record)
    assert plan.budget == plan.cost == plan.best.cost_per_record * items
    again = planning.choose(outcomes, plan.budget, items)  # that budget buys the target
    assert again.best.accuracy >= goal - planning.RESOLUTION
    beyond = planning.cheapest_reaching(outcomes, min(1.0, top + 0.01), items)
    assert beyond.reached is False and beyond.best.accuracy == top
    with pytest.raises(ValueError, match="target"):
        planning.cheapest_reaching(outcomes, 1.2, items)


def test_the_gold_map_is_unbiased_over_gold_draws_and_one_draw_errs_by_its_noise():
    # shared errors make the posterior far too sure, so every prediction leans on the map
    ev, truth = crowd((0.7, 0.9), n_items=600, hard=0.2, seed=8)
    cands = planning.candidates(ev, sk=planning.fitted_skill(ev))
    real = planning.evaluate(ev, "dawid_skene", cands, deeper=False,
                             judged=planning.truth_judge(np.eye(ev.n_classes)[truth]))
    rng = np.random.default_rng(0)
    errors = []
    for _ in range(6):  # six projects, each with a different 10% of the items as gold
        picked = rng.choice(ev.n_items, 60, replace=False)
        gold = replace(ev, gold={int(i): int(truth[i]) for i in picked})
        predicted = planning.evaluate(gold, "dawid_skene", cands, deeper=False)
        errors.append(np.mean([p.accuracy - r.accuracy
                               for p, r in zip(predicted, real, strict=True)]))
    # averaged over the draws the map neither under- nor over-predicts (a consistent lean
    # of a few points, e.g. from reading the gold through the fit that clamped it, fails
    # here), while one draw's 60 gold items move the whole prediction by several points
    assert abs(np.mean(errors)) < 0.02
    assert np.std(errors) > abs(np.mean(errors))
    assert max(abs(e) for e in errors) > 0.04

"""Every estimator checks its input up front and names the argument at fault."""

from __future__ import annotations

import numpy as np
import pytest

from datafab.quality import (
    GLAD,
    MACE,
    BradleyTerry,
    DawidSkene,
    MajorityVote,
    OneCoinDawidSkene,
    WeightedMajorityVote,
)

CATEGORICAL = [MajorityVote, WeightedMajorityVote, DawidSkene, OneCoinDawidSkene, GLAD, MACE]
OK = ([0, 1], [0, 1], [0, 1])


@pytest.mark.parametrize("est", CATEGORICAL)
@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([0, 1], [0], [0, 1]), {}, "equal lengths"),
        (([0.0, 1.0], [0, 1], [0, 1]), {}, "item must hold integer codes"),
        (([0, 1], [0, 1], [0, -1]), {}, "label must be non-negative"),
        (([0, 1], [0, 1], [True, False]), {}, "label must hold integer codes"),
        (([[0, 1]], [0, 1], [0, 1]), {}, "item must be a 1-D array"),
        (OK, {"n_items": 1}, "item holds code 1, which is not below n_items=1"),
        (OK, {"n_workers": 1}, "not below n_workers=1"),
        (OK, {"n_classes": 1}, "not below n_classes=1"),
        (OK, {"n_classes": -2}, "n_classes must be a non-negative integer"),
        (OK, {"gold": {5: 0}}, "gold items must be in"),
        (OK, {"gold": {0: 7}}, "gold classes must be in"),
        (OK, {"gold": [1, 2]}, "gold must be a dict"),
        (OK, {"gold": ([0, 1], [0])}, "gold items and classes must have equal lengths"),
        (([], [], []), {}, "n_classes is needed"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(est, args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        est().fit(*args, **kwargs)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: DawidSkene(n_iter=0), "n_iter"),
        (lambda: DawidSkene(tol=-1), "tol"),
        (lambda: DawidSkene(prior_wrong=0), "prior_wrong"),
        (lambda: MACE(method="gibbs"), "method"),
        (lambda: MACE(n_restarts=0), "n_restarts"),
        (lambda: GLAD(m_step_iter=0), "n_iter"),
        (lambda: BradleyTerry(l2=0), "l2"),
    ],
)
def test_bad_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_weights_are_checked():
    with pytest.raises(ValueError, match="weights has 1 entries"):
        WeightedMajorityVote().fit(*OK, weights=[1.0])
    with pytest.raises(ValueError, match="non-negative"):
        WeightedMajorityVote().fit(*OK, weights=[1.0, -1.0])


def test_bradley_terry_input():
    with pytest.raises(ValueError, match="equal lengths"):
        BradleyTerry().fit([0, 1], [1])
    with pytest.raises(ValueError, match="cannot battle itself"):
        BradleyTerry().fit([0], [0])
    with pytest.raises(ValueError, match="ties must be a boolean array"):
        BradleyTerry().fit([0], [1], ties=[1])
    with pytest.raises(ValueError, match="not below n_items=2"):
        BradleyTerry().fit([0], [2], n_items=2)
    with pytest.raises(ValueError, match="call fit"):
        BradleyTerry().bootstrap()
    with pytest.raises(ValueError, match="winner must hold integer codes"):
        BradleyTerry().fit(np.array([0.5]), [1])

"""The common-errors maths on cases worked out by hand, and invariances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datafab.quality.confusions import disagreement, top_confusions


def test_top_confusions_counts_wrong_pairs_most_frequent_first():
    expected = [0, 0, 0, 1, 1, 2, 2]
    given_ = [1, 1, 2, 0, 1, 2, 0]
    wrong = [True, True, True, True, False, False, True]
    assert top_confusions(expected, given_, wrong, k=3) == [(0, 1, 2), (0, 2, 1), (1, 0, 1)]
    assert top_confusions(expected, given_, [False] * 7) == []


def test_disagreement_is_the_share_off_the_mode():
    item = [5, 5, 5, 5, 7, 7, 9, 3, 3, 3]
    label = [0, 0, 1, 2, 1, 1, 0, 0, 1, 2]
    # item 3: three different answers (2/3 off the mode); item 5: 2 of 4; item 7: none;
    # item 9 has one answer only
    got = disagreement(item, label)
    assert [(i, round(s, 4), n) for i, s, n in got] == [(3, 0.6667, 3), (5, 0.5, 4),
                                                       (7, 0.0, 2)]


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError):
        disagreement([1, 2], [1])
    with pytest.raises(ValueError):
        top_confusions([1], [1], [True, False])


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), max_size=40))
def test_disagreement_does_not_depend_on_answer_order(rows):
    items = np.array([r[0] for r in rows], dtype=np.int64)
    labels = np.array([r[1] for r in rows], dtype=np.int64)
    order = np.random.default_rng(0).permutation(len(rows))
    assert disagreement(items, labels) == disagreement(items[order], labels[order])
    for _, share, n in disagreement(items, labels):
        assert 0.0 <= share <= 1.0 - 1.0 / n + 1e-12

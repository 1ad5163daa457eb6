"""Datafab's quality engine: truth inference, contributor skill, agreement, gold accuracy and
the cost/quality controller.

Pure NumPy/SciPy on plain integer arrays — one row per label: ``item``, ``worker``, ``label``
codes (see ``DESIGN.md``, "Quality engine contract"). Nothing here touches a database.

Conventions shared by every categorical estimator (``fit(...)`` returns ``self``):

* repeated (item, worker) pairs are all kept — every row is one label (de-duplicate before
  calling if you prefer "last answer wins");
* items without labels get ``labels_ = -1`` and the class prior as ``probas_``;
* ties go to the lowest class code; results do not depend on how workers or items are
  numbered (no random restarts keyed on worker order).
"""

from ._base import CategoricalAggregator
from .agreement import (
    category_counts,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    krippendorff_alpha_from_labels,
    krippendorff_alpha_sets,
    masi_distance,
    set_agreement,
    worker_agreement,
)
from .bradley_terry import BradleyTerry
from .dawid_skene import DawidSkene
from .glad import GLAD
from .gold import gold_accuracy, two_sided_z, wilson_interval
from .mace import MACE
from .majority_vote import MajorityVote
from .one_coin import OneCoinDawidSkene
from .stopping import (
    StoppingPolicy,
    expected_gain,
    item_posterior,
    needs_more,
    population_confusion,
    posteriors,
    update_counts,
)
from .weighted_majority_vote import WeightedMajorityVote

#: Every estimator by its one name — the name a project's quality policy gives as its
#: ``method`` (stored with the project), so these keys do not change.
ESTIMATORS: dict[str, type[CategoricalAggregator]] = {
    "majority_vote": MajorityVote,
    "weighted_majority_vote": WeightedMajorityVote,
    "dawid_skene": DawidSkene,
    "one_coin": OneCoinDawidSkene,
    "glad": GLAD,
    "mace": MACE,
}
#: Names estimators were also known by, still accepted: old name -> its name in ESTIMATORS.
ESTIMATOR_ALIASES = {"one_coin_dawid_skene": "one_coin"}
#: The estimators that learn each contributor's skill from all the labels (the ones a
#: project's policy may choose; a per-item vote is its primitive's own rule).
SKILL_ESTIMATORS = ("dawid_skene", "one_coin", "glad", "mace")


def estimator_name(name: str) -> str:
    """``name``'s key in ``ESTIMATORS`` (an alias becomes the name it stands for)."""
    return ESTIMATOR_ALIASES.get(name, name)


def get_estimator(name: str) -> type[CategoricalAggregator]:
    """The estimator called ``name`` or one of its aliases; ``KeyError`` if there is none."""
    return ESTIMATORS[estimator_name(name)]

__all__ = [
    "ESTIMATORS",
    "ESTIMATOR_ALIASES",
    "SKILL_ESTIMATORS",
    "GLAD",
    "MACE",
    "BradleyTerry",
    "DawidSkene",
    "MajorityVote",
    "OneCoinDawidSkene",
    "StoppingPolicy",
    "WeightedMajorityVote",
    "category_counts",
    "cohen_kappa",
    "estimator_name",
    "get_estimator",
    "fleiss_kappa",
    "gold_accuracy",
    "item_posterior",
    "krippendorff_alpha",
    "krippendorff_alpha_from_labels",
    "krippendorff_alpha_sets",
    "masi_distance",
    "set_agreement",
    "expected_gain",
    "needs_more",
    "population_confusion",
    "posteriors",
    "two_sided_z",
    "update_counts",
    "wilson_interval",
    "worker_agreement",
]

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

ESTIMATORS = {
    "majority_vote": MajorityVote,
    "weighted_majority_vote": WeightedMajorityVote,
    "dawid_skene": DawidSkene,
    "one_coin_dawid_skene": OneCoinDawidSkene,
    "glad": GLAD,
    "mace": MACE,
}

__all__ = [
    "ESTIMATORS",
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

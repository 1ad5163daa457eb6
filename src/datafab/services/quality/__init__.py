"""The quality engine in the line: posteriors after each answer, contributor evidence, gold,
periodic full refits, and a project's quality summary.

After each submission the item's posterior is recomputed from its labels and the
contributors' confusion matrices (a warm start: no refit), and the new label's evidence is
added to its contributor's counts; then the project's other open items are rescored with
the contributors' current counts (``rescore_open``). Every so often (see ``Refits``) the
estimator is refitted on all labels, with gold items clamped; that replaces the counts, the
class prior, every record and the open/done state of every item.

One concept per module — ``methods`` (which aggregation), ``evidence`` (what a label tells
of its contributor), ``posteriors`` (per item, in the submit), ``rescore``, ``labels`` (the
arrays a fit reads), ``fits`` (full refits), ``refits`` (when), ``summary`` — and their SQL
in ``store/quality.py``. What the rest of Datafab uses is importable from here.
"""

from __future__ import annotations

from datafab.services.quality.evidence import (
    Evidence,
    gold_evidence,
    label_evidence,
    write_evidence,
)
from datafab.services.quality.fits import REFIT_CHUNK, Fit, apply_fit, fit_project, refit
from datafab.services.quality.labels import Labels, LabelSets, load_label_sets, load_labels
from datafab.services.quality.methods import is_model_based, method_of
from datafab.services.quality.posteriors import NO_GAIN, is_done, item_outcome, read_skills
from datafab.services.quality.recompute import recompute_records
from datafab.services.quality.refits import (
    REFIT_GROWTH,
    REFIT_MIN_LABELS,
    Refits,
    after_submissions,
    refits,
)
from datafab.services.quality.rescore import RESCORE_MAX_OPEN, open_labelled, rescore_open
from datafab.services.quality.summary import summary

__all__ = [
    "NO_GAIN", "REFIT_CHUNK", "REFIT_GROWTH", "REFIT_MIN_LABELS", "RESCORE_MAX_OPEN",
    "Evidence", "Fit", "LabelSets", "Labels", "Refits", "after_submissions", "apply_fit",
    "fit_project", "gold_evidence", "is_done", "is_model_based", "item_outcome",
    "label_evidence", "load_label_sets", "load_labels", "method_of", "open_labelled",
    "read_skills", "recompute_records", "refit",
    "refits",
    "rescore_open", "summary", "write_evidence",
]

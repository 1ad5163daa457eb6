"""Contributor value: per contributor of a categorical project, how many fewer records would
be right without their labels, and that per hour of their time and per unit of their pay
(``GET /v1/projects/{id}/contributors/value``, ``datafab value``, the dashboard).

The maths is :mod:`datafab.quality.value`: a Dawid–Skene fit on every counted label (gold
clamped), then a warm-started leave-one-contributor-out refit per contributor. The value is
measured under Dawid–Skene whatever the project aggregates with, so that contributors of
different projects are compared on one scale. Time and pay are what the effort report and
the pay ledger record (see ``store/contributor_value.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datafab.foundry import Foundry
from datafab.quality import DawidSkene
from datafab.quality.value import contributor_values
from datafab.services.projects import load_project
from datafab.services.quality import load_labels
from datafab.services.site_keys import Pseudonyms
from datafab.store import contributor_value as store

PAY_UNIT_MINOR = 100  # value per unit of pay: per 100 minor units (one euro, one dollar)


@dataclass(frozen=True)
class ContributorValue:
    contributor: str  # the contributor's pseudonym in this project
    labels: int  # counted labels in the fit
    hours: float  # time spent on all their submissions in the project
    pay_minor: int | None  # their pay in the project (None: in several currencies)
    currency: str | None
    value: float  # expected correct records lost without their labels
    value_per_hour: float | None
    value_per_pay: float | None  # per PAY_UNIT_MINOR minor units of pay


@dataclass(frozen=True)
class ProjectValue:
    project_id: int
    available: bool  # False: the project's answers are not categorical
    labels: int
    contributors: list[ContributorValue]


def project_value(foundry: Foundry, organization: int, project_id: int) -> ProjectValue:
    """Every contributor's value in the project, highest first."""
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        data = load_labels(conn, project)
        spent = store.inputs(conn, project.id)
    if data is None:
        return ProjectValue(project.id, False, 0, [])
    anonymise = Pseudonyms(foundry)
    n_workers = len(data.contributor_ids)
    values = np.zeros(n_workers)
    if len(data.label):
        gold = data.gold or None
        fit = DawidSkene().fit(data.item, data.worker, data.label, n_items=len(data.item_ids),
                               n_workers=n_workers, n_classes=data.n_classes, gold=gold)
        values = contributor_values(
            data.item, data.worker, data.label, confusions=fit.confusions_,
            prior=fit.priors_, n_items=len(data.item_ids), n_workers=n_workers,
            n_classes=data.n_classes, gold=gold)
    labels = np.bincount(data.worker, minlength=n_workers)
    position = {int(c): n for n, c in enumerate(data.contributor_ids)}
    rows = []
    for contributor_id in sorted(set(position) | set(spent)):
        n = position.get(contributor_id)
        value = float(values[n]) if n is not None else 0.0
        put = spent.get(contributor_id, store.Input())
        hours = put.seconds / 3600
        currency = next(iter(put.pay_minor)) if len(put.pay_minor) == 1 else None
        pay = put.pay_minor[currency] if currency else (0 if not put.pay_minor else None)
        rows.append(ContributorValue(
            contributor=anonymise(project.id, contributor_id),
            labels=int(labels[n]) if n is not None else 0,
            hours=hours, pay_minor=pay, currency=currency, value=value,
            value_per_hour=value / hours if hours > 0 else None,
            value_per_pay=value * PAY_UNIT_MINOR / pay if pay else None))
    rows.sort(key=lambda r: (-r.value, r.contributor))
    return ProjectValue(project.id, True, len(data.label), rows)

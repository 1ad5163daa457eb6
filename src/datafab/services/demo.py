"""Demo data: an organization, a classify project with a few hundred items, three contributors.

Run again, it keeps the data and issues fresh credentials (secrets are stored only hashed, so
the old ones cannot be shown again).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from datafab.foundry import Foundry
from datafab.services import accounts, items, projects
from datafab.services.secrets import (
    API_KEY_PREFIX,
    CONTRIBUTOR_TOKEN_PREFIX,
    digest,
    new_secret,
    shown_prefix,
)
from datafab.store import accounts as queries

DEMO_ORG = "Demo Lab"
DEMO_CONTRIBUTORS = ("Ada (demo)", "Grace (demo)", "Alan (demo)")
SENTIMENTS = ("positive", "negative", "neutral")
_OPENINGS = {
    "positive": ["Loved", "Really enjoyed", "Great value:", "Five stars for", "Delighted with"],
    "negative": ["Hated", "Very disappointed by", "Waste of money:", "One star for", "Broken"],
    "neutral": ["Received", "It is", "Average", "Ordered", "Used"],
}
_THINGS = ["the blender", "this laptop bag", "the hiking boots", "the coffee grinder",
           "the desk lamp", "these headphones", "the yoga mat", "the kettle", "this novel"]


@dataclass(frozen=True)
class Demo:
    organization_id: int
    api_key: str
    project_id: int
    contributor_tokens: dict[str, str]
    created: bool


def seed(foundry: Foundry, n_items: int = 300) -> Demo:
    with foundry.db.read() as conn:
        org = queries.organization_named(conn, DEMO_ORG)
    if org is None:
        return _create(foundry, n_items)
    return _refresh(foundry, org)


def _create(foundry: Foundry, n_items: int) -> Demo:
    org, key = accounts.create_organization(foundry, DEMO_ORG)
    project = projects.create_project(
        foundry,
        org,
        {
            "name": "Review sentiment",
            "primitive": "classify",
            "guidelines": "Pick the sentiment the reviewer expresses about the product.",
            "settings": {"labels": list(SENTIMENTS)},
            "policy": {"min_labels": 2, "max_labels": 3, "target_confidence": 0.99},
        },
    )
    rng = random.Random(7)
    batch = []
    for i in range(n_items):
        mood = rng.choice(SENTIMENTS)
        text = f"{rng.choice(_OPENINGS[mood])} {rng.choice(_THINGS)}."
        batch.append({"external_id": f"review-{i:04d}", "data": {"text": text}})
    items.upload_items(foundry, org, project.id, batch)
    tokens = {}
    for name in DEMO_CONTRIBUTORS:
        _, token = accounts.create_contributor(foundry, {"name": name, "skills": ["en"]})
        tokens[name] = token
    return Demo(org, key, project.id, tokens, created=True)


def _refresh(foundry: Foundry, org: int) -> Demo:
    key = new_secret(API_KEY_PREFIX)
    tokens = {}
    with foundry.db.write() as conn:
        queries.add_api_key(conn, organization=org, name="demo", prefix=shown_prefix(key),
                            key_hash=digest(key), now=foundry.now())
        for name in DEMO_CONTRIBUTORS:
            token = new_secret(CONTRIBUTOR_TOKEN_PREFIX)
            queries.set_token_by_name(conn, name=name, token_hash=digest(token),
                                      prefix=shown_prefix(token))
            tokens[name] = token
    page, _ = projects.list_projects(foundry, org, limit=1)
    return Demo(org, key, page[0].id if page else 0, tokens, created=False)

"""Fixtures for the web pages: a foundry seeded with one project per primitive, a real server
on 127.0.0.1 for the browser tests, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.live_servers import serving

from datafab.foundry import Foundry
from datafab.settings import Settings

OPERATOR_TOKEN = "operator-token-for-tests"
PASSWORD = "correct horse battery"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
ITEMS_PER_PROJECT = 14

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city now.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}]
RUBRIC = [{"id": "accuracy", "description": "Is it correct?", "weight": 2, "min": 1, "max": 5},
          {"id": "clarity", "description": "Is it easy to follow?", "weight": 1, "min": 1,
           "max": 5}]


def _item(primitive: str, i: int) -> dict:
    if primitive == "classify":
        return {"text": f"Review {i}: {'Loved it' if i % 2 else 'Broke in a day'}, the kettle."}
    if primitive == "compare":
        return {"prompt": f"How do I boil {i} eggs?",
                "a": {"content": "Put them in boiling water for 9 minutes.", "model": "m-small"},
                "b": {"content": "Eggs cannot be boiled.", "model": "m-large"}}
    if primitive == "rank":
        return {"prompt": f"Name a prime above {i}.",
                "responses": [{"content": f"{n}"} for n in (i + 1, i + 4, i + 9)]}
    if primitive == "spans":
        return {"text": f"Ada Lovelace met Charles Babbage in London in 18{30 + i}."}
    if primitive == "steps":
        return {"problem": f"What is {i} + {i}?",
                "steps": [f"{i} + {i} means adding {i} twice.", f"That is {2 * i}.",
                          f"So the answer is {2 * i}."]}
    if primitive == "write":
        return {"prompt": f"Write one sentence about the number {i}.",
                "draft": f"The number {i} is a number."}
    if primitive == "trajectory":
        return {"task": f"What is the weather in city {i}?", "tools": TOOLS,
                "steps": [{"type": "thought", "text": "I should look it up."},
                          {"type": "tool_call", "name": "get_weather",
                           "arguments": {"city": f"City {i}"}},
                          {"type": "tool_result", "content": "18°C and sunny"},
                          {"type": "final", "text": "It is 18°C and sunny."}]}
    if primitive == "grade":
        return {"prompt": f"Explain {i} in one line.", "response": f"{i} is an integer."}
    raise ValueError(primitive)


SETTINGS = {
    "classify": {"labels": ["positive", "negative", "neutral"]},
    "spans": {"labels": ["PERSON", "PLACE"]},
    "grade": {"rubric": RUBRIC},
}
PRIMITIVES = ("classify", "compare", "rank", "spans", "steps", "write", "trajectory", "grade")


@dataclass
class Seeded:
    organization: int
    api_key: str
    projects: dict[str, int] = field(default_factory=dict)


def seed(foundry: Foundry) -> Seeded:
    """An organization with one project per primitive, a skill-gated project and a project
    with gold items (their explanations shown after answering)."""
    from datafab.services import accounts, items, projects

    org, key = accounts.create_organization(foundry, "Acme Lab")
    seeded = Seeded(org, key)
    for primitive in PRIMITIVES:
        project = projects.create_project(foundry, org, {
            "name": f"{primitive} demo", "primitive": primitive,
            "guidelines": f"How to do {primitive} work well: read carefully, then answer.",
            "settings": SETTINGS.get(primitive, {}),
            "policy": {"min_labels": 1, "max_labels": 1},
        })
        items.upload_items(foundry, org, project.id, [
            {"external_id": f"{primitive}-{i:02d}", "data": _item(primitive, i)}
            for i in range(ITEMS_PER_PROJECT)])
        seeded.projects[primitive] = project.id
    gated = projects.create_project(foundry, org, {
        "name": "French reviews", "primitive": "classify", "required_skills": ["fr"],
        "settings": SETTINGS["classify"], "guidelines": "Les avis en français."})
    items.upload_items(foundry, org, gated.id, [
        {"external_id": "fr-0", "data": {"text": "Très bien."}}])
    seeded.projects["gated"] = gated.id
    gold = projects.create_project(foundry, org, {
        "name": "Sentiment with checks", "primitive": "classify",
        "settings": SETTINGS["classify"], "guidelines": "Pick the reviewer's sentiment.",
        "policy": {"min_labels": 2, "max_labels": 3, "gold_rate": 0.5}})
    items.upload_items(foundry, org, gold.id, [
        {"external_id": f"check-{i}", "data": {"text": text}, "gold_answer": {"label": label},
         "gold_explanation": why}
        for i, (text, label, why) in enumerate([
            ("Best purchase this year!", "positive", "Delight with the product is positive."),
            ("It arrived on Tuesday.", "neutral", "A plain fact with no feeling is neutral."),
        ])] + [{"external_id": f"plain-{i}", "data": {"text": f"Quite good, number {i}."}}
               for i in range(6)])
    seeded.projects["gold"] = gold.id
    return seeded



@dataclass
class LiveSite:
    url: str
    foundry: Foundry
    seeded: Seeded


@pytest.fixture(scope="module")
def site(sqlite_template, tmp_path_factory):
    """A real server on 127.0.0.1 over a seeded SQLite database, shared by a module's tests."""

    from datafab.api.app import create_app

    path = tmp_path_factory.mktemp("web") / "site.db"
    shutil.copy(sqlite_template, path)
    foundry = Foundry(Settings(database_url=f"sqlite:///{path}", operator_token=OPERATOR_TOKEN))
    seeded = seed(foundry)
    with serving(create_app(foundry)) as base:
        yield LiveSite(base, foundry, seeded)
    foundry.close()


@pytest.fixture(scope="module")
def chromium():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context(viewport={"width": 1100, "height": 760}, accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    yield page
    context.close()


SCREENSHOTS = os.environ.get("DATAFAB_SCREENSHOTS")  # a folder, e.g. docs/img


def screenshot(page, name: str) -> None:
    """Save a small PNG of the page when DATAFAB_SCREENSHOTS names a folder."""
    if not SCREENSHOTS:
        return
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.png"
    page.screenshot(path=str(target))
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(target) as image:
        small = image.convert("RGB").quantize(colors=48, method=Image.Quantize.MEDIANCUT)
        small.save(target, optimize=True)

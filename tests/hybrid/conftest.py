"""Fixtures for hybrid production: a scripted OpenAI-compatible model server, and a Datafab
server with an organization, a model contributor and people."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from datafab.sdk import Client
from datafab.services.accounts import create_contributor, create_organization

from .chat_server import ScriptedModel, serve


@pytest.fixture
def scripted() -> ScriptedModel:
    return ScriptedModel()


@pytest.fixture
def chat(scripted):
    with serve(scripted) as server:
        yield server


@dataclass
class Line:
    url: str
    foundry: object
    requester: Client
    requester_key: str
    model_token: str

    def client(self, token: str) -> Client:
        return Client(self.url, token)

    def person(self, name: str) -> Client:
        _, token = create_contributor(self.foundry, {"name": name})
        return Client(self.url, token)

    def model_client(self) -> Client:
        return Client(self.url, self.model_token)


@pytest.fixture
def line(live_server):
    url, foundry = live_server
    _, key = create_organization(foundry, "Hybrid Lab")
    _, model_token = create_contributor(foundry, {"name": "scripted-7b", "kind": "model"})
    requester = Client(url, key)
    yield Line(url, foundry, requester, key, model_token)
    requester.close()

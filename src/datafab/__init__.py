"""Datafab: a self-hosted data foundry."""

__version__ = "0.1.0"


def __getattr__(name: str):
    # ``datafab.Client`` without importing the SDK (and httpx) for every ``import datafab``.
    if name == "Client":
        from datafab.sdk import Client

        return Client
    raise AttributeError(name)

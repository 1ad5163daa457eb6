"""The Python client for Datafab's REST API."""

from datafab.sdk.client import ApiError, Client

__all__ = ["ApiError", "Client"]

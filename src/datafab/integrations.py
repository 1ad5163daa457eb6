"""The integrations a Datafab process wires in.

An integration subscribes to the outbox events it acts on when its module is imported
(``services.webhooks.subscribe``): the Scale-compatible adapter adds each finished task's
callback to ``record.finished``. The composition roots — the app factory
(``api.app.create_app``) and the CLI's ``cli.common.open_foundry`` — call ``install`` so
that every event, whichever process emits it, reaches its subscribers. A new integration
is imported here.
"""

from __future__ import annotations


def install() -> None:
    """Import every integration, so each has subscribed to its events (idempotent)."""
    from datafab.services.compat import scale  # noqa: F401  (subscribes its task callbacks)

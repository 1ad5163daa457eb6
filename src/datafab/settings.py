"""Datafab's settings, declared once: each has a default, a line of help, and an environment
variable (``DATAFAB_`` + the name in capitals). Nothing reads the environment at import time:
``Settings()`` is built by the application factory or the CLI.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from datafab import media_hosts, netguard


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATAFAB_", extra="ignore")

    database_url: str = Field(
        "sqlite:///./datafab.db",
        description="Where Datafab keeps its data: sqlite:///PATH or postgresql+psycopg://…",
    )
    host: str = Field("127.0.0.1", description="Address `datafab serve` listens on.")
    port: int = Field(8000, description="Port `datafab serve` listens on.")
    lease_seconds: int = Field(
        600, ge=10, le=86_400,
        description="How long a lease lasts before its item returns to the pool.",
    )
    max_items_per_upload: int = Field(
        10_000, ge=1, description="Most items one upload request may carry."
    )
    max_body_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="Largest request body the API accepts."
    )
    media_dir: str | None = Field(
        None,
        description="Folder of image files: uploads are kept there by their SHA-256, and an "
        "item's relative image path is read from there; default: beside the SQLite database "
        "(datafab.db.media), or datafab-media in the working directory for PostgreSQL.",
    )
    max_media_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="Largest image file one media upload may carry."
    )
    media_hosts: str = Field(
        "",
        description="Web image hosts the workbench shows images from, comma-separated origins "
        "(https://img.example.com, https://*.cdn.example); each is allowed in the pages' "
        "content-security policy (img-src). Other web images are not loaded into the pages.",
    )
    refit_in_background: bool = Field(
        True,
        description="Refit a project's aggregation in a background thread as labels arrive "
        "(off: in the request that made it due).",
    )
    pool_size: int = Field(
        20, ge=1, description="Database connections per API process (PostgreSQL)."
    )
    operator_token: str | None = Field(
        None,
        description="Token that opens the ops console (/ops) in a browser; the console is "
        "closed while it is unset.",
    )
    session_secret: str | None = Field(
        None,
        description="Key that signs browser session cookies. Required to serve beyond "
        "loopback; on loopback, when unset, one is made and kept in the key file "
        "(DATAFAB_KEY_FILE), never in the database.",
    )
    key_file: str | None = Field(
        None,
        description="Where the keys made for DATAFAB_SESSION_SECRET and DATAFAB_DATA_KEY when "
        "they are unset are kept (mode 0600); default: beside the SQLite database "
        "(datafab.db.keys), or datafab.keys in the working directory for PostgreSQL.",
    )
    access_log_days: float = Field(
        365.0, ge=0,
        description="How many days the access log keeps who was shown which items; older "
        "entries are deleted by the periodic sweep (0 keeps them forever).",
    )
    access_log: bool = Field(
        True,
        description="Record each item shown to a contributor or exported (the access log); "
        "turn off only to measure its cost.",
    )
    idempotency_lock_seconds: float = Field(
        10.0, gt=0, le=3600,
        description="How long a request keeps its Idempotency-Key busy after its last "
        "heartbeat (a running request renews it every third of this; a retry meanwhile gets "
        "409); when its server died, a retry runs it again this long after.",
    )
    rate_limit_api_key: float = Field(
        100.0, ge=0,
        description="Requests per second one API key may make (bursts of twice that); "
        "0 turns the limit off.",
    )
    rate_limit_contributor: float = Field(
        50.0, ge=0,
        description="Requests per second one contributor may make (bursts of twice that); "
        "0 turns the limit off.",
    )
    rate_limit_failed_auth: float = Field(
        10.0, ge=0,
        description="Failed authentications per second one client address may make (bursts "
        "of twice that); past it, requests from that address that present an unknown "
        "credential get 429 without being looked up. 0 turns the limit off.",
    )
    webhook_deliverer: bool = Field(
        True,
        description="Run the webhook deliverer in each `datafab serve` process (off: run "
        "`datafab webhooks deliver` on its own).",
    )
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, le=120,
        description="How long one webhook request may take, from connecting to the answer's "
        "headers (wall clock: a receiver answering a byte at a time is cut off too).",
    )
    webhook_concurrency: int = Field(
        8, ge=2, le=256,
        description="Webhook requests each deliverer keeps in flight at once; one "
        "organization gets at most half of them.",
    )
    webhook_backoff_seconds: float = Field(
        5.0, gt=0, description="Wait after a webhook's first failed try; doubles each try."
    )
    webhook_backoff_max_seconds: float = Field(
        3600.0, gt=0, description="Longest wait between two tries of one webhook."
    )
    webhook_retry_hours: float = Field(
        24.0, gt=0, description="How long after its event a webhook is still retried."
    )
    webhook_allowed_networks: str = Field(
        "",
        description="Non-public destinations webhooks and callbacks may still reach: a "
        "comma-separated list of networks (10.1.0.0/16), addresses (127.0.0.1, ::1) and host "
        "names (hooks.internal); empty: public addresses only.",
    )
    model_allowed_networks: str = Field(
        "",
        description="Where a model endpoint must be to work restricted projects: a "
        "comma-separated list of networks (10.1.0.0/16) and addresses; `datafab worker` "
        "refuses a restricted project when its --base-url resolves outside. Empty: no model "
        "works restricted projects.",
    )
    trusted_proxies: str = Field(
        "",
        description="Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto headers "
        "`datafab serve` believes: a comma-separated list of addresses and networks "
        "(127.0.0.1, 10.0.0.0/8); empty: none, each request's address is its connection's.",
    )
    data_key: str | None = Field(
        None,
        description="Key that encrypts each organization's ingest keys (pseudonym and "
        "originals keys) at rest. Required to serve beyond loopback; on loopback, when unset, "
        "one is made and kept in the key file (DATAFAB_KEY_FILE), never in the database.",
    )

    smtp_host: str | None = Field(
        None, description="SMTP server that sends contributors their messages by e-mail "
        "(unset: the in-app inbox only).")
    smtp_port: int = Field(587, ge=1, le=65_535, description="The SMTP server's port.")
    smtp_from: str = Field("datafab@localhost", description="Sender address of the e-mails.")
    smtp_username: str | None = Field(None, description="SMTP login, when the server asks.")
    smtp_password: str | None = Field(None, description="SMTP password (kept in the "
                                      "environment only, never in the database).")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with "
                                "STARTTLS before logging in.")

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies_parse(cls, value: str) -> str:
        import ipaddress

        for entry in (e.strip() for e in value.split(",")):
            if not entry:
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not an address or network") from exc
        return ",".join(e.strip() for e in value.split(",") if e.strip())

    @field_validator("media_hosts")
    @classmethod
    def _media_hosts_parse(cls, value: str) -> str:
        return ",".join(media_hosts.parse(value))  # a typo stops the server at start

    @field_validator("model_allowed_networks")
    @classmethod
    def _model_networks_parse(cls, value: str) -> str:
        netguard.networks(value)
        return value

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _allowed_networks_parse(cls, value: str) -> str:
        netguard.allowlist(value)  # a typo stops the server at start, not a delivery later
        return value

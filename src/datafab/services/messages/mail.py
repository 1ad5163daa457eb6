"""E-mail: each inbox entry whose contributor has an address goes out once through the SMTP
server in ``DATAFAB_SMTP_*`` (standard library ``smtplib``). Without ``DATAFAB_SMTP_HOST``
nothing is sent and the inbox is the only channel.

An entry is claimed (its ``emailed_at`` set) in a short transaction before it is sent, so two
processes never send it twice; one that fails to send is given back for the next try.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from datafab.foundry import Foundry
from datafab.settings import Settings
from datafab.store import inbox as sql

TIMEOUT_SECONDS = 10


def send_pending(foundry: Foundry, limit: int = 100) -> int:
    """Send the e-mails of inbox entries not sent yet; how many went out."""
    settings = foundry.settings
    if not settings.smtp_host:
        return 0
    with foundry.db.read() as conn:
        pending = sql.unmailed(conn, limit)
    if not pending:
        return 0
    sent = 0
    with _connect(settings) as smtp:
        for entry in pending:
            with foundry.db.write() as conn:
                if not sql.claim_mail(conn, entry.message_id, entry.contributor_id,
                                      foundry.now()):
                    continue
            try:
                smtp.send_message(_email(settings, entry.email, entry.subject, entry.body))
            except smtplib.SMTPException:
                with foundry.db.write() as conn:
                    sql.unclaim_mail(conn, entry.message_id, entry.contributor_id)
                continue
            sent += 1
    return sent


def _connect(settings: Settings) -> smtplib.SMTP:
    assert settings.smtp_host is not None  # checked by the caller
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS)
    if settings.smtp_starttls and smtp.has_extn("starttls"):
        smtp.starttls()
    if settings.smtp_username:
        smtp.login(settings.smtp_username, settings.smtp_password or "")
    return smtp


def _email(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(f"{body}\n\n— Datafab (read it in your inbox: /work/inbox)\n")
    return message

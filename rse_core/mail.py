"""E-mail: a message is queued in the sender's transaction (it leaves only if that commits)
and delivered by a background job (retried with backoff if the server is down) through the
SMTP server of ``smtp_url``, or, with none configured, written as an ``.eml`` file under
``data_dir/mail`` so that an installation needs no mail server to run."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy.orm import Session

from .hooktypes import Job, JobContext
from .jobs.queue import enqueue
from .settings import Settings

MAIL_JOB = "core.mail"
SMTP_TIMEOUT = 30  # seconds; a job's lease is longer


def send_mail(
    session: Session,
    *,
    to: str,
    subject: str,
    text: str,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Queue a plain-text mail to ``to``; it is sent once ``session`` commits. ``headers``
    adds headers (``List-Unsubscribe``)."""
    payload: dict[str, object] = {"to": to, "subject": subject, "text": text}
    if headers:
        payload["headers"] = dict(headers)
    enqueue(session, MAIL_JOB, payload)


def build_message(
    settings: Settings,
    to: str,
    subject: str,
    text: str,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """The message as sent: UTF-8 text, with date and message id."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    domain = settings.mail_from.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    return message


def deliver(settings: Settings, message: EmailMessage) -> Path | None:
    """Send ``message`` through ``settings.smtp_url``; without one, write it to
    ``data_dir/mail`` and return the file's path. Raises on a refused or failed delivery."""
    if not settings.smtp_url:
        folder = Path(settings.data_dir) / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(message.as_bytes())
        return path
    url = urlsplit(settings.smtp_url)
    if url.scheme not in ("smtp", "smtps"):
        raise ValueError(f"smtp_url must start with smtp:// or smtps://, not {url.scheme}://")
    host = url.hostname or "localhost"
    context = ssl.create_default_context()
    if url.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, url.port or 465, timeout=SMTP_TIMEOUT, context=context
        )
    else:
        client = smtplib.SMTP(host, url.port or 25, timeout=SMTP_TIMEOUT)
    with client:
        client.ehlo()
        if url.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(message)
    return None


def _mail_job(ctx: JobContext) -> None:
    settings = ctx.runtime.settings
    payload = ctx.payload
    message = build_message(
        settings, payload["to"], payload["subject"], payload["text"], payload.get("headers")
    )
    deliver(settings, message)


#: The core's mail job (declared by the core's ``rse_jobs``).
MAIL = Job(MAIL_JOB, _mail_job, max_attempts=8)

"""Outbound webhooks: every activity POSTed, as Activity Streams 2.0 JSON, to the receivers
admins register, signed, in order per webhook, at least once.

A webhook keeps a **cursor**: the id of the last activity its receiver acknowledged (a 2xx).
The job ``core.webhooks`` walks each active webhook's activities after its cursor (the
company-wide ones, or its space's when a space's admin bound it there; of the verbs it chose)
and POSTs them one by one; the cursor moves in the same transaction as the delivery's log
line, after the receiver answered. A receiver that fails stops its webhook's walk (later
activities wait behind it, so the order holds) and is tried again after a backoff; a crash
between a POST and its commit sends that activity again (its ``X-Rse-Delivery`` id is the
same: receivers drop what they have seen). The job is queued (one keyed job) by every new
activity while any webhook is active, so nothing polls.

Each POST carries ``X-Rse-Signature: sha256=<hex HMAC-SHA256 of the body with the webhook's
secret>``, ``X-Rse-Delivery`` (``<webhook>-<activity>``) and ``X-Rse-Event`` (the verb). The
receiver's address goes through the same SSRF rules as a bookmark's title fetch: public
addresses only, but for the hosts the site trusts (``webhook_hosts``: internal tools).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx2
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from .activity import StreamEntry, as_activity_streams
from .content import Activity, Content
from .db import Base, UTCDateTime, utcnow
from .enablement import EVERYONE
from .hooktypes import Job, JobContext
from .identity.models import Space, User
from .jobs.queue import enqueue
from .net import UnsafeURL, checked_address, pinned_request
from .validation import ValidationError, clean_text

log = logging.getLogger(__name__)

JOB = "core.webhooks"
VERBS = ("create", "update", "comment", "status")
BATCH = 100  # activities per webhook and run; the job queues itself again for the rest
TIMEOUT = 10.0
MAX_URL = 2000
MAX_BACKOFF = timedelta(hours=6)
#: An activity is sent once this old: on PostgreSQL two transactions may commit their
#: activities out of id order, and the cursor must not pass one still committing.
SETTLE = timedelta(seconds=2)


class Webhook(Base):
    """A receiver of activities: company-wide, or bound to one space by one of its admins."""

    __tablename__ = "rse_webhook"
    __table_args__ = (Index("ix_rse_webhook_space", "space_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(MAX_URL))
    secret: Mapped[str] = mapped_column(String(100))
    #: The verbs sent, space-separated (all of ``VERBS`` by default).
    events: Mapped[str] = mapped_column(String(100))
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_space.id", ondelete="CASCADE"), nullable=True
    )
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("rse_user.id", ondelete="SET NULL"), nullable=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The last activity the receiver acknowledged (or skipped: not for this webhook).
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    """One POST to a receiver: what it answered (the webhook's log)."""

    __tablename__ = "rse_webhook_delivery"
    __table_args__ = (Index("ix_rse_webhook_delivery_hook", "webhook_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("rse_webhook.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    manual: Mapped[bool] = mapped_column(Boolean, default=False)  # "send again"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def clean_url(value: object, allowed_hosts: tuple[str, ...]) -> str:
    """A receiver's address: http(s), at most 2,000 characters, a public host or one the site
    trusts (``webhook_hosts``). A ValidationError names the field."""
    url = clean_text(value, "url", max_length=MAX_URL, required="Give the receiver's address.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": "Give an http or https address."})
    try:
        checked_address(url, allowed_hosts=allowed_hosts)
    except UnsafeURL as exc:
        raise ValidationError({"url": str(exc)}) from None
    return url


def clean_events(values: object) -> str:
    """The chosen verbs, stored space-separated (none chosen: every verb)."""
    chosen = [values] if isinstance(values, str) else list(values or [])
    unknown = [v for v in chosen if v not in VERBS]
    if unknown:
        raise ValidationError({"events": f"Choose among {', '.join(VERBS)}."})
    return " ".join(v for v in VERBS if v in chosen) or " ".join(VERBS)


def register(
    session: Session,
    actor: User,
    url: str,
    events: str,
    space: Space | None,
    secret: str | None = None,
) -> Webhook:
    """A new webhook, from the newest activity on (the past is not replayed)."""
    newest = session.scalar(select(func.max(Activity.id))) or 0
    hook = Webhook(
        url=url,
        secret=secret or secrets.token_urlsafe(32),
        events=events,
        space_id=space.id if space else None,
        created_by=actor.id,
        active=True,
        cursor=newest,
        failures=0,
        created_at=utcnow(),
    )
    session.add(hook)
    session.flush()
    return hook


@event.listens_for(Session, "after_flush")
def _note_activities(session: Session, _context: Any) -> None:
    """Remember that this transaction wrote an activity (any writer: an item, a comment)."""
    if any(isinstance(row, Activity) for row in session.new):
        session.info["rse_new_activity"] = True


@event.listens_for(Session, "before_commit")
def _nudge_on_commit(session: Session) -> None:
    """A transaction that wrote activities queues the delivery job before it commits."""
    if session.info.pop("rse_new_activity", False):
        nudge(session)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop("rse_new_activity", None)


def nudge(session: Session, at: datetime | None = None) -> None:
    """Queue the delivery job (one, keyed) if any webhook is active: done by every
    transaction that wrote an activity, before it commits, so the job sees it."""
    if session.scalar(select(Webhook.id).where(Webhook.active.is_(True)).limit(1)) is None:
        return
    enqueue(session, JOB, {}, run_at=at or utcnow() + SETTLE, key=JOB)


def _pending(session: Session, hook: Webhook, now: datetime) -> Any:
    """The webhook's settled activities after its cursor, oldest first: company-wide ones,
    or its space's; only of the verbs it chose; only of items still there."""
    audience = EVERYONE if hook.space_id is None else f"space:{hook.space_id}"
    return (
        select(Activity, Content)
        .join(Content, Content.id == Activity.content_id)
        .where(
            Activity.id > hook.cursor,
            Activity.created_at <= now - SETTLE,
            Activity.audience == audience,
            Activity.verb.in_(hook.events.split()),
            Content.deleted_at.is_(None),
        )
        .order_by(Activity.id)
        .limit(BATCH)
    )


def body_of(session: Session, activity: Activity, content: Content, base_url: str) -> bytes:
    """The JSON a receiver gets for an activity (Activity Streams 2.0, as the API's stream)."""
    actor = session.get(User, activity.actor_id)
    space = session.get(Space, activity.space_id) if activity.space_id else None
    entry = StreamEntry(activity=activity, content=content, actor=actor, space=space)
    document = as_activity_streams(entry, base_url)
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, body: bytes) -> str:
    """The ``X-Rse-Signature`` header of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Target:
    """What a POST needs of a webhook, read in one transaction and used outside it."""

    id: int
    url: str
    secret: str

    @classmethod
    def of(cls, hook: Webhook) -> Target:
        return cls(hook.id, hook.url, hook.secret)


def post(
    target: Target,
    activity_id: int,
    verb: str,
    body: bytes,
    allowed_hosts: tuple[str, ...],
    transport: httpx2.BaseTransport | None = None,
) -> tuple[int | None, str]:
    """POST one activity: (HTTP status or None, error text). The address is checked again
    and the connection pinned to it (a DNS answer cannot change in between)."""
    try:
        address = checked_address(target.url, allowed_hosts=allowed_hosts)
    except UnsafeURL as exc:
        return None, str(exc)
    headers = {
        "content-type": "application/activity+json",
        "user-agent": "rse-webhooks",
        "x-rse-delivery": f"{target.id}-{activity_id}",
        "x-rse-event": verb,
        "x-rse-signature": signature(target.secret, body),
    }
    try:
        with httpx2.Client(transport=transport, timeout=TIMEOUT, follow_redirects=False) as c:
            request = pinned_request(c, "POST", target.url, address, headers=headers, content=body)
            response = c.send(request)
    except httpx2.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if _ok(response.status_code):
        return response.status_code, ""
    return response.status_code, response.text[:500]


def _ok(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def _log(
    session: Session,
    hook_id: int,
    activity_id: int,
    answer: tuple[int | None, str],
    *,
    manual: bool = False,
) -> Delivery:
    """A line of the webhook's delivery log: what the receiver answered."""
    status, error = answer
    row = Delivery(
        webhook_id=hook_id,
        activity_id=activity_id,
        ok=_ok(status),
        status=status,
        error=error,
        manual=manual,
        created_at=utcnow(),
    )
    session.add(row)
    return row


def backoff(failures: int) -> timedelta:
    """How long a failing receiver rests: 30 s, 1 min, 2 min ... at most 6 hours."""
    return min(timedelta(seconds=30 * 2 ** max(failures - 1, 0)), MAX_BACKOFF)


def deliver_due(rt: Any, now: datetime, base_url: str) -> int:
    """Deliver what every active webhook has waiting (one short transaction per POST);
    return how many activities were acknowledged. Queues itself again for what is left."""
    hosts = tuple(rt.settings.webhook_hosts)
    delivered, again = 0, None
    with rt.db.read() as session:
        hooks = list(session.scalars(select(Webhook.id).where(Webhook.active.is_(True))))
    for hook_id in hooks:
        while True:
            with rt.db.write() as session:
                hook = session.get(Webhook, hook_id)
                if hook is None or not hook.active:
                    break
                if hook.retry_at is not None and hook.retry_at > now:
                    again = min(filter(None, (again, hook.retry_at)))
                    break
                batch = list(session.execute(_pending(session, hook, now)))
                skipped_to = _newest_settled(session, now) if not batch else None
                work = [(a.id, a.verb, body_of(session, a, c, base_url)) for a, c in batch]
                if skipped_to is not None and skipped_to > hook.cursor:
                    hook.cursor = skipped_to  # nothing of ours in between: jump ahead
                target = Target.of(hook)
            if not work:
                break
            stop = False
            for activity_id, verb, body in work:
                answer = post(target, activity_id, verb, body, hosts)
                with rt.db.write() as session:
                    hook = session.get(Webhook, hook_id)
                    if hook is None:
                        stop = True
                        break
                    if _log(session, hook.id, activity_id, answer).ok:
                        hook.cursor, hook.failures, hook.retry_at = activity_id, 0, None
                        delivered += 1
                    else:
                        hook.failures += 1
                        hook.retry_at = now + backoff(hook.failures)
                        again = min(filter(None, (again, hook.retry_at)))
                        stop = True
                        break
            if stop or len(work) < BATCH:
                break
    with rt.db.read() as session:
        young = session.scalar(
            select(Activity.id).where(Activity.created_at > now - SETTLE).limit(1)
        )
    if young is not None:
        again = min(filter(None, (again, now + SETTLE)))
    if again is not None:
        with rt.db.write() as session:
            enqueue(session, JOB, {"base_url": base_url}, run_at=again, key=JOB)
    return delivered


def _newest_settled(session: Session, now: datetime) -> int:
    newest = select(func.max(Activity.id)).where(Activity.created_at <= now - SETTLE)
    return session.scalar(newest) or 0


def send_again(rt: Any, delivery: Delivery, base_url: str) -> Delivery:
    """POST a logged delivery's activity again, now (an admin's "send again"): logged as a
    manual delivery; the cursor does not move."""
    with rt.db.read() as session:
        hook = session.get(Webhook, delivery.webhook_id)
        activity = session.get(Activity, delivery.activity_id)
        content = session.get(Content, activity.content_id) if activity else None
        if hook is None or activity is None or content is None or content.deleted_at:
            raise ValidationError({"delivery": "This activity is gone: nothing to send."})
        body = body_of(session, activity, content, base_url)
        target, verb = Target.of(hook), activity.verb
    answer = post(target, delivery.activity_id, verb, body, tuple(rt.settings.webhook_hosts))
    with rt.db.write() as session:
        row = _log(session, target.id, delivery.activity_id, answer, manual=True)
        session.flush()
        session.expunge(row)
    return row


def _job(ctx: JobContext) -> None:
    base_url = ctx.payload.get("base_url") or ctx.runtime.settings.public_url or ""
    deliver_due(ctx.runtime, ctx.now, base_url.rstrip("/"))


WEBHOOKS = Job(JOB, _job, lease=timedelta(minutes=10))

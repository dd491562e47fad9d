"""E-mail digests: what someone missed in their spaces, and from the people and tags they
follow, mailed daily or weekly when they choose it (off by default).

A digest is the reader's own stream, folded, since their last one: the same query as the home
page with their principals (``stream(..., following=...)``), so it never holds an item they
may not read, an item of a plugin not enabled for them, or a hidden item. The job
``core.digest`` is queued for each send time (one job per distinct time, whoever it is for:
7:00 in each time zone) and sends the digests whose ``next_at`` is past, each in its own short
transaction, in the language the reader chose, with a signed one-click unsubscribe link
(RFC 8058).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from textwrap import shorten
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ForeignKey, Index, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .activity import Following, StreamEntry, stream
from .content import Activity
from .db import Base, UTCDateTime, utcnow
from .hooktypes import Job, JobContext
from .i18n import LOCALES, N_
from .identity.models import Space, User
from .jobs.queue import enqueue
from .mail import send_mail
from .permissions import load_access
from .social import followed

FREQUENCIES = ("daily", "weekly")
SEND_HOUR = 7  # local time: the digest is there when the day starts
MAX_ITEMS = 15
BATCH = 100
DIGEST_JOB = "core.digest"
_SALT = "rse.digest.unsubscribe"


class DigestSubscription(Base):
    """Someone who chose a digest: how often, in which language, and where it got to."""

    __tablename__ = "rse_digest"
    __table_args__ = (Index("ix_rse_digest_next", "next_at"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )
    frequency: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(10), default="en")
    #: The site's address for the mail's links, as the subscriber reached it (``public_url``
    #: wins when set).
    base_url: Mapped[str] = mapped_column(String(300), default="")
    #: The newest activity the last digest covered: the next starts after it.
    last_activity_id: Mapped[int] = mapped_column(Integer, default=0)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _zone(user: User, site_zone: str) -> ZoneInfo:
    for name in (user.time_zone, site_zone):
        try:
            if name:
                return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def next_send(frequency: str, after: datetime, zone: ZoneInfo) -> datetime:
    """The next send time after ``after``: 7:00 local the next day (daily) or the next
    Monday (weekly), in UTC."""
    local = after.astimezone(zone)
    day = local.date() + timedelta(days=1)
    if frequency == "weekly":
        day += timedelta(days=(7 - day.weekday()) % 7)  # Monday
    moment = datetime.combine(day, time(SEND_HOUR), tzinfo=zone)
    return moment.astimezone(ZoneInfo("UTC"))


def subscription(session: Session, user_id: int) -> DigestSubscription | None:
    """The user's digest choice (None: off)."""
    return session.get(DigestSubscription, user_id)


def choose(
    session: Session,
    user: User,
    frequency: object,
    language: object,
    *,
    base_url: str,
    site_zone: str = "",
) -> DigestSubscription | None:
    """Set the user's digest: ``"off"``, ``"daily"`` or ``"weekly"``, in ``language``. A new
    digest starts from now (it does not mail the past)."""
    from .validation import ValidationError

    if frequency not in ("off", *FREQUENCIES):
        raise ValidationError({"frequency": "Choose off, daily or weekly."})
    if language not in LOCALES:
        raise ValidationError({"language": f"Choose one of: {', '.join(LOCALES)}."})
    current = session.get(DigestSubscription, user.id)
    if frequency == "off":
        if current is not None:
            session.delete(current)
        return None
    now = utcnow()
    zone = _zone(user, site_zone)
    if current is None:
        newest = session.scalar(select(func.max(Activity.id))) or 0
        current = DigestSubscription(user_id=user.id, last_activity_id=newest)
        session.add(current)
    changed = current.frequency != frequency
    current.frequency, current.language, current.base_url = str(frequency), str(language), base_url
    if changed:
        current.next_at = next_send(str(frequency), now, zone)
        schedule(session, current.next_at)
    session.flush()
    return current


def schedule(session: Session, at: datetime) -> None:
    """Make sure a ``core.digest`` job runs at ``at`` (one job per send time)."""
    enqueue(session, DIGEST_JOB, {}, run_at=at, key=f"{DIGEST_JOB}:{at:%Y-%m-%dT%H:%M}")


def unsubscribe_token(secret_key: str, user_id: int) -> str:
    """The signed token of a digest's unsubscribe link (it does not expire: an old mail's
    link still works)."""
    return URLSafeSerializer(secret_key, salt=_SALT).dumps(user_id)


def user_of_token(secret_key: str, token: str) -> int | None:
    """The user an unsubscribe token names, or None when forged or damaged."""
    try:
        value = URLSafeSerializer(secret_key, salt=_SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


@dataclass(frozen=True)
class Digest:
    """What one digest holds: the newest items (folded, at most :data:`MAX_ITEMS`), whether
    there are more, and the newest activity it covers."""

    entries: list[StreamEntry]
    more: bool
    newest: int


def collect(session: Session, user: User, after: int) -> Digest:
    """The reader's folded stream after activity ``after``: their spaces, the people, spaces
    and tags they follow; not what they did themselves."""
    access = load_access(session, user)
    following = Following.from_targets(followed(session, user.id))
    following = Following(
        following.user_ids,
        tuple(sorted(set(following.space_ids) | set(access.roles))),
        following.tags,
    )
    newest = session.scalar(select(func.max(Activity.id))) or after
    found = stream(
        session,
        access.principals,
        limit=MAX_ITEMS * 2 + 1,
        after=after,
        following=following,
        fold=True,
    )
    others = [e for e in found if e.actor.id != user.id]
    return Digest(others[:MAX_ITEMS], len(others) > MAX_ITEMS, newest)


VERBS = {
    "create": N_("%(name)s shared"),
    "update": N_("%(name)s updated"),
    "comment": N_("%(name)s commented on"),
    "status": N_("%(name)s changed the status of"),
}


def render(
    user: User,
    digest: Digest,
    translations: Any,
    language: str,
    base: str,
    since: datetime,
    token: str,
) -> tuple[str, str]:
    """The digest's subject and plain-text body, in ``language`` (``translations`` is its
    catalog)."""
    _ = translations.gettext
    lines = [
        _("Hello %(name)s,") % {"name": user.display_name},
        "",
        _("Since %(day)s, in your spaces and from what you follow:")
        % {"day": format_date(since.date(), "long", locale=language)},
        "",
    ]
    for entry in digest.entries:
        verb = _(VERBS.get(entry.activity.verb, VERBS["create"])) % {
            "name": entry.actor.display_name
        }
        title = entry.content.title or shorten(entry.content.summary, 80, placeholder="…")
        where = ""
        if isinstance(entry.space, Space):
            where = " " + _("in %(space)s") % {"space": entry.space.name}
        quoted = _("\u201c%(title)s\u201d") % {"title": title}
        lines += [f"- {verb} {quoted}{where}", f"  {base}{entry.content.url}", ""]
    if digest.more:
        lines += [_("And more on your home page: %(link)s") % {"link": f"{base}/"}, ""]
    lines += [
        "-- ",
        _("You receive this digest because you chose it: %(link)s")
        % {"link": f"{base}/notifications/settings"},
        _("Unsubscribe in one click: %(link)s") % {"link": f"{base}/digest/unsubscribe/{token}"},
    ]
    count = len(digest.entries)
    subject = translations.ngettext(
        "Your digest: %(count)d new item on the intranet",
        "Your digest: %(count)d new items on the intranet",
        count,
    ) % {"count": count}
    if digest.more:
        subject = translations.ngettext(
            "Your digest: over %(count)d new item on the intranet",
            "Your digest: over %(count)d new items on the intranet",
            count,
        ) % {"count": count}
    return subject, "\n".join(lines) + "\n"


def send_due(rt, now: datetime, *, limit: int = 10_000, everyone: bool = False) -> int:  # type: ignore[no-untyped-def]
    """Send every digest due at ``now`` (up to ``limit``; with ``everyone``, every
    subscriber's), each in its own transaction; returns how many mails were queued. A digest
    with nothing new is not sent, and moves on to its next time."""
    sent = 0
    after_user = 0
    while limit > 0:
        query = select(DigestSubscription.user_id).order_by(DigestSubscription.user_id)
        if not everyone:
            query = query.where(DigestSubscription.next_at <= now)
        with rt.db.read() as session:
            batch = list(
                session.scalars(
                    query.where(DigestSubscription.user_id > after_user).limit(min(BATCH, limit))
                )
            )
        if not batch:
            break
        for user_id in batch:
            with rt.db.write() as session:
                sent += _send_one(session, rt, user_id, now, everyone)
        after_user = batch[-1]
        limit -= len(batch)
    return sent


def _send_one(session: Session, rt, user_id: int, now: datetime, everyone: bool) -> int:  # type: ignore[no-untyped-def]
    sub = session.get(DigestSubscription, user_id)
    user = session.get(User, user_id)
    if sub is None or user is None or (sub.next_at > now and not everyone):
        return 0
    settings = rt.settings
    zone = _zone(user, settings.time_zone)
    sub.next_at = next_send(sub.frequency, now, zone)
    schedule(session, sub.next_at)
    if not user.is_active:
        return 0
    digest = collect(session, user, sub.last_activity_id)
    since = sub.last_sent_at or sub.created_at
    sub.last_activity_id = digest.newest
    sub.last_sent_at = now
    if not digest.entries:
        return 0
    base = (settings.public_url or sub.base_url or "http://localhost").rstrip("/")
    token = unsubscribe_token(settings.secret_key, user.id)
    translations = rt.catalogs.get(sub.language)
    subject, text = render(
        user, digest, translations, sub.language, base, since.astimezone(zone), token
    )
    link = f"{base}/digest/unsubscribe/{token}"
    send_mail(
        session,
        to=user.email,
        subject=subject,
        text=text,
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    return 1


def _digest_job(ctx: JobContext) -> None:
    send_due(ctx.runtime, ctx.now)


#: The job that sends the digests due, queued for each send time (declared by the core's
#: ``rse_jobs``).
DIGEST = Job(DIGEST_JOB, _digest_job, lease=timedelta(minutes=10))

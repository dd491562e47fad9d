"""Demo data: what ``make run`` shows a first-time visitor."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .adoption import UserDay, rollup
from .content import Activity, Content
from .db import utcnow
from .enablement import EVERYONE, PluginLogRow, set_enablement
from .identity.accounts import get_user
from .identity.demo import demo_logins
from .identity.models import User
from .meta import get_meta, set_meta
from .runtime import Runtime
from .social import add_comment, react

#: A conversation under Bruno's first company-wide item (else the first one any plugin
#: created), so that the home stream shows comments, likes and an item's activity folded into
#: one entry. It congratulates Bruno: under another author's wiki page it made no sense.
CONVERSATION = (
    ("hugo", "Staging looks good from the data side, thanks!"),
    ("emma", "Could you share the upgrade notes in the guild space?"),
    ("alice", "Great work, @bruno. Nice to see the release notes here rather than by e-mail."),
)
LIKES = ("alice", "chloe", "david", "hugo")

DEMO_KEY = "demo_loaded"


def load_demo(rt: Runtime, *, actor: str) -> tuple[bool, list[str]]:
    """Load demo data once; return (loaded now?, lines describing the demo logins)."""
    with rt.db.write() as session:
        if get_meta(session, DEMO_KEY):
            return False, demo_logins()
        for name in rt.plugins.plugin_names():
            set_enablement(session, name, enabled=True, audience=(EVERYONE,), actor=actor)
        rt.plugins.hook.rse_demo_data(session=session, settings=rt.settings)
        _add_conversation(session)
        _add_report(session)
        _add_community(session)
        _add_history(session, utcnow())
        set_meta(session, DEMO_KEY, "1")
    rollup(rt)  # the adoption dashboard's figures, at once
    return True, demo_logins()


def _add_conversation(session: Session) -> None:
    bruno = get_user(session, "bruno")
    company_wide = select(Content).where(Content.audience == EVERYONE).order_by(Content.id)
    first = None
    if bruno is not None:
        first = session.execute(
            company_wide.where(Content.author_id == bruno.id).limit(1)
        ).scalar_one_or_none()
    first = first or session.execute(company_wide.limit(1)).scalar_one_or_none()
    if first is None:  # no plugin made any content
        return
    for username, text in CONVERSATION:
        if (person := get_user(session, username)) is not None:
            add_comment(session, first, person, text)
    for username in LIKES:
        if (person := get_user(session, username)) is not None:
            react(session, first, person, "like")


def _add_report(session: Session) -> None:
    """One open report, so the community managers' queue shows what a report looks like."""
    from .moderation import file_report

    david = get_user(session, "david")
    if david is None:
        return
    item = session.execute(
        select(Content)
        .where(Content.audience == EVERYONE, Content.author_id != david.id)
        .order_by(Content.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if item is not None:
        file_report(session, david, item, None, "off-topic", "Is this the right place for it?")


GUIDELINES = """Our intranet is where we work in the open. A few rules keep it useful for everyone.

## Share
- **Post where it helps**: in the space of the team or project it concerns; company-wide when
  everyone should know.
- **Write for a newcomer**: a clear title, the context, a link to the document.
- **Credit people**: mention colleagues with @name, thank them with a like or a praise.

## Respect
- Be kind and constructive; criticise ideas, never people.
- No confidential customer data, no passwords, nothing you would not say in a meeting.
- Report what breaks these rules ("Report" under any item): a community manager looks at it.

Questions about these guidelines? Ask Chloé or Alice, our community managers.
"""


def _add_community(session: Session) -> None:
    """The company guidelines, one company-wide item pinned on everyone's home, and two
    digest subscriptions."""
    from zoneinfo import ZoneInfo

    from .community import end_of, pin, save_guidelines
    from .db import utcnow
    from .digests import choose

    chloe = get_user(session, "chloe")
    if chloe is None:
        return
    save_guidelines(session, chloe, GUIDELINES)
    item = session.execute(
        select(Content)
        .where(Content.audience == EVERYONE, Content.type.like("blog.%"))
        .order_by(Content.id)
        .limit(1)
    ).scalar_one_or_none()
    if item is None:
        item = session.execute(
            select(Content).where(Content.audience == EVERYONE).order_by(Content.id).limit(1)
        ).scalar_one_or_none()
    if item is not None:
        until = (utcnow() + timedelta(days=30)).date().isoformat()
        pin(session, chloe, item, None, end_of(until, ZoneInfo("UTC")))
    # Two community managers read the daily digest (in data_dir/mail without an SMTP server).
    for username, language in (("alice", "en"), ("chloe", "fr")):
        if (person := get_user(session, username)) is not None:
            sub = choose(session, person, "daily", language, base_url="http://127.0.0.1:8000")
            if sub is not None:
                sub.last_activity_id = 0  # the first one shows the demo's content


HISTORY_WEEKS = 6


def _add_history(session: Session, now: datetime) -> None:
    """Six weeks of history for the adoption dashboard: the demo's activity spread over them
    in the order it was written, people's visits on most working days, and two rollout
    phases: questions and answers piloted in one space and then opened to everyone, files
    opened to everyone three weeks ago (every other plugin was there from the start)."""
    start = now - timedelta(weeks=HISTORY_WEEKS)
    activities = list(session.scalars(select(Activity).order_by(Activity.id)))
    span = now - timedelta(hours=1) - start
    first_at: dict[int, datetime] = {}
    for n, activity in enumerate(activities):
        activity.created_at = start + span * (n + 1) / (len(activities) + 1)
        first_at.setdefault(activity.content_id, activity.created_at)
    for content in session.scalars(select(Content).where(Content.id.in_(list(first_at)))):
        content.created_at = first_at[content.id]
    logs = {row.name: row for row in session.scalars(select(PluginLogRow))}
    for row in logs.values():
        row.at = start - timedelta(days=7)
    question = next((a for a in activities if a.plugin == "qa" and a.space_id), None)
    if question is not None and "qa" in logs:
        pilot = logs["qa"]
        pilot.audience = json.dumps([f"space:{question.space_id}"])
        pilot.at = question.created_at - timedelta(days=2)
        opened = min(pilot.at + timedelta(days=14), now - timedelta(days=3))
        session.add(
            PluginLogRow(
                name="qa",
                action="enable",
                audience=json.dumps([EVERYONE]),
                previous=pilot.audience,
                actor="alice",
                at=opened,
            )
        )
    if "files" in logs:
        logs["files"].at = now - timedelta(weeks=3)
    chance = random.Random(2026)
    for user_id in session.scalars(select(User.id)):
        day = start.date()
        while day <= now.date():
            if day.weekday() < 5 and chance.random() < 0.8:
                session.merge(UserDay(day=day, user_id=user_id, visited=True, contributions=0))
            day += timedelta(days=1)

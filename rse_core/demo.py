"""Demo data: what ``make run`` shows a first-time visitor."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .content import Content
from .enablement import EVERYONE, set_enablement
from .identity.accounts import get_user
from .identity.demo import demo_logins
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
        set_meta(session, DEMO_KEY, "1")
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

"""What a write transaction changed that a derived table must follow when it commits.

The write path (``content.publish``, ``social.react``, ``accounts.update_profile``, a plugin's
``refresh_expertise``) only marks what changed, in the session; the listener that keeps the
derived table (``expertise.watch_evidence``) reads the marks at commit, in the same
transaction. Marking costs nothing, and the modules that mark need not know who listens.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

ITEMS = "rse_changed_items"
SKILLS = "rse_changed_skills"


def mark_item(session: Session, content_id: int) -> None:
    """An item's evidence of expertise may have changed (its tags, likes, plugin rows)."""
    session.info.setdefault(ITEMS, set()).add(content_id)


def mark_skills(session: Session, user_id: int) -> None:
    """A person's declared skills changed."""
    session.info.setdefault(SKILLS, set()).add(user_id)


def take(session: Session, key: str) -> set[int]:
    """The marks of ``key`` (``ITEMS`` or ``SKILLS``), cleared."""
    return session.info.pop(key, None) or set()

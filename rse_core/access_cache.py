"""What every request needs to know about access, kept by each worker while it is current.

The plugins' enablement, the public spaces, the permission overrides and each user's
memberships change rarely and every request reads them. A worker keeps them in memory,
tagged with the **access generation**: a counter in the database (``rse_generation``) that
every write touching memberships, spaces, plugin enablement or permission overrides (or
deleting a user) bumps in its own transaction. The bump is a session event on the database's
sessions (a flush of such an object, or an ORM ``insert``/``update``/``delete`` of such a
table), so no write path can forget it.

A request reads the counter first (one row by its key) and uses what the worker holds only
when its tag matches. A change is therefore seen by every worker on its next request, as when
everything was read per request, and a permission is never stale. What a request loaded is
kept only if the generation has not moved on meanwhile, so a slow request cannot put old
data back under a new tag.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy import Integer, select, update
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from .db import Base, Database
from .enablement import PluginStateRow
from .identity.models import Membership, PermissionOverride, Space, User

T = TypeVar("T")

#: Writes to these tables change what someone may see or do.
WATCHED: tuple[type, ...] = (Membership, Space, PluginStateRow, PermissionOverride)
#: Deleting one of these drops its memberships too (by the foreign keys' cascade).
WATCHED_DELETES: tuple[type, ...] = (User,)
MAX_USERS = 20_000  # members' roles kept per worker (least recently used dropped)
_MISSING = object()


class AccessGeneration(Base):
    """The one row whose ``value`` grows with every change of access (see the module)."""

    __tablename__ = "rse_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


_GENERATION = select(AccessGeneration.value).where(AccessGeneration.id == 1)


def current_generation(session: Session) -> int:
    """The access generation as the database holds it now (every request reads it)."""
    return session.execute(_GENERATION).scalar_one()


def bump(session: Session) -> None:
    """Move the access generation on, in ``session``'s transaction (workers drop what they
    hold on their next request once it commits)."""
    session.connection().execute(
        update(AccessGeneration)
        .where(AccessGeneration.id == 1)
        .values(value=AccessGeneration.value + 1)
    )


def _bump_on_flush(session: Session, _context: Any, _instances: Any) -> None:
    changed = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(obj, WATCHED) for obj in changed) or any(
        isinstance(obj, WATCHED_DELETES) for obj in session.deleted
    ):
        bump(session)


def _bump_on_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    watched = WATCHED + WATCHED_DELETES if state.is_delete else WATCHED
    if any(mapper.class_ in watched for mapper in state.all_mappers):
        bump(state.session)


def watch_writes(db: Database) -> None:
    """Bump the access generation whenever a session of ``db`` writes a watched table."""
    db.listen("before_flush", _bump_on_flush)
    db.listen("do_orm_execute", _bump_on_statement)


class AccessCache:
    """One worker's copy of the access data of one generation (thread-safe)."""

    def __init__(self, max_users: int = MAX_USERS) -> None:
        self.generation = -1
        self.max_users = max_users
        self._lock = threading.Lock()
        self._shared: dict[str, Any] = {}
        self._timed: dict[str, tuple[float, Any]] = {}
        self._roles: OrderedDict[int, dict[int, str]] = OrderedDict()
        self._per_user: dict[int, dict[str, Any]] = {}

    def observe(self, generation: int) -> None:
        """A request read ``generation``: a newer one drops everything held."""
        with self._lock:
            if generation > self.generation:
                self.generation = generation
                self._shared = {}
                self._timed = {}
                self._roles = OrderedDict()
                self._per_user = {}

    def shared(self, generation: int, key: str, load: Callable[[], T]) -> T:
        """What ``load()`` returns, kept under ``key`` while ``generation`` is current (the
        same for every user: plugin states, public spaces, overrides)."""
        with self._lock:
            if generation == self.generation and key in self._shared:
                return self._shared[key]
        value = load()
        with self._lock:
            if generation == self.generation:
                self._shared[key] = value
        return value

    def for_user(self, generation: int, user_id: int, key: str, build: Callable[[], T]) -> T:
        """What ``build()`` returns for a user, kept under ``key`` while ``generation`` is
        current and while the user's roles are held: their read scope (``ReadScope``:
        thousands of principals when there are thousands of public spaces, and their JSON),
        the names of their spaces (someone in 500 spaces: 1 ms a page)."""
        with self._lock:
            if generation == self.generation and user_id in self._roles:
                held = self._per_user.get(user_id, {}).get(key, _MISSING)
                if held is not _MISSING:
                    return held
        value = build()
        with self._lock:
            if generation == self.generation and user_id in self._roles:
                self._per_user.setdefault(user_id, {})[key] = value
        return value

    def timed(self, generation: int, key: str, seconds: float, load: Callable[[], T]) -> T:
        """What ``load()`` returns, kept under ``key`` for ``seconds`` at most while
        ``generation`` is current (data every reader shares that may lag a little, such as
        the week's trending tags: ``rse_core.web.tally``)."""
        now = time.monotonic()
        with self._lock:
            held = self._timed.get(key)
            if generation == self.generation and held is not None and held[0] > now:
                return held[1]
        value = load()
        with self._lock:
            if generation == self.generation and seconds > 0:
                self._timed[key] = (now + seconds, value)
        return value

    @property
    def users_held(self) -> int:
        """How many users' roles this worker holds now."""
        return len(self._roles)

    def roles(self, generation: int, session: Session, user_id: int) -> Mapping[int, str]:
        """A user's role in each space they belong to, by space id."""
        with self._lock:
            if generation == self.generation and user_id in self._roles:
                self._roles.move_to_end(user_id)
                return self._roles[user_id]
        query = select(Membership.space_id, Membership.role).where(Membership.user_id == user_id)
        roles = dict(session.execute(query).all())
        with self._lock:
            if generation == self.generation:
                self._roles[user_id] = roles
                if len(self._roles) > self.max_users:
                    dropped, _ = self._roles.popitem(last=False)
                    self._per_user.pop(dropped, None)
        return roles

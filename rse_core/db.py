"""Engine, sessions and the declarative Base.

The choice of how endpoints reach the database is kept here, in one place:

* ``Database.read()`` opens a session for reads. On SQLite it starts a deferred transaction,
  so readers never block writers (WAL mode); on PostgreSQL a ``READ ONLY`` one, ended by
  ``COMMIT`` so that the connection keeps its prepared statements.
* ``Database.write()`` opens a session that commits on success and rolls back on error. On
  SQLite it starts with ``BEGIN IMMEDIATE``: the write lock is taken up front, so two
  concurrent writers queue on ``busy_timeout`` instead of failing with "database is locked"
  when a read transaction tries to upgrade to a write.
* ``Database.reads_together()`` makes every ``read()`` inside it share one session: a page
  that reads in ten places (the stream, each widget, the bell) checks out one connection and
  runs one transaction instead of ten (~0.1 ms each on SQLite, a round trip more on
  PostgreSQL). For synchronous code only: a session held across an ``await`` would keep its
  connection while the worker's other requests wait for the pool (see docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from .sql_sets import compares_large_set

SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Each SQLite connection's page cache (SQLite's default is 2 MB). A home page at 10,000,000
#: activities touches ~600 pages (4 KB each) of indexes and rows: with 2 MB every page re-read
#: them from the OS (~640 ``pread`` a page, counted with strace over 100 readers' homes); with
#: 16 MB they stay (docs/performance.md, 2026-12-07). A write by another connection empties it.
SQLITE_CACHE_KIB = 16_384

#: The PostgreSQL extensions the schema uses, created by its migrations (``pg_trgm``: the
#: people directory's trigram index, core_0028) and before a restore. Into ``public``, so that
#: every schema of a database shares them; the lock keeps two migrations side by side (the
#: tests, a schema each) from creating one twice.
POSTGRES_EXTENSIONS = (
    "SELECT pg_advisory_xact_lock(7382028)",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every table of the core and of plugins."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored naive in UTC and always returned timezone-aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def dialect_insert(session: Session) -> Any:
    """The ``insert`` construct of the session's database (PostgreSQL's or SQLite's), for
    ``on_conflict_do_nothing`` / ``on_conflict_do_update``, which plain ``insert`` lacks."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite turn on WAL, foreign keys, busy_timeout and explicit BEGINs."""
    if not url.startswith("sqlite"):
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
        event.listen(engine, "do_execute", _execute_large_sets_unprepared)
        return engine
    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if ":memory:" not in url:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("rse_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _execute_large_sets_unprepared(
    cursor: Any, statement: str, parameters: Any, _context: Any
) -> bool | None:
    """Run a statement comparing a large set unprepared, so that PostgreSQL never plans it
    generically (``rse_core.sql_sets``); ``None`` lets SQLAlchemy run the others."""
    if not compares_large_set(statement):
        return None
    cursor.execute(statement, parameters, prepare=False)
    return True


T = TypeVar("T")
#: ``Session.info`` key marking the sessions of :meth:`Database.read`.
READING = "rse_reading"


def once_per_read(session: Session, key: Hashable, load: Callable[[], T]) -> T:
    """``load()``'s answer, asked once per read session (:meth:`Database.read`, shared by a
    whole page): a page whose parts ask the same (what the reader follows: the stream's
    filter and the questions widget) reads it once. A write session reads every time: what
    it wrote since would not show."""
    if not session.info.get(READING):
        return load()
    kept = session.info.setdefault("rse_kept", {})
    if key not in kept:
        kept[key] = load()
    return kept[key]


class _SharedReads:
    """The session the ``read()`` blocks of one ``reads_together()`` share, opened at the
    first of them."""

    def __init__(self, maker: sessionmaker[Session], finish: Callable[[Session], None]) -> None:
        self.maker = maker
        self.finish = finish
        self.session: Session | None = None

    def get(self) -> Session:
        if self.session is None:
            self.session = self.maker()
        return self.session

    def end(self, finished: bool = False) -> None:
        """Close the session, its transaction ended by ``finish`` when the reads ran to the
        end (``finished``), rolled back otherwise (a failed statement may have ended it on
        PostgreSQL)."""
        if self.session is not None:
            if finished:
                self.finish(self.session)
            self.session.close()
            self.session = None


def _commit_read(session: Session) -> None:
    """End a PostgreSQL read session's ``READ ONLY`` transaction with ``COMMIT``, its objects
    detached first so that nothing is flushed: a ``ROLLBACK`` would make psycopg forget the
    statements it prepared on the connection (docs/architecture.md)."""
    session.expunge_all()
    session.commit()


def _roll_back_read(session: Session) -> None:
    """End a SQLite read session: closing it rolls back, so that nothing written in it
    stays (SQLite has no read-only transaction to refuse the write)."""


class Database:
    """One engine and the ways to open a session on it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        reads = self.engine
        self._end_read = _roll_back_read
        if self.engine.dialect.name == "postgresql":
            reads = self.engine.execution_options(postgresql_readonly=True)
            self._end_read = _commit_read
        self._reader = sessionmaker(reads, expire_on_commit=False, info={READING: True})
        # Shared by several read() blocks: a change made to an object after its block (a
        # display tweak) must not be flushed by the next block's query.
        self._shared_reader = sessionmaker(
            reads, expire_on_commit=False, autoflush=False, info={READING: True}
        )
        self._writer = sessionmaker(
            self.engine.execution_options(rse_write=True), expire_on_commit=False
        )
        self._shared: ContextVar[_SharedReads | None] = ContextVar(f"rse_reads_{id(self)}")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing written in it stays (PostgreSQL's read transaction
        is ``READ ONLY``, SQLite's is rolled back). Objects loaded in it stay usable
        (detached, not expired) after the block. Inside ``reads_together()`` it is that
        block's shared session."""
        shared = self._shared.get(None)
        if shared is not None:
            try:
                yield shared.get()
            except BaseException:
                shared.end()  # a failed statement may have ended the transaction (PostgreSQL)
                raise
            return
        with self._reader() as session:
            yield session
            self._end_read(session)

    @contextmanager
    def reads_together(self) -> Iterator[None]:
        """Every ``read()`` inside shares one session, one connection and one transaction
        (one snapshot of the database), ended when the block ends or a ``write()`` begins (so
        what is read after a write sees it). Nested, the outer block's session serves.

        Only around synchronous code (a page's rendering): a block that spans an ``await``
        holds its connection while the worker's other requests run, and enough of them
        waiting for the pool would stall the worker."""
        if self._shared.get(None) is not None:
            yield
            return
        shared = _SharedReads(self._shared_reader, self._end_read)
        token = self._shared.set(shared)
        finished = False
        try:
            yield
            finished = True
        finally:
            self._shared.reset(token)
            shared.end(finished)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session that commits when the block ends normally and rolls back on error."""
        shared = self._shared.get(None)
        if shared is not None:
            shared.end()  # reads after this write see it
        with self._writer() as session, session.begin():
            yield session

    def listen(self, identifier: str, fn: Any) -> None:
        """Listen to a session event (``before_flush``, ...) of every session this opens."""
        for maker in (self._reader, self._writer):
            event.listen(maker, identifier, fn)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

"""SQLite set-up: WAL, foreign keys, busy timeout, page cache, and concurrent writers that never
collide; read sessions that write nothing and, on PostgreSQL, keep their prepared statements."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Integer, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rse_core.db import Database, UTCDateTime
from rse_core.sql_sets import LARGE_SET, in_set
from rse_core.testing import make_settings, on_postgres


def test_sqlite_pragmas(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        # A page's working set at the seeds' scale (~600 pages of 4 KB) stays in the cache.
        assert session.execute(text("PRAGMA cache_size")).scalar() <= -16_384
    db.dispose()


def test_concurrent_read_modify_write_transactions_neither_fail_nor_lose_updates(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    with db.write() as session:
        session.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        session.execute(text("INSERT INTO counter VALUES (0)"))
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(25):
                with db.write() as session:  # reads first, then writes: the classic deadlock
                    n = session.execute(text("SELECT n FROM counter")).scalar_one()
                    session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.read() as session:
        assert session.execute(text("SELECT n FROM counter")).scalar_one() == 200
    db.dispose()


def test_write_rolls_back_on_error(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    with db.write() as session:
        session.execute(text("CREATE TABLE t (n INTEGER)"))
    try:
        with db.write() as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    with db.read() as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
    db.dispose()


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "row"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class _Stamp(_Base):
    __tablename__ = "stamp"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


def test_utc_datetime_round_trips_aware(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'u.db'}")
    _Base.metadata.create_all(db.engine)
    paris = timezone(timedelta(hours=1))
    with db.write() as session:
        session.add(_Stamp(id=1, at=datetime(2026, 1, 1, 13, 0, tzinfo=paris)))
    with db.read() as session:
        at = session.get(_Stamp, 1).at
    assert at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC) and at.tzinfo is UTC
    db.dispose()


def test_reads_together_share_one_session_until_a_write(tmp_path):
    """Inside ``reads_together`` every ``read()`` is one session (one connection, one
    transaction); a ``write()`` ends it, so what is read next sees the write; a failed read
    ends it too; nested blocks share the outer one's."""
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    with db.write() as session:
        session.execute(text("CREATE TABLE t (n INTEGER NOT NULL)"))
    count = text("SELECT count(*) FROM t")
    with db.reads_together():
        with db.read() as first:
            assert first.execute(count).scalar() == 0
        with db.read() as second:
            assert second is first
        with db.reads_together(), db.read() as nested:
            assert nested is first
        with db.write() as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
        with db.read() as third:
            assert third is not first  # a new transaction: it sees the row
            assert third.execute(count).scalar() == 1
        try:
            with db.read() as failing:
                failing.execute(text("SELECT * FROM no_such_table"))
        except Exception:
            pass
        with db.read() as after_failure:
            assert after_failure is not third
            assert after_failure.execute(count).scalar() == 1
    with db.read() as outside:
        assert outside is not after_failure  # the block's session ended with it
    db.dispose()


def test_reads_outside_reads_together_each_have_their_own_session(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'o.db'}")
    with db.read() as first, db.read() as second:
        assert first is not second
    db.dispose()


def test_nothing_written_in_a_read_session_stays(tmp_path):
    """A statement that writes inside ``read()`` leaves nothing (PostgreSQL refuses it: the
    transaction is read-only; SQLite's is rolled back), and an object changed after it was
    read (a display tweak) is never flushed when a shared read session ends."""
    db = Database(make_settings(tmp_path).database_url)
    _Base.metadata.create_all(db.engine)
    with db.write() as session:
        session.add(_Row(id=1, n=1))
    try:
        with db.read() as session:
            session.execute(text("UPDATE row SET n = 2"))
    except DBAPIError as error:
        assert on_postgres() and "read-only" in str(error.orig)
    else:
        assert not on_postgres()
    with db.reads_together():
        with db.read() as session:
            row = session.get(_Row, 1)
        row.n = 3
        with db.read() as session:
            session.execute(text("SELECT 1"))
    with db.read() as session:
        assert session.execute(text("SELECT n FROM row")).scalar_one() == 1
    db.dispose()


def test_postgres_read_sessions_keep_their_prepared_statements(tmp_path):
    """psycopg prepares a statement a connection runs five times, but forgets it at a
    ``ROLLBACK``: read sessions end with ``COMMIT`` so that a page's statements are parsed
    (and possibly planned) once per connection, not once per page."""
    if not on_postgres():
        pytest.skip("prepared statements are psycopg's and PostgreSQL's")
    db = Database(make_settings(tmp_path).database_url)
    _Base.metadata.create_all(db.engine)
    count = text("SELECT count(*) FROM row WHERE n > :n")
    for _ in range(6):
        with db.reads_together(), db.read() as session:
            session.execute(count, {"n": 0}).scalar_one()
    for _ in range(6):
        with db.read() as session:
            session.execute(count, {"n": 1}).scalar_one()
    with db.read() as session:
        prepared = session.execute(text("SELECT statement FROM pg_prepared_statements")).all()
    assert prepared == [("SELECT count(*) FROM row WHERE n > $1",)]
    db.dispose()


def test_postgres_never_prepares_a_statement_comparing_a_large_set(tmp_path):
    """A prepared statement may get a generic plan, which searches an array parameter from
    end to end for every row: a statement comparing a large set is planned with its values,
    every time."""
    if not on_postgres():
        pytest.skip("prepared statements are psycopg's and PostgreSQL's")
    db = Database(make_settings(tmp_path).database_url)
    _Base.metadata.create_all(db.engine)
    for size in (LARGE_SET, LARGE_SET + 1):
        numbers = select(_Row.id).where(in_set(_Row.n, range(size), integers=True))
        for _ in range(6):
            with db.read() as session:
                session.execute(numbers).all()
    with db.read() as session:
        prepared = session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert len(prepared) == 1 and "row.n = ANY(" in prepared[0]
    db.dispose()

"""SQLite set-up: WAL, foreign keys, busy timeout, and concurrent writers that never collide."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Integer, text
from sqlalchemy.orm import Mapped, mapped_column

from rse_core.db import Database


def test_sqlite_pragmas(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
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


def test_utc_datetime_round_trips_aware(tmp_path):
    from sqlalchemy.orm import DeclarativeBase

    from rse_core.db import UTCDateTime

    class LocalBase(DeclarativeBase):
        pass

    class Stamp(LocalBase):
        __tablename__ = "stamp"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        at: Mapped[datetime] = mapped_column(UTCDateTime)

    db = Database(f"sqlite:///{tmp_path / 'u.db'}")
    LocalBase.metadata.create_all(db.engine)
    paris = timezone(timedelta(hours=1))
    with db.write() as session:
        session.add(Stamp(id=1, at=datetime(2026, 1, 1, 13, 0, tzinfo=paris)))
    with db.read() as session:
        at = session.get(Stamp, 1).at
    assert at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC) and at.tzinfo is UTC
    db.dispose()

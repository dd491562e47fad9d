"""The one writer: drains the search outbox into the index, in batches, after commit.

Exactly one process writes the index at a time: whoever writes holds the backend's writer
lock (whoosh: an exclusive ``flock`` on ``<data dir>/search.lock``; PostgreSQL: an advisory
lock) for the length of one drain (or one rebuild). Every web worker tries every half second
(and right after its own writes); a busy lock means another worker is draining.
``rse search indexer`` can run the same loop as its own process instead
(``RSE_SEARCH_INDEXER=external``).
The database is the truth: outbox rows are deleted only after the index committed, so a crash
between the two re-indexes the batch (updates are idempotent) and loses nothing.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import delete, select

from ..content import SearchOutbox
from ..db import Database
from ..plugins import PluginRegistry
from .backend import SearchBackend
from .documents import (
    all_documents,
    content_documents,
    count_documents,
    people_documents,
    space_documents,
)

log = logging.getLogger(__name__)
BATCH = 500


def drain(db: Database, backend: SearchBackend, *, batch: int = BATCH) -> int:
    """Index what the outbox lists, batch by batch; returns how many entries were handled.
    The caller holds the writer lock."""
    handled = 0
    while True:
        with db.read() as session:
            rows = list(
                session.execute(
                    select(
                        SearchOutbox.id,
                        SearchOutbox.content_id,
                        SearchOutbox.user_id,
                        SearchOutbox.space_id,
                    )
                    .order_by(SearchOutbox.id)
                    .limit(batch)
                ).all()
            )
            if not rows:
                return handled
            wanted = {
                prefix: sorted({getattr(row, column) for row in rows} - {None})
                for prefix, column in (("c", "content_id"), ("u", "user_id"), ("s", "space_id"))
            }
            documents = [
                *content_documents(session, wanted["c"]),
                *people_documents(session, wanted["u"]),
                *space_documents(session, wanted["s"]),
            ]
        present = {d.key for d in documents}
        gone = [
            key
            for prefix, ids in wanted.items()
            for key in (f"{prefix}:{i}" for i in ids)
            if key not in present
        ]
        backend.write(documents, gone)
        with db.write() as session:
            # Exactly the rows read, not "id <= last": on PostgreSQL ids are taken at insert
            # and committed in any order, so a lower id may have committed since the read.
            session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows])))
        handled += len(rows)


def build_if_empty(db: Database, backend: SearchBackend, plugins: PluginRegistry) -> int:
    """Fill a new, empty index from the database (a first start, or an installation that
    existed before search); returns how many documents were written."""
    if backend.count() > 0:
        return 0
    with db.read() as session:
        if count_documents(session) == 0:
            return 0
        return backend.rebuild(all_documents(session, plugins))


class BackgroundIndexer:
    """Drains the outbox every ``interval`` seconds in a thread, if this process holds the
    writer lock (the first worker to start does; the others stay searchers)."""

    def __init__(
        self,
        db: Database,
        backend: SearchBackend,
        plugins: PluginRegistry,
        interval: float = 0.5,
    ) -> None:
        self.db, self.backend, self.plugins, self.interval = db, backend, plugins, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def start(self) -> None:
        """Start the thread (a no-op loop when another process is the indexer)."""
        self._thread = threading.Thread(target=self._run, name="rse-indexer", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Drain now rather than at the next tick (called after a write commits)."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the current batch and stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        with self.backend.writer_lock(wait=False) as mine:
            if mine:
                try:
                    build_if_empty(self.db, self.backend, self.plugins)
                except Exception:
                    log.exception("building the search index failed; run `rse search reindex`")
        while not self._stop.is_set():
            # The lock is held only while draining: other workers, `rse search reindex` and
            # `rse search check --fix` take their turn; a busy lock means someone else drains.
            with self.backend.writer_lock(wait=False) as mine:
                if mine:
                    try:
                        drain(self.db, self.backend)
                    except Exception:
                        log.exception("search indexing failed; retrying")
            self._wake.wait(self.interval)
            self._wake.clear()

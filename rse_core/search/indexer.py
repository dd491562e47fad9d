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
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from ..content import SearchOutbox
from ..db import Database, utcnow
from ..meta import MetaRow, get_meta, set_meta
from ..plugins import PluginRegistry
from ..settings import Settings
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
#: Up to this many documents, a missing index is built in the web process's indexer thread
#: (well under a second). Beyond, ``rse search reindex --background`` builds it in a process
#: of its own at a lower priority: the web workers keep serving at full speed meanwhile, and
#: stop at once when asked (a 100,000-item build held a worker at 100 % CPU for two minutes).
INLINE_BUILD_MAX = 2_000
#: Meta key: when a background rebuild started (cleared when it ends).
REBUILD_MARK = "search_rebuild_started"
#: A rebuild process gets this long to start and take the writer lock.
REBUILD_GRACE = timedelta(seconds=60)
#: While the index waits for a background rebuild, check this often that one is running.
RECHECK_SECONDS = 10


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


def documents_to_build(db: Database, backend: SearchBackend) -> int:
    """How many documents a missing index must be built with: 0 when the index is in use
    (it has documents and the current schema) or the database holds nothing searchable."""
    if backend.count() > 0:
        return 0
    with db.read() as session:
        return count_documents(session)


def build_if_empty(db: Database, backend: SearchBackend, plugins: PluginRegistry) -> int:
    """Fill a new, empty index from the database (a first start, or an installation that
    existed before search); returns how many documents were written."""
    if documents_to_build(db, backend) == 0:
        return 0
    with db.read() as session:
        return backend.rebuild(all_documents(session, plugins))


def mark_rebuild(db: Database, started: datetime | None) -> None:
    """Record that a background rebuild started (``started``), or that it ended (None)."""
    with db.write() as session:
        if started is None:
            session.execute(delete(MetaRow).where(MetaRow.key == REBUILD_MARK))
        else:
            set_meta(session, REBUILD_MARK, started.isoformat())


def rebuild_in_progress(db: Database, backend: SearchBackend) -> bool:
    """Whether a background rebuild is running now (for the "being rebuilt" notice): it was
    marked, and its process holds the writer lock (or is still starting)."""
    with db.read() as session:
        mark = get_meta(session, REBUILD_MARK)
    if mark is None:
        return False
    if utcnow() - datetime.fromisoformat(mark) < REBUILD_GRACE:
        return True
    with backend.writer_lock(wait=False) as free:
        return not free  # nobody holds it: the rebuild died; the mark is stale


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment variables that give a child ``rse`` process this installation."""
    env = {
        "RSE_DATA_DIR": str(settings.data_dir),
        "RSE_DATABASE_URL": settings.database_url,
        "RSE_SEARCH_BACKEND": settings.search_backend,
        "RSE_LOAD_ENTRY_POINTS": "1" if settings.load_entry_points else "0",
    }
    if settings.secret_key:
        env["RSE_SECRET_KEY"] = settings.secret_key
    return env


class BackgroundIndexer:
    """Drains the outbox every ``interval`` seconds in a thread, if this process holds the
    writer lock (the first worker to start does; the others stay searchers)."""

    def __init__(
        self,
        db: Database,
        backend: SearchBackend,
        plugins: PluginRegistry,
        interval: float = 0.5,
        settings: Settings | None = None,
    ) -> None:
        self.db, self.backend, self.plugins, self.interval = db, backend, plugins, interval
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self.rebuild: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the thread (a no-op loop when another process is the indexer)."""
        self._thread = threading.Thread(target=self._run, name="rse-indexer", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Drain now rather than at the next tick (called after a write commits)."""
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop: end a background rebuild this process started (the next start begins it
        again), and wait up to ``timeout`` seconds for the current batch (one cut short is
        indexed again: the outbox keeps its rows until the index committed)."""
        self._stop.set()
        self._wake.set()
        if self.rebuild is not None and self.rebuild.poll() is None:
            self.rebuild.terminate()
            try:
                self.rebuild.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.rebuild.kill()
                self.rebuild.wait()
            mark_rebuild(self.db, None)  # it ended: the next start begins it again
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    def _build_or_delegate(self) -> bool:
        """Build a missing index here if it is small; else start a background rebuild,
        unless one is running. True while the index still waits for its documents."""
        with self.backend.writer_lock(wait=False) as mine:
            if not mine:
                return False  # another process indexes; it decides
            try:
                wanted = documents_to_build(self.db, self.backend)
                if 0 < wanted <= INLINE_BUILD_MAX or (wanted and self.settings is None):
                    build_if_empty(self.db, self.backend, self.plugins)
                    return False
            except Exception:
                log.exception("building the search index failed; run `rse search reindex`")
                return False
        if not wanted:
            return False
        if not rebuild_in_progress(self.db, self.backend):
            self._start_rebuild(wanted)
        return True

    def _start_rebuild(self, documents: int) -> None:
        assert self.settings is not None
        mark_rebuild(self.db, utcnow())
        log.warning(
            "the search index is empty or outdated: rebuilding %d documents in the"
            " background; search answers partly until it is done",
            documents,
        )
        self.rebuild = subprocess.Popen(
            [sys.executable, "-m", "rse_core.cli", "search", "reindex", "--background"],
            env={**os.environ, **settings_env(self.settings)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )

    def _run(self) -> None:
        waiting = self._build_or_delegate()
        checked = time.monotonic()
        while not self._stop.is_set():
            if waiting and time.monotonic() - checked > RECHECK_SECONDS:
                # A rebuild that died (or another worker's that was stopped) is started again.
                waiting, checked = self._build_or_delegate(), time.monotonic()
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

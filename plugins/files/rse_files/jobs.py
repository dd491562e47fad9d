"""The plugin's background jobs: a blob's preview (thumbnail and words for search), and the
daily purge of the trash and of the blobs nothing holds any more."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select

from rse_core import JobContext

from . import service
from .models import Blob, File, Version
from .storage import Storage, blob_key, storage_for, thumbnail_key

log = logging.getLogger(__name__)


@contextmanager
def local_copy(storage: Storage, key: str) -> Iterator[Path]:
    """The stored bytes as a local file: the store's own where it is a disk, else a
    temporary copy (removed afterwards)."""
    path = storage.local_path(key)
    if path is not None:
        yield path
        return
    fd, name = tempfile.mkstemp(prefix="preview-", dir=storage.staging())
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in storage.read(key):
                fh.write(chunk)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def preview(ctx: JobContext) -> None:
    """``files.preview {"sha256"}``: make the blob's thumbnail and read its words, then
    index them with every file whose current version it is."""
    sha = str(ctx.payload.get("sha256", ""))
    storage = storage_for(ctx.runtime.settings)
    with ctx.runtime.db.read() as session:
        blob = session.get(Blob, sha)
        if blob is None or blob.preview != "pending":
            return
        sniffed = blob.sniffed
        # A blob's words depend on what it is: the name of its newest upload tells a .docx
        # from an .xlsx (both are zip packages).
        name = (
            session.scalar(
                select(Version.name)
                .where(Version.sha256 == sha)
                .order_by(Version.created_at.desc())
            )
            or ""
        )
    # Imported here: its readers (Pillow and the documents' parsers) are loaded by the
    # worker that makes a preview, not by every worker at start.
    from . import previews

    state, words, thumb = "none", "", None
    with local_copy(storage, blob_key(sha)) as path:
        try:
            thumb = previews.thumbnail(path, sniffed)
            words = previews.text(path, name, sniffed)
            state = "ready" if (thumb or words) else "none"
        except previews.Unreadable as exc:
            log.info("no preview for %s (%s): %s", sha[:12], name, exc)
            state = "failed"
    if thumb:
        fd, staged = tempfile.mkstemp(prefix="thumb-", dir=storage.staging())
        with os.fdopen(fd, "wb") as fh:
            fh.write(thumb)
        storage.put(Path(staged), thumbnail_key(sha))
    with ctx.runtime.db.write() as session:
        blob = session.get(Blob, sha)
        if blob is None:
            return
        blob.preview, blob.text, blob.has_thumbnail = state, words, bool(thumb)
        for row in session.scalars(select(File).where(File.sha256 == sha)):
            service.searchable(session, row, blob)


def purge(ctx: JobContext) -> None:
    """``files.purge`` (daily): what has been in the trash 30 days goes for good, with the
    stored bytes no version holds any more."""
    storage = storage_for(ctx.runtime.settings)
    with ctx.runtime.db.write() as session:
        files, orphans = service.purge(session, ctx.now)
    for sha in orphans:  # after the commit: a rollback must not lose bytes still referenced
        storage.delete(blob_key(sha))
        storage.delete(thumbnail_key(sha))
    if files or orphans:
        log.info("purged %d files and %d blobs from the trash", files, len(orphans))

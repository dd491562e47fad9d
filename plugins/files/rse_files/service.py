"""Libraries, folders, files and versions: the rules, apart from the web.

A library is a space's (its members read and add; the space's audience is every file's) or a
person's own (only they see it). A file is a core item, so search, comments, likes and the
stream show it to its audience only. Deleting moves to the trash: the item is hidden at once
and comes back on restore; after 30 days a job purges it for good.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from rse_core import (
    N_,
    Conflict,
    Content,
    NotFound,
    Settings,
    Space,
    User,
    ValidationError,
    delete_content,
    enqueue_job,
    get_visible,
    people_and_spaces,
    publish,
    restore_content,
    set_search_text,
    update_content,
    utcnow,
)

from . import safety
from .models import Blob, File, Folder, Quota, Version
from .storage import Storage, blob_key
from .uploads import Received

TYPE = "files.file"
PREVIEW_JOB = "files.preview"
PURGE_JOB = "files.purge"
TRASH_DAYS = 30
MB = 1024 * 1024
MAX_DEPTH = 20  # folders within folders
NAME_WORDS = re.compile(r"[\W_]+")


# -- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """What admins set in ``rse.toml`` or ``RSE_FILES_*``: the largest file, and each
    library's default quota (a space's own quota, set on its library, comes first)."""

    max_file_bytes: int
    space_quota_bytes: int
    personal_quota_bytes: int
    max_files: int = 20  # in one upload

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        """The limits ``settings`` give (in MB: ``files_max_file_mb`` 2048,
        ``files_space_quota_mb`` 10240, ``files_personal_quota_mb`` 2048)."""

        def mb(key: str, default: int) -> int:
            value = settings.extra.get(key, default)
            return int(float(value) * MB)

        return cls(
            max_file_bytes=mb("files_max_file_mb", 2048),
            space_quota_bytes=mb("files_space_quota_mb", 10240),
            personal_quota_bytes=mb("files_personal_quota_mb", 2048),
        )


# -- libraries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Library:
    """A space's library, or a person's own."""

    space: Space | None = None
    owner: User | None = None

    @property
    def principal(self) -> str:
        """Who reads it: the space's principal, or the owner's alone."""
        return self.space.principal if self.space else f"user:{self.owner.id}"  # type: ignore[union-attr]

    @property
    def url(self) -> str:
        """Its page."""
        return f"/files/spaces/{self.space.slug}" if self.space else "/files/me"

    def owns(self, row: File | Folder) -> bool:
        """Is this file or folder in this library?"""
        if self.space is not None:
            return row.space_id == self.space.id
        return row.space_id is None and row.owner_id == self.owner.id  # type: ignore[union-attr]

    def where(self, model: type[File] | type[Folder]) -> list:
        """The SQL conditions of this library's rows."""
        if self.space is not None:
            return [model.space_id == self.space.id]
        return [model.space_id.is_(None), model.owner_id == self.owner.id]  # type: ignore[union-attr]


def library_of(session: Session, row: File | Folder) -> Library:
    """The library a file or folder belongs to."""
    if row.space_id is not None:
        return Library(space=session.get(Space, row.space_id))
    return Library(owner=session.get(User, row.owner_id))


def usage(session: Session, library: Library) -> int:
    """Bytes the library's files take, every version and the trash counted."""
    used = session.scalar(
        select(func.coalesce(func.sum(Version.size), 0))
        .join(File, File.id == Version.file_id)
        .where(*library.where(File))
    )
    return int(used or 0)


def quota(session: Session, library: Library, limits: Limits) -> int:
    """The library's quota in bytes."""
    if library.space is None:
        return limits.personal_quota_bytes
    own = session.get(Quota, library.space.id)
    return own.max_bytes if own is not None else limits.space_quota_bytes


def set_quota(session: Session, space: Space, max_mb: object) -> None:
    """Set a space's quota in MB (admins); "" goes back to the site's default."""
    row = session.get(Quota, space.id)
    if max_mb in (None, ""):
        if row is not None:
            session.delete(row)
        return
    try:
        value = float(str(max_mb))
    except ValueError:
        value = -1
    if not 0 < value <= 10**8:
        raise ValidationError({"quota": N_("Give the quota in MB, a positive number.")})
    if row is None:
        row = Quota(space_id=space.id, max_bytes=0)
        session.add(row)
    row.max_bytes = int(value * MB)


# -- folders ---------------------------------------------------------------------------------


def folder_in(session: Session, library: Library, folder_id: int | None) -> Folder | None:
    """A live folder of the library (None for its root); NotFound otherwise."""
    if folder_id is None:
        return None
    folder = session.get(Folder, folder_id)
    if folder is None or folder.deleted_at is not None or not library.owns(folder):
        raise NotFound("No such folder.")
    return folder


def breadcrumbs(session: Session, folder: Folder | None) -> list[Folder]:
    """The folders from the library's root down to ``folder``."""
    trail: list[Folder] = []
    while folder is not None and len(trail) < MAX_DEPTH + 1:
        trail.append(folder)
        folder = session.get(Folder, folder.parent_id) if folder.parent_id else None
    return trail[::-1]


def _name_taken(
    session: Session, library: Library, parent_id: int | None, name: str, but: object = None
) -> bool:
    lowered = name.lower()
    folders = select(Folder.id).where(
        *library.where(Folder),
        Folder.parent_id.is_(None) if parent_id is None else Folder.parent_id == parent_id,
        func.lower(Folder.name) == lowered,
        Folder.deleted_at.is_(None),
    )
    files = select(File.id).where(
        *library.where(File),
        File.folder_id.is_(None) if parent_id is None else File.folder_id == parent_id,
        func.lower(File.name) == lowered,
        File.deleted_at.is_(None),
    )
    taken = [("folder", i) for i in session.scalars(folders)]
    taken += [("file", i) for i in session.scalars(files)]
    return any(t != but for t in taken)


def create_folder(
    session: Session, library: Library, parent: Folder | None, name: object, author: User
) -> Folder:
    """A new folder; its name is unique in its parent (case aside)."""
    clean = safety.clean_name(name)
    if len(breadcrumbs(session, parent)) >= MAX_DEPTH:
        raise ValidationError({"name": N_("Folders go at most 20 deep.")})
    if _name_taken(session, library, parent.id if parent else None, clean):
        raise Conflict({"name": N_("Something here already has this name.")})
    folder = Folder(
        space_id=library.space.id if library.space else None,
        owner_id=library.owner.id if library.owner else None,
        parent_id=parent.id if parent else None,
        name=clean,
        created_by=author.id,
        created_at=utcnow(),
    )
    session.add(folder)
    session.flush()
    return folder


def rename_folder(session: Session, folder: Folder, name: object) -> None:
    """Rename a folder (unique in its parent)."""
    clean = safety.clean_name(name)
    library = library_of(session, folder)
    if _name_taken(session, library, folder.parent_id, clean, ("folder", folder.id)):
        raise Conflict({"name": N_("Something here already has this name.")})
    folder.name = clean


def move_folder(session: Session, folder: Folder, target: Folder | None) -> None:
    """Move a folder into another of its library (never into itself or what it holds)."""
    if target is not None and any(f.id == folder.id for f in breadcrumbs(session, target)):
        raise ValidationError({"folder": N_("A folder cannot go inside itself.")})
    library = library_of(session, folder)
    if _name_taken(session, library, target.id if target else None, folder.name):
        raise Conflict({"folder": N_("Something there already has this name.")})
    folder.parent_id = target.id if target else None


# -- files -----------------------------------------------------------------------------------


def keep_blob(
    session: Session, storage: Storage, received: Received, name: str | None = None
) -> Blob:
    """Take a staged upload into the store, once per content: its type is checked against
    its name and the name it will have (``name``, a new version's file: an image or a PDF
    must be one) and its preview queued when it is new."""
    sniffed = safety.sniff(received.head)
    safety.check_claim(received.filename, sniffed)
    if name is not None:
        safety.check_claim(name, sniffed, existing=True)
    blob = session.get(Blob, received.sha256)
    key = blob_key(received.sha256)
    if blob is not None and storage.exists(key):
        received.path.unlink(missing_ok=True)
        return blob
    storage.put(received.path, key)
    if blob is None:
        blob = Blob(
            sha256=received.sha256,
            size=received.size,
            sniffed=sniffed[:100],
            preview="pending",
            has_thumbnail=False,
            text="",
            created_at=utcnow(),
        )
        session.add(blob)
        session.flush()
        enqueue_job(session, PREVIEW_JOB, {"sha256": blob.sha256}, key=f"preview:{blob.sha256}")
    return blob


def keep_bytes(session: Session, storage: Storage, name: str, data: bytes) -> Blob:
    """Store bytes made in memory (the demo, imports) as ``keep_blob`` stores an upload."""
    import hashlib
    import os

    from .storage import staged_file
    from .uploads import HEAD

    path, fd = staged_file(storage)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    received = Received(
        field="file",
        filename=name,
        declared_type="",
        path=path,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        head=data[:HEAD],
    )
    try:
        return keep_blob(session, storage, received)
    finally:
        path.unlink(missing_ok=True)


def check_quota(session: Session, library: Library, limits: Limits, adding: int) -> None:
    """Refuse what would take the library over its quota, saying by how much."""
    allowed = quota(session, library, limits)
    used = usage(session, library)
    if used + adding > allowed:
        raise ValidationError(
            {
                "file": N_(
                    "This library is full: there is no room for this file under its quota. "
                    "Empty the trash or ask an admin for more."
                )
            }
        )


def find_by_name(
    session: Session, library: Library, folder: Folder | None, name: str
) -> File | None:
    """The live file of this name (case aside) in ``folder``, if any."""
    return session.scalar(
        select(File).where(
            *library.where(File),
            File.folder_id.is_(None) if folder is None else File.folder_id == folder.id,
            func.lower(File.name) == name.lower(),
            File.deleted_at.is_(None),
        )
    )


def add_file(
    session: Session,
    library: Library,
    folder: Folder | None,
    author: User,
    name: object,
    blob: Blob,
) -> tuple[File, bool]:
    """A new file in ``folder``, or a new version of the file of that name there. Returns
    the file and whether it is new."""
    clean = safety.clean_name(name, "file")
    existing = find_by_name(session, library, folder, clean)
    if existing is not None:
        add_version(session, existing, author, blob, clean)
        return existing, False
    folders_here = select(Folder.id).where(
        *library.where(Folder),
        Folder.parent_id.is_(None) if folder is None else Folder.parent_id == folder.id,
        func.lower(Folder.name) == clean.lower(),
        Folder.deleted_at.is_(None),
    )
    if session.scalar(folders_here) is not None:
        raise Conflict({"file": N_("A folder here already has this name.")})
    content = publish(
        session,
        plugin="files",
        type=TYPE,
        author=author,
        url="/files",  # set below, once the file has its id
        title=clean,
        space=library.space,
        audience=None if library.space else f"user:{author.id}",
        announce=library.space is not None,
    )
    return _first_version(session, content, library, author, clean, blob, folder=folder), True


def _first_version(
    session: Session,
    content: Content,
    library: Library,
    author: User,
    name: str,
    blob: Blob,
    *,
    folder: Folder | None = None,
    attached_to: int | None = None,
    comment_id: int | None = None,
) -> File:
    """A new file's row and its version 1, for its published item."""
    now = utcnow()
    row = File(
        content_id=content.id,
        space_id=library.space.id if library.space else None,
        owner_id=None if library.space else library.owner.id,  # type: ignore[union-attr]
        folder_id=folder.id if folder else None,
        name=name,
        version=1,
        sha256=blob.sha256,
        size=blob.size,
        created_by=author.id,
        created_at=now,
        updated_by=author.id,
        updated_at=now,
        attached_to=attached_to,
        comment_id=comment_id,
    )
    session.add(row)
    session.flush()
    content.url = f"/files/{row.id}"
    session.add(
        Version(
            file_id=row.id,
            number=1,
            sha256=blob.sha256,
            size=blob.size,
            name=name,
            author_id=author.id,
            created_at=now,
        )
    )
    searchable(session, row, blob)
    return row


def add_version(
    session: Session,
    row: File,
    author: User,
    blob: Blob,
    name: str | None = None,
    restored_from: int | None = None,
) -> Version:
    """A new current version of a file (an upload, or an older version restored)."""
    if row.deleted_at is not None:
        raise ValidationError({"file": N_("This file is in the trash: restore it first.")})
    number = row.version + 1
    now = utcnow()
    version = Version(
        file_id=row.id,
        number=number,
        sha256=blob.sha256,
        size=blob.size,
        name=name or row.name,
        author_id=author.id,
        created_at=now,
        restored_from=restored_from,
    )
    session.add(version)
    row.version, row.sha256, row.size = number, blob.sha256, blob.size
    row.updated_by, row.updated_at = author.id, now
    update_content(session, session.get(Content, row.content_id), author, title=row.name)
    searchable(session, row, blob)
    return version


def searchable(session: Session, row: File, blob: Blob) -> None:
    """Index the words of the file's name ("q3-budget.xlsx": q3, budget, xlsx) and of its
    current content (once its preview job found them)."""
    content = session.get(Content, row.content_id)
    text = f"{' '.join(NAME_WORDS.split(row.name))} {blob.text}".strip()[:100_000]
    if content is not None and content.search_text != text:
        set_search_text(session, content, text)


def restore_version(session: Session, row: File, number: object, actor: User) -> Version:
    """Make an older version current again, as a new version (history is never rewritten)."""
    try:
        wanted = int(str(number))
    except ValueError:
        raise NotFound("No such version.") from None
    old = session.get(Version, (row.id, wanted))
    if old is None:
        raise NotFound("No such version.")
    if wanted == row.version:
        raise ValidationError({"version": N_("This is already the current version.")})
    return add_version(session, row, actor, session.get(Blob, old.sha256), row.name, wanted)


def rename_file(session: Session, row: File, name: object, actor: User) -> None:
    """Rename a file (unique in its folder)."""
    clean = safety.clean_name(name)
    library = library_of(session, row)
    if _name_taken(session, library, row.folder_id, clean, ("file", row.id)):
        raise Conflict({"name": N_("Something here already has this name.")})
    if clean != row.name:
        row.name = clean
        update_content(session, session.get(Content, row.content_id), actor, title=clean)
        searchable(session, row, session.get(Blob, row.sha256))


def move_file(session: Session, row: File, target: Folder | None) -> None:
    """Move a file to another folder of its library."""
    library = library_of(session, row)
    if _name_taken(session, library, target.id if target else None, row.name, ("file", row.id)):
        raise Conflict({"folder": N_("Something there already has this name.")})
    row.folder_id = target.id if target else None


def versions(session: Session, row: File) -> list[tuple[Version, User]]:
    """A file's versions, newest first, with who uploaded each."""
    rows = list(
        session.scalars(
            select(Version).where(Version.file_id == row.id).order_by(Version.number.desc())
        )
    )
    people, _ = people_and_spaces(session, [v.author_id for v in rows])
    return [(v, people[v.author_id]) for v in rows]


# -- reading ---------------------------------------------------------------------------------


def version_bytes(session: Session, row: File, number: int | None) -> tuple[Blob, str]:
    """The blob and name of a file's version ``number`` (None: the current one); NotFound
    for a number it never had."""
    sha, name = row.sha256, row.name
    if number is not None and number != row.version:
        version = session.get(Version, (row.id, number))
        if version is None:
            raise NotFound("No such version.")
        sha, name = version.sha256, version.name
    return session.get(Blob, sha), name  # type: ignore[return-value]


def readable(session: Session, file_id: int, principals: frozenset[str]) -> File:
    """A live file the reader may see; NotFound otherwise (also for one in the trash)."""
    row = session.get(File, file_id)
    if row is None or row.deleted_at is not None:
        raise NotFound("No such file.")
    if get_visible(session, row.content_id, principals) is None:
        raise NotFound("No such file.")
    return row


def in_trash(session: Session, file_id: int, principals: frozenset[str]) -> File:
    """A file of the trash of a library the reader may see; NotFound otherwise."""
    row = session.get(File, file_id)
    if row is None or row.deleted_at is None:
        raise NotFound("No such file in the trash.")
    if library_of(session, row).principal not in principals:
        raise NotFound("No such file in the trash.")
    return row


@dataclass(frozen=True)
class Shown:
    """A file as a list shows it: its row, blob (type, preview) and who changed it last."""

    file: File
    blob: Blob
    updated_by: User

    @property
    def is_image(self) -> bool:
        """Drawn inline (through its thumbnail)."""
        return safety.is_image(self.blob.sniffed)


def shown(session: Session, rows: Iterable[File]) -> list[Shown]:
    """What lists need of these files, in two queries whatever their number."""
    rows = list(rows)
    if not rows:
        return []
    blobs = {
        b.sha256: b
        for b in session.scalars(select(Blob).where(Blob.sha256.in_({r.sha256 for r in rows})))
    }
    people, _ = people_and_spaces(session, [r.updated_by for r in rows])
    return [Shown(r, blobs[r.sha256], people[r.updated_by]) for r in rows]


def listing(
    session: Session, library: Library, folder: Folder | None
) -> tuple[list[Folder], list[Shown]]:
    """A folder's live folders and files, by name."""
    parent = Folder.parent_id.is_(None) if folder is None else Folder.parent_id == folder.id
    folders = list(
        session.scalars(
            select(Folder)
            .where(*library.where(Folder), parent, Folder.deleted_at.is_(None))
            .order_by(func.lower(Folder.name))
        )
    )
    here = File.folder_id.is_(None) if folder is None else File.folder_id == folder.id
    files = session.scalars(
        select(File)
        .where(*library.where(File), here, File.deleted_at.is_(None), File.attached_to.is_(None))
        .order_by(func.lower(File.name))
        .limit(2000)
    )
    return folders, shown(session, files)


def all_folders(session: Session, library: Library) -> list[tuple[Folder, str]]:
    """Every live folder of a library with its path ("Reports / 2026"), for "move to"."""
    rows = list(
        session.scalars(
            select(Folder).where(*library.where(Folder), Folder.deleted_at.is_(None)).limit(5000)
        )
    )
    by_id = {f.id: f for f in rows}

    def path(folder: Folder) -> str:
        names, seen = [], set()
        current: Folder | None = folder
        while current is not None and current.id not in seen:
            seen.add(current.id)
            names.append(current.name)
            current = by_id.get(current.parent_id) if current.parent_id else None
        return " / ".join(reversed(names))

    return sorted(((f, path(f)) for f in rows), key=lambda item: item[1].lower())


def newest(
    session: Session, principals: frozenset[str], library: Library | None = None, limit: int = 10
) -> list[Shown]:
    """The files changed last that the reader may see (in one library, or anywhere)."""
    from rse_core import visible

    query = (
        select(File)
        .join(Content, Content.id == File.content_id)
        .where(
            File.deleted_at.is_(None),
            Content.deleted_at.is_(None),
            visible(Content.audience, principals),
        )
        .order_by(File.updated_at.desc())
        .limit(limit)
    )
    if library is not None:
        query = query.where(*library.where(File))
    return shown(session, session.scalars(query))


# -- attachments ------------------------------------------------------------------------------

MAX_ATTACHMENTS = 20


def host_library(session: Session, host: Content, author: User) -> Library:
    """Whose quota an attachment counts against: the item's space's, else its author's."""
    if host.space_id is not None:
        return Library(space=session.get(Space, host.space_id))
    return Library(owner=author)


def attach(
    session: Session,
    host: Content,
    author: User,
    name: object,
    blob: Blob,
    comment_id: int | None = None,
) -> File:
    """Attach a file to an item (a post, a question, a wiki page...) or to one of its
    comments (``comment_id``, checked by the caller): the file is the item's child, with its
    audience, hidden and restored with it (hidden with its comment); search finds it by the
    words inside for who may see the item."""
    if host.plugin == "files":
        raise ValidationError({"file": N_("Files take no attachments.")})
    clean = safety.clean_name(name, "file")
    count = session.scalar(
        select(func.count())
        .select_from(File)
        .where(File.attached_to == host.id, File.deleted_at.is_(None))
    )
    if (count or 0) >= MAX_ATTACHMENTS:
        raise ValidationError({"file": N_("An item takes at most 20 attachments.")})
    lib = host_library(session, host, author)
    content = publish(
        session,
        plugin="files",
        type=TYPE,
        author=author,
        url="/files",
        title=clean,
        announce=False,
        parent=host,
        parent_comment_id=comment_id,
    )
    return _first_version(
        session, content, lib, author, clean, blob, attached_to=host.id, comment_id=comment_id
    )


def attachments(session: Session, host_id: int) -> list[Shown]:
    """The files attached to an item itself (live ones), oldest first."""
    return shown(session, _attached(session, host_id, File.comment_id.is_(None), MAX_ATTACHMENTS))


def _attached(session: Session, host_id: int, which: Any, limit: int) -> list[File]:
    """Live files attached to an item (``which``: to the item itself, or to comments)."""
    return list(
        session.scalars(
            select(File)
            .join(Content, Content.id == File.content_id)
            .where(
                File.attached_to == host_id,
                which,
                File.deleted_at.is_(None),
                Content.deleted_at.is_(None),
            )
            .order_by(File.id)
            .limit(limit)
        )
    )


def comment_attachments(
    session: Session, host_id: int, comment_ids: list[int]
) -> dict[int, list[Shown]]:
    """The files attached to these comments of an item, by comment (one query and two)."""
    rows = _attached(session, host_id, File.comment_id.in_(comment_ids), MAX_ATTACHMENTS * 50)
    found: dict[int, list[Shown]] = {}
    for item in shown(session, rows):
        found.setdefault(item.file.comment_id, []).append(item)  # type: ignore[arg-type]
    return found


# -- the trash -------------------------------------------------------------------------------


def trash_file(session: Session, row: File, actor: User, with_folder: int | None = None) -> None:
    """Move a file to the trash: hidden everywhere at once, restorable for 30 days."""
    row.deleted_at, row.deleted_by, row.trashed_with = utcnow(), actor.id, with_folder
    delete_content(session, session.get(Content, row.content_id))


def _descendants(session: Session, folder: Folder) -> list[int]:
    found, level = [], [folder.id]
    while level and len(found) < 100_000:
        level = list(
            session.scalars(
                select(Folder.id).where(Folder.parent_id.in_(level), Folder.deleted_at.is_(None))
            )
        )
        found += level
    return found


def trash_folder(session: Session, folder: Folder, actor: User) -> int:
    """Move a folder and everything in it to the trash; returns how many files went."""
    inner = _descendants(session, folder)
    now = utcnow()
    session.execute(
        update(Folder)
        .where(Folder.id.in_(inner))
        .values(deleted_at=now, deleted_by=actor.id, trashed_with=folder.id)
    )
    folder.deleted_at, folder.deleted_by, folder.trashed_with = now, actor.id, None
    files = list(
        session.scalars(
            select(File).where(File.folder_id.in_([folder.id, *inner]), File.deleted_at.is_(None))
        )
    )
    for row in files:
        trash_file(session, row, actor, with_folder=folder.id)
    return len(files)


def restore_file(session: Session, row: File) -> None:
    """Take a file out of the trash, into its folder if that is still there (else the root);
    a live file of the same name there keeps its name and this one gets " (restored)"."""
    library = library_of(session, row)
    if row.folder_id is not None:
        folder = session.get(Folder, row.folder_id)
        if folder is None or folder.deleted_at is not None:
            row.folder_id = None
    if _name_taken(session, library, row.folder_id, row.name, ("file", row.id)):
        stem, dot, ext = row.name.rpartition(".")
        row.name = f"{stem} (restored).{ext}" if dot and stem else f"{row.name} (restored)"
    row.deleted_at = row.deleted_by = row.trashed_with = None
    restore_content(session, session.get(Content, row.content_id))


def restore_folder(session: Session, folder: Folder) -> None:
    """Take a folder out of the trash with everything trashed along with it."""
    library = library_of(session, folder)
    if folder.parent_id is not None:
        parent = session.get(Folder, folder.parent_id)
        if parent is None or parent.deleted_at is not None:
            folder.parent_id = None
    if _name_taken(session, library, folder.parent_id, folder.name, ("folder", folder.id)):
        folder.name = f"{folder.name} (restored)"
    folder.deleted_at = folder.deleted_by = None
    session.execute(
        update(Folder)
        .where(Folder.trashed_with == folder.id)
        .values(deleted_at=None, deleted_by=None, trashed_with=None)
    )
    for row in session.scalars(select(File).where(File.trashed_with == folder.id)):
        row.deleted_at = row.deleted_by = row.trashed_with = None
        restore_content(session, session.get(Content, row.content_id))


@dataclass(frozen=True)
class TrashItem:
    """Something a library's trash shows: a file or a folder trashed by itself."""

    kind: str  # "file" or "folder"
    id: int
    name: str
    deleted_at: datetime
    deleted_by: User | None
    size: int
    purge_on: datetime


def trash(session: Session, library: Library) -> list[TrashItem]:
    """A library's trash, newest first (what went with a folder is listed as the folder)."""
    files = list(
        session.scalars(
            select(File)
            .where(*library.where(File), File.deleted_at.is_not(None), File.trashed_with.is_(None))
            .order_by(File.deleted_at.desc())
            .limit(500)
        )
    )
    folders = list(
        session.scalars(
            select(Folder)
            .where(
                *library.where(Folder),
                Folder.deleted_at.is_not(None),
                Folder.trashed_with.is_(None),
            )
            .order_by(Folder.deleted_at.desc())
            .limit(500)
        )
    )
    people, _ = people_and_spaces(session, [r.deleted_by for r in [*files, *folders]])
    keep = timedelta(days=TRASH_DAYS)
    items = [
        TrashItem(
            "file",
            f.id,
            f.name,
            f.deleted_at,
            people.get(f.deleted_by),
            f.size,
            f.deleted_at + keep,
        )
        for f in files
    ] + [
        TrashItem(
            "folder", f.id, f.name, f.deleted_at, people.get(f.deleted_by), 0, f.deleted_at + keep
        )
        for f in folders
    ]
    return sorted(items, key=lambda item: item.deleted_at, reverse=True)


def purge(session: Session, now: datetime) -> tuple[int, list[str]]:
    """Delete for good what has been in the trash for 30 days, and the blobs no version
    holds any more (returned: the store's copies are removed after the commit)."""
    cutoff = now - timedelta(days=TRASH_DAYS)
    child = aliased(Folder)
    gone = list(session.scalars(select(File.id).where(File.deleted_at < cutoff).limit(10_000)))
    if gone:
        session.execute(Version.__table__.delete().where(Version.file_id.in_(gone)))
        session.execute(File.__table__.delete().where(File.id.in_(gone)))
    session.execute(
        Folder.__table__.delete().where(
            Folder.deleted_at < cutoff,
            ~select(File.id).where(File.folder_id == Folder.id).exists(),
            ~select(child.id).where(child.parent_id == Folder.id).exists(),
        )
    )
    orphans = list(
        session.scalars(
            select(Blob.sha256)
            .where(
                Blob.created_at < now - timedelta(days=1),
                ~select(Version.file_id).where(Version.sha256 == Blob.sha256).exists(),
                ~select(File.id).where(File.sha256 == Blob.sha256).exists(),
            )
            .limit(10_000)
        )
    )
    if orphans:
        session.execute(Blob.__table__.delete().where(Blob.sha256.in_(orphans)))
    return len(gone), orphans

"""What the pages and the API share: whose library a request names, who may do what in it,
taking an upload in, and serving bytes safely."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse

from rse_core import (
    N_,
    Forbidden,
    NotFound,
    Space,
    User,
    ValidationError,
    access,
    can,
    current_user,
    find_comment,
    find_space,
    get_visible,
    principals,
    runtime,
    write,
)

from . import service, uploads
from .models import Blob, File, Folder
from .storage import Storage, blob_key, storage_for

log = logging.getLogger(__name__)
UPLOAD_PERMISSION = "files.upload"
#: Served files never run: no script, no plugin, no frame; images and PDFs only draw.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
# Chrome's PDF viewer does not open in a sandboxed document; a PDF runs no script of ours.
PDF_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'"


def storage(request: Request) -> Storage:
    """The store of this installation."""
    return storage_for(runtime(request).settings)


def limits(request: Request) -> service.Limits:
    """The size limits and default quotas of this installation."""
    return service.Limits.of(runtime(request).settings)


def library(request: Request, session: Session, slug: str | None = None) -> service.Library:
    """The library a request names (a space's by ``slug``, else the reader's own), if the
    reader may read it; NotFound otherwise (a private space's library to a non-member)."""
    if slug is None:
        slug = request.path_params.get("slug")
    if slug is None:
        return service.Library(owner=session.get(User, current_user(request).id))
    space = find_space(session, access(request), slug)
    if space.principal not in principals(request):
        raise NotFound(slug)
    return service.Library(space=space)


def may_write(request: Request, lib: service.Library) -> bool:
    """May the reader add to this library (upload, new folders, rename, move)? Its owner;
    in a space, its members holding ``files.upload``."""
    if lib.space is None:
        return lib.owner is not None and lib.owner.id == current_user(request).id
    return lib.space.id in access(request).roles and can(request, UPLOAD_PERMISSION, lib.space)


def may_remove(request: Request, lib: service.Library, created_by: int) -> bool:
    """May the reader put this file or folder in the trash, or restore it? Who added it (a
    member still), the space's moderators; in a personal library, its owner."""
    me = current_user(request)
    if lib.space is None:
        return lib.owner is not None and lib.owner.id == me.id
    if can(request, "core.space.moderate", lib.space):
        return True
    return created_by == me.id and lib.space.id in access(request).roles


def may_manage(request: Request, space: Space) -> bool:
    """May the reader set a space's quota? Site admins."""
    return bool(current_user(request).is_admin)


async def receive(request: Request, *, one: bool = False) -> uploads.Upload:
    """The request's multipart body, staged, within the installation's limits (``one``
    file only, for a new version); raises uploads.UploadRefused."""
    allowed = limits(request)
    return await uploads.receive(
        request,
        storage(request),
        max_file_bytes=allowed.max_file_bytes,
        max_files=1 if one else allowed.max_files,
    )


class ScanUnavailable(Exception):
    """A virus scanner could not check an upload: refused, to be tried again later."""


def scan(request: Request, upload: uploads.Upload) -> None:
    """Ask every ``files_scan`` implementation about each received file (off the event
    loop's thread, before any transaction): a finding refuses the whole upload, a scanner
    that cannot answer too (fail closed). The staging files are then removed."""
    relay = runtime(request).plugins.hook
    settings = runtime(request).settings
    try:
        for received in upload.files:
            found = [
                f for f in relay.files_scan(settings=settings, path=received.path,
                                            name=received.filename) if f
            ]  # fmt: skip
            if found:
                log.warning("upload refused: %s in %r (%s)", found[0], received.filename,
                            received.sha256[:12])  # fmt: skip
                raise ValidationError(
                    {"file": N_("A virus was found in a file: nothing was kept.")}
                )
    except ValidationError:
        upload.discard()
        raise
    except Exception as exc:
        upload.discard()
        log.error("the virus scan failed: %s", exc)
        raise ScanUnavailable(str(exc)) from exc


async def take_upload(
    request: Request, lib: service.Library, folder_id: int | None, upload: uploads.Upload
) -> list[tuple[File, bool]]:
    """Store an upload's files in a library (new files, or new versions of files of the same
    name), quota checked, in one transaction; the staging files are removed whatever
    happens."""
    store = storage(request)
    allowed = limits(request)
    me = current_user(request)

    await run_in_threadpool(scan, request, upload)

    def run(session: Session) -> list[tuple[File, bool]]:
        here = library(request, session, lib.space.slug if lib.space else None)
        folder = service.folder_in(session, here, folder_id)
        service.check_quota(session, here, allowed, sum(f.size for f in upload.files))
        author = session.get(User, me.id)
        done = []
        for received in upload.files:
            blob = service.keep_blob(session, store, received)
            done.append(service.add_file(session, here, folder, author, received.filename, blob))
        return done

    try:
        return await write(request, run)
    finally:
        upload.discard()


async def take_attachments(
    request: Request, content_id: int, upload: uploads.Upload, comment_id: int | None = None
) -> list[File]:
    """Attach an upload's files to an item of the reader's, or to a comment of theirs on an
    item (quota of the item's space, or the author's own), in one transaction; the staging
    files are removed whatever happens."""
    store = storage(request)
    allowed = limits(request)
    me = current_user(request)

    await run_in_threadpool(scan, request, upload)

    def run(session: Session) -> list[File]:
        host = get_visible(session, content_id, principals(request))
        if host is None:
            raise NotFound("No such item.")
        if comment_id is not None:
            comment = find_comment(session, host.id, comment_id)
            if comment is None or comment.author_id != me.id:
                raise NotFound("No such comment.")
        elif host.author_id != me.id:
            raise NotFound("No such item.")
        author = session.get(User, me.id)
        lib = service.host_library(session, host, author)
        service.check_quota(session, lib, allowed, sum(f.size for f in upload.files))
        return [
            service.attach(session, host, author, received.filename,
                           service.keep_blob(session, store, received), comment_id)
            for received in upload.files
        ]  # fmt: skip

    try:
        return await write(request, run)
    finally:
        upload.discard()


async def take_version(request: Request, file_id: int, upload: uploads.Upload) -> File:
    """Store an upload's one file as a new version of a file (quota checked)."""
    store = storage(request)
    allowed = limits(request)
    me = current_user(request)

    await run_in_threadpool(scan, request, upload)

    def run(session: Session) -> File:
        row = service.readable(session, file_id, principals(request))
        lib = service.library_of(session, row)
        if not may_write(request, lib):
            raise Forbidden("You may not change this file.")
        (received,) = upload.files
        service.check_quota(session, lib, allowed, received.size)
        blob = service.keep_blob(session, store, received, row.name)
        service.add_version(session, row, session.get(User, me.id), blob)
        return row

    try:
        return await write(request, run)
    finally:
        upload.discard()


def file_response(request: Request, blob: Blob, name: str, *, inline: bool = False) -> Response:
    """The bytes of a blob, as an attachment unless ``inline`` is asked and the content is an
    image or a PDF (never HTML, SVG or anything a browser would run); ranges honoured."""
    media_type, may_inline = service.safety.served_type(blob.sniffed)
    disposition = "inline" if inline and may_inline else "attachment"
    headers = {
        "content-security-policy": PDF_CSP if media_type == "application/pdf" else FILE_CSP,
        "x-content-type-options": "nosniff",
        "cache-control": "private, no-cache",
        "cross-origin-resource-policy": "same-origin",
    }
    store = storage(request)
    key = blob_key(blob.sha256)
    path = store.local_path(key)
    if path is not None:
        return FileResponse(
            path,
            media_type=media_type,
            filename=name,
            content_disposition_type=disposition,
            headers=headers,
        )
    return _streamed(request, store, key, blob.size, media_type, name, disposition, headers)


def _streamed(
    request: Request,
    store: Storage,
    key: str,
    size: int,
    media_type: str,
    name: str,
    disposition: str,
    headers: dict[str, str],
) -> Response:
    """A remote store's bytes, with one ``bytes=a-b`` range when asked."""
    from urllib.parse import quote

    headers = {
        **headers,
        "accept-ranges": "bytes",
        "content-disposition": f"{disposition}; filename*=utf-8''{quote(name)}",
    }
    start, end, status = 0, size, 200
    wanted = request.headers.get("range", "")
    if wanted.startswith("bytes=") and "," not in wanted:
        first, _, last = wanted[6:].partition("-")
        try:
            if first:
                start = int(first)
                end = min(int(last) + 1, size) if last else size
            elif last:
                start = max(size - int(last), 0)
        except ValueError:
            start, end = 0, size
        if start >= size or start >= end:
            return Response(status_code=416, headers={"content-range": f"bytes */{size}"})
        status = 206
        headers["content-range"] = f"bytes {start}-{end - 1}/{size}"
    headers["content-length"] = str(end - start)

    def chunks() -> Iterator[bytes]:
        yield from store.read(key, start, end)

    return StreamingResponse(chunks(), status_code=status, media_type=media_type, headers=headers)


def folder_of(session: Session, folder_id: int, request: Request) -> tuple[Folder, service.Library]:
    """A live folder of a library the reader may read, and that library; NotFound else."""
    folder = session.get(Folder, folder_id)
    if folder is None or folder.deleted_at is not None:
        raise NotFound("No such folder.")
    lib = service.library_of(session, folder)
    if lib.principal not in principals(request):
        raise NotFound("No such folder.")
    return folder, lib

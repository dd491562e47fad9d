"""The files pages: the libraries, a folder, a file with its versions, the trash; uploading
(several files, with a progress bar where JavaScript runs, a plain form where it does not),
downloading and thumbnails."""

from __future__ import annotations

from functools import partial
from typing import Any

from babel.numbers import format_decimal
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from rse_core import (
    N_,
    Content,
    Forbidden,
    NotFound,
    User,
    ValidationError,
    current_user,
    find_comment,
    flash,
    get_visible,
    language,
    member_spaces,
    parse_id,
    principals,
    reading_page,
    render,
    render_social,
    runtime,
    translate,
    write,
)

from . import service, uploads, web
from .models import Blob, Folder
from .storage import thumbnail_key

SCAN_DOWN = N_("Files cannot be checked for viruses right now: try again in a moment.")
UNITS = {"en": ("B", "KB", "MB", "GB", "TB"), "fr": ("o", "Ko", "Mo", "Go", "To")}


def human_size(size: int, lang: str = "en") -> str:
    """A size as people read it: "840 KB", "1.2 MB" ("1,2 Mo" in French)."""
    units = UNITS.get(lang, UNITS["en"])
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    pattern = "#,##0" if unit == 0 or value >= 100 else "#,##0.#"
    return f"{format_decimal(value, format=pattern, locale=lang)} {units[unit]}"


def _context(request: Request) -> dict[str, Any]:
    return {"size": partial(human_size, lang=language(request))}


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@reading_page
def overview(request: Request) -> Response:
    """GET /files: the reader's own library, their spaces' libraries, and the files changed
    last that they may see."""
    with runtime(request).db.read() as session:
        spaces = member_spaces(request, session)
        recent = service.newest(session, principals(request), limit=15)
        places = _places(session, recent)
    return render(
        request,
        "files/index.html",
        {**_context(request), "spaces": spaces, "recent": recent, "places": places},
    )


def _places(session: Session, rows: list[service.Shown]) -> dict[int, service.Library]:
    return {r.file.id: service.library_of(session, r.file) for r in rows}


async def library_page(request: Request) -> Response:
    """GET /files/me and /files/spaces/{slug} (``?folder=``): a folder of a library."""
    folder_id = parse_id(request.query_params.get("folder"))
    if request.query_params.get("folder") and folder_id is None:
        raise HTTPException(404)
    with runtime(request).db.read() as session:
        lib = web.library(request, session)
        folder = service.folder_in(session, lib, folder_id)
        folders, files = service.listing(session, lib, folder)
        trail = service.breadcrumbs(session, folder)
        used = service.usage(session, lib)
        allowed = service.quota(session, lib, web.limits(request))
        # Where this folder may move: anywhere but into itself or what it holds.
        targets = (
            [(f, p) for f, p in service.all_folders(session, lib)
             if folder.id not in {t.id for t in service.breadcrumbs(session, f)}]
            if folder is not None and web.may_write(request, lib) else []
        )  # fmt: skip
    return render(
        request,
        "files/library.html",
        {
            **_context(request),
            "lib": lib,
            "folder": folder,
            "folders": folders,
            "files": files,
            "trail": trail,
            "targets": targets,
            "used": used,
            "allowed": allowed,
            "may_write": web.may_write(request, lib),
            "may_manage": lib.space is not None and web.may_manage(request, lib.space),
            "max_file": web.limits(request).max_file_bytes,
        },
    )


def _back(lib: service.Library, folder_id: int | None) -> str:
    return lib.url + (f"?folder={folder_id}" if folder_id else "")


async def upload(request: Request) -> Response:
    """POST /files/me/upload and /files/spaces/{slug}/upload: files into a folder (a file of
    an existing name becomes its new version). JSON for the page's uploader, else back to
    the folder with a message."""
    with runtime(request).db.read() as session:
        lib = web.library(request, session)
    if not web.may_write(request, lib):
        raise HTTPException(403, "You may not add files to this library.")
    try:
        received = await web.receive(request)
    except uploads.UploadRefused as exc:
        return _refused(request, lib.url, exc.status, exc.message)
    folder_id = parse_id(received.fields.get("folder"))
    if not received.files:
        received.discard()
        return _refused(request, _back(lib, folder_id), 422, N_("Choose at least one file."))
    try:
        done = await web.take_upload(request, lib, folder_id, received)
    except ValidationError as exc:
        return _refused(request, _back(lib, folder_id), 422, next(iter(exc.fields.values())))
    except web.ScanUnavailable:
        return _refused(request, _back(lib, folder_id), 503, SCAN_DOWN)
    if _wants_json(request):
        return JSONResponse(
            {
                "files": [
                    {"id": f.id, "name": f.name, "url": f"/files/{f.id}", "new": new}
                    for f, new in done
                ]
            },
            status_code=201,
        )
    message = (
        N_("Uploaded.")
        if all(new for _f, new in done)
        else N_("Uploaded: a file of the same name got a new version.")
    )
    return flash(request, RedirectResponse(_back(lib, folder_id), status_code=303), message)


def _refused(request: Request, back: str, status: int, message: str) -> Response:
    """An upload refused: JSON in the reader's words for the page's uploader, else back to
    ``back`` with the reason."""
    if _wants_json(request):
        said = translate(request, message)
        return JSONResponse({"error": {"code": "refused", "message": said, "fields": {}}}, status)
    return flash(request, RedirectResponse(back, status_code=303), message)


async def new_folder(request: Request) -> Response:
    """POST /files/me/folders and /files/spaces/{slug}/folders: a folder in a folder."""
    form = await request.form()
    parent_id = parse_id(form.get("parent"))
    me = current_user(request)

    def run(session: Session) -> tuple[service.Library, int]:
        lib = web.library(request, session)
        if not web.may_write(request, lib):
            raise Forbidden("You may not add folders here.")
        parent = service.folder_in(session, lib, parent_id)
        folder = service.create_folder(
            session, lib, parent, form.get("name"), session.get(User, me.id)
        )
        return lib, folder.id

    try:
        lib, folder_id = await write(request, run)
    except ValidationError as exc:
        with runtime(request).db.read() as session:
            lib = web.library(request, session)
        back = RedirectResponse(_back(lib, parent_id), status_code=303)
        return flash(request, back, next(iter(exc.fields.values())))
    return RedirectResponse(_back(lib, folder_id), status_code=303)


async def file_page(request: Request) -> Response:
    """GET /files/{id}: a file: its preview, versions, actions, comments and likes."""
    with runtime(request).db.read() as session:
        row = service.readable(session, request.path_params["file_id"], principals(request))
        lib = service.library_of(session, row)
        (shown,) = service.shown(session, [row])
        history = service.versions(session, row)
        trail = service.breadcrumbs(
            session, session.get(Folder, row.folder_id) if row.folder_id else None
        )
        folders = service.all_folders(session, lib) if web.may_write(request, lib) else []
        content = session.get(Content, row.content_id)
        host = session.get(Content, row.attached_to) if row.attached_to else None
    return render(
        request,
        "files/file.html",
        {
            **_context(request),
            "row": row,
            "shown": shown,
            "lib": lib,
            "history": history,
            "trail": trail,
            "folders": folders,
            "may_write": web.may_write(request, lib),
            "may_remove": web.may_remove(request, lib, row.created_by),
            "inline": service.safety.served_type(shown.blob.sniffed)[1],
            "social": render_social(request, content),
            "host": host,
        },
    )


async def file_action(request: Request) -> Response:
    """POST /files/{id}: ``action`` rename (``name``), move (``folder``), delete, or
    restore (``version``)."""
    if request.method == "GET":
        return await file_page(request)
    form = await request.form()
    action = form.get("action")
    me = current_user(request)
    file_id = request.path_params["file_id"]

    def run(session: Session) -> str:
        row = service.readable(session, file_id, principals(request))
        lib = service.library_of(session, row)
        actor = session.get(User, me.id)
        if action == "delete":
            if not web.may_remove(request, lib, row.created_by):
                raise Forbidden("You may not delete this file.")
            service.trash_file(session, row, actor)
            return _back(lib, row.folder_id)
        if not web.may_write(request, lib):
            raise Forbidden("You may not change this file.")
        if action == "rename":
            service.rename_file(session, row, form.get("name"), actor)
        elif action == "move":
            target = service.folder_in(session, lib, parse_id(form.get("folder")))
            service.move_file(session, row, target)
        elif action == "restore":
            service.restore_version(session, row, form.get("version"), actor)
        else:
            raise HTTPException(400, "action must be rename, move, delete or restore")
        return f"/files/{row.id}"

    try:
        target = await write(request, run)
    except ValidationError as exc:
        back = RedirectResponse(f"/files/{file_id}", status_code=303)
        return flash(request, back, next(iter(exc.fields.values())))
    notice = {
        "delete": N_("Moved to the trash: restore it from there within 30 days."),
        "restore": N_("Restored as the newest version."),
        "rename": N_("Renamed."),
        "move": N_("Moved."),
    }[str(action)]
    return flash(request, RedirectResponse(target, status_code=303), notice)


async def new_version(request: Request) -> Response:
    """POST /files/{id}/versions: upload a new version of a file (one file, any name)."""
    file_id = request.path_params["file_id"]
    with runtime(request).db.read() as session:
        row = service.readable(session, file_id, principals(request))
        lib = service.library_of(session, row)
    if not web.may_write(request, lib):
        raise HTTPException(403, "You may not change this file.")
    back = f"/files/{file_id}"
    try:
        received = await web.receive(request, one=True)
    except uploads.UploadRefused as exc:
        return _refused(request, back, exc.status, exc.message)
    if len(received.files) != 1:
        received.discard()
        return _refused(request, back, 422, N_("Choose the file of the new version."))
    try:
        await web.take_version(request, file_id, received)
    except ValidationError as exc:
        return _refused(request, back, 422, next(iter(exc.fields.values())))
    except web.ScanUnavailable:
        return _refused(request, back, 503, SCAN_DOWN)
    if _wants_json(request):
        return JSONResponse(
            {"files": [{"id": file_id, "url": back, "new": False}]}, status_code=201
        )
    return flash(request, RedirectResponse(back, status_code=303), N_("New version uploaded."))


async def download(request: Request) -> Response:
    """GET /files/{id}/download (``?version=N``, ``?inline=1`` to view an image or a PDF):
    the bytes, checked against the reader's access on every request."""
    number = parse_id(request.query_params.get("version"))
    with runtime(request).db.read() as session:
        row = service.readable(session, request.path_params["file_id"], principals(request))
        blob, name = service.version_bytes(session, row, number)
    return web.file_response(request, blob, name, inline=request.query_params.get("inline") == "1")


async def thumbnail(request: Request) -> Response:
    """GET /files/{id}/thumbnail: the current version's thumbnail (a PNG we drew)."""
    with runtime(request).db.read() as session:
        row = service.readable(session, request.path_params["file_id"], principals(request))
        blob = session.get(Blob, row.sha256)
    if not blob.has_thumbnail:
        raise HTTPException(404)
    path = web.storage(request).local_path(thumbnail_key(blob.sha256))
    if path is not None:
        data = path.read_bytes()
    else:
        data = b"".join(web.storage(request).read(thumbnail_key(blob.sha256)))
    return Response(
        data,
        media_type="image/png",
        headers={
            "cache-control": "private, max-age=86400",
            "content-security-policy": web.FILE_CSP,
            "etag": f'"{blob.sha256[:32]}"',
        },
    )


async def folder_action(request: Request) -> Response:
    """POST /files/folders/{id}: ``action`` rename (``name``), move (``folder``) or delete
    (with everything inside, to the trash)."""
    form = await request.form()
    action = form.get("action")
    me = current_user(request)

    def run(session: Session) -> str:
        folder, lib = web.folder_of(session, request.path_params["folder_id"], request)
        if action == "delete":
            if not web.may_remove(request, lib, folder.created_by):
                raise Forbidden("You may not delete this folder.")
            service.trash_folder(session, folder, session.get(User, me.id))
            return _back(lib, folder.parent_id)
        if not web.may_write(request, lib):
            raise Forbidden("You may not change this folder.")
        if action == "rename":
            service.rename_folder(session, folder, form.get("name"))
        elif action == "move":
            target = service.folder_in(session, lib, parse_id(form.get("folder")))
            service.move_folder(session, folder, target)
        else:
            raise HTTPException(400, "action must be rename, move or delete")
        return _back(lib, folder.id)

    try:
        target = await write(request, run)
    except ValidationError as exc:
        with runtime(request).db.read() as session:
            folder, lib = web.folder_of(session, request.path_params["folder_id"], request)
        back = RedirectResponse(_back(lib, folder.id), status_code=303)
        return flash(request, back, next(iter(exc.fields.values())))
    notice = (
        N_("Moved to the trash: restore it from there within 30 days.")
        if action == "delete"
        else N_("Saved.")
    )
    return flash(request, RedirectResponse(target, status_code=303), notice)


async def trash_page(request: Request) -> Response:
    """GET /files/me/trash and /files/spaces/{slug}/trash: what was deleted, restorable for
    30 days; POST ``kind`` (file or folder) and ``id``: restore it."""
    if request.method == "POST":
        return await _restore(request)
    with runtime(request).db.read() as session:
        lib = web.library(request, session)
        items = service.trash(session, lib)
    return render(request, "files/trash.html", {**_context(request), "lib": lib, "items": items})


async def _restore(request: Request) -> Response:
    form = await request.form()
    kind, item_id = form.get("kind"), parse_id(form.get("id"))

    def run(session: Session) -> str:
        lib = web.library(request, session)
        if kind == "file":
            row = service.in_trash(session, item_id or 0, principals(request))
            if not lib.owns(row) or not web.may_remove(request, lib, row.created_by):
                raise Forbidden("You may not restore this file.")
            service.restore_file(session, row)
            return f"/files/{row.id}"
        if kind == "folder":
            folder = session.get(Folder, item_id or 0)
            if folder is None or folder.deleted_at is None or not lib.owns(folder):
                raise NotFound("No such folder in the trash.")
            if not web.may_remove(request, lib, folder.created_by):
                raise Forbidden("You may not restore this folder.")
            service.restore_folder(session, folder)
            return _back(lib, folder.id)
        raise HTTPException(400, "kind must be file or folder")

    target = await write(request, run)
    return flash(request, RedirectResponse(target, status_code=303), N_("Restored."))


async def attach(request: Request) -> Response:
    """POST /files/attach/{content_id}: attach files to an item (its author): back to the
    item, or JSON for the page's uploader."""
    content_id = request.path_params["content_id"]
    raw_comment = request.query_params.get("comment")
    comment_id = parse_id(raw_comment)
    if raw_comment is not None and comment_id is None:
        raise HTTPException(404)
    me = current_user(request)
    with runtime(request).db.read() as session:
        host = get_visible(session, content_id, principals(request))
        if host is None:
            raise NotFound("No such item.")
        back = host.url
        comment = find_comment(session, host.id, comment_id) if comment_id else None
    if comment_id is not None:
        if comment is None:
            raise NotFound("No such comment.")
        if comment.author_id != me.id:
            raise HTTPException(403, "Only the comment's author attaches files to it.")
        back = f"{host.url}#comment-{comment_id}"
    elif host.author_id != me.id:
        raise HTTPException(403, "Only the item's author attaches files to it.")
    try:
        received = await web.receive(request)
    except uploads.UploadRefused as exc:
        return _refused(request, back, exc.status, exc.message)
    if not received.files:
        return _refused(request, back, 422, N_("Choose at least one file."))
    try:
        done = await web.take_attachments(request, content_id, received, comment_id)
    except ValidationError as exc:
        return _refused(request, back, 422, next(iter(exc.fields.values())))
    except web.ScanUnavailable:
        return _refused(request, back, 503, SCAN_DOWN)
    if _wants_json(request):
        files = [{"id": f.id, "name": f.name, "url": f"/files/{f.id}", "new": True} for f in done]
        return JSONResponse({"files": files}, status_code=201)
    return flash(request, RedirectResponse(back, status_code=303), N_("Attached."))


async def set_quota(request: Request) -> Response:
    """POST /files/spaces/{slug}/quota (site admins): the space's quota in MB ("" for the
    site's default)."""
    form = await request.form()

    def run(session: Session) -> str:
        lib = web.library(request, session)
        if lib.space is None or not web.may_manage(request, lib.space):
            raise Forbidden("Only admins set quotas.")
        service.set_quota(session, lib.space, form.get("quota"))
        return lib.url

    try:
        target = await write(request, run)
    except ValidationError as exc:
        back = RedirectResponse(f"/files/spaces/{request.path_params['slug']}", status_code=303)
        return flash(request, back, next(iter(exc.fields.values())))
    return flash(request, RedirectResponse(target, status_code=303), N_("Saved."))


PAGE_ROUTES = [
    Route("/files", overview, methods=["GET"]),
    Route("/files/me", library_page, methods=["GET"]),
    Route("/files/me/upload", upload, methods=["POST"]),
    Route("/files/me/folders", new_folder, methods=["POST"]),
    Route("/files/me/trash", trash_page, methods=["GET", "POST"]),
    Route("/files/spaces/{slug}", library_page, methods=["GET"]),
    Route("/files/spaces/{slug}/upload", upload, methods=["POST"]),
    Route("/files/spaces/{slug}/folders", new_folder, methods=["POST"]),
    Route("/files/spaces/{slug}/trash", trash_page, methods=["GET", "POST"]),
    Route("/files/spaces/{slug}/quota", set_quota, methods=["POST"]),
    Route("/files/folders/{folder_id:int}", folder_action, methods=["POST"]),
    Route("/files/attach/{content_id:int}", attach, methods=["POST"]),
    Route("/files/{file_id:int}", file_action, methods=["GET", "POST"]),
    Route("/files/{file_id:int}/versions", new_version, methods=["POST"]),
    Route("/files/{file_id:int}/download", download, methods=["GET"]),
    Route("/files/{file_id:int}/thumbnail", thumbnail, methods=["GET"]),
]

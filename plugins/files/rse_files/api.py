"""The files API under /api/v1/files: upload (multipart, streamed), list a folder, read a
file with its versions, download, upload a new version, delete (to the trash)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rse_core import (
    API_FILE_PART,
    ApiBinary,
    ApiError,
    ApiId,
    ApiLink,
    ApiQuery,
    ApiShape,
    ApiText,
    Conflict,
    NotFound,
    User,
    ValidationError,
    api,
    api_routes,
    current_user,
    parse_id,
    principals,
    runtime,
    write,
)

from . import service, uploads, views, web
from .models import Blob, File


class PersonOut(ApiShape):
    """A colleague"""

    username: str
    display_name: str


class VersionOut(ApiShape):
    """A version of a file"""

    number: int
    name: str
    size: int
    sha256: str
    author: PersonOut
    created_at: str
    restored_from: int | None
    download: str


class FileOut(ApiShape):
    """A file; ``content_id`` is its item for comments and likes
    (``/api/v1/content/{content_id}/...``)"""

    id: int
    content_id: int
    name: str
    url: str
    download: str
    size: int
    type: str
    version: int
    space: str | None
    folder: int | None
    preview: str
    updated_at: str
    versions: list[VersionOut] | None = None


class FolderOut(ApiShape):
    """A folder"""

    id: int
    name: str
    parent: int | None


class Uploaded(ApiShape):
    """The files an upload made or gave a new version"""

    items: list[FileOut]


class Listing(ApiShape):
    """A folder of a library: its folders and files, by name"""

    folder: int | None
    folders: list[FolderOut]
    items: list[FileOut]


class ListQuery(ApiQuery):
    space: (
        Annotated[ApiText(60), Field(description="a space's slug; omit for your own files")] | None
    ) = None
    folder: ApiId | None = None


UPLOAD_FORM = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "array", "items": API_FILE_PART, "minItems": 1, "maxItems": 20},
        "space": {"type": "string", "description": "a space's slug; omit for your own files"},
        "folder": {"type": "string", "pattern": "^[0-9]{0,10}$", "description": "a folder's id"},
    },
}
VERSION_FORM = {
    "type": "object",
    "required": ["file"],
    "properties": {"file": API_FILE_PART},
}
FILE_LINKS = {
    "GetFile": ApiLink("files.getFile", {"file_id": "$response.body#/items/0/id"}),
}


def _person(user: User) -> dict[str, str]:
    return {"username": user.username, "display_name": user.display_name}


def file_json(
    session: Session, row: File, blob: Blob, *, with_versions: bool = False
) -> dict[str, Any]:
    """A file as the API shows it."""
    space = service.library_of(session, row).space
    out: dict[str, Any] = {
        "id": row.id,
        "content_id": row.content_id,
        "name": row.name,
        "url": f"/files/{row.id}",
        "download": f"/api/v1/files/{row.id}/download",
        "size": row.size,
        "type": service.safety.served_type(blob.sniffed)[0] if blob.sniffed else "",
        "version": row.version,
        "space": space.slug if space else None,
        "folder": row.folder_id,
        "preview": blob.preview,
        "updated_at": row.updated_at.isoformat(),
    }
    if with_versions:
        out["versions"] = [
            {
                "number": v.number,
                "name": v.name,
                "size": v.size,
                "sha256": v.sha256,
                "author": _person(author),
                "created_at": v.created_at.isoformat(),
                "restored_from": v.restored_from,
                "download": f"/api/v1/files/{row.id}/download?version={v.number}",
            }
            for v, author in service.versions(session, row)
        ]
    return out


def _refused(exc: uploads.UploadRefused) -> ApiError:
    code = {400: "invalid_body", 413: "too_large"}.get(exc.status, "invalid")
    return ApiError(exc.status, code, exc.message)


@api(
    "POST",
    "/api/v1/files",
    summary="Upload files to your library or a space's (an existing name gets a new version)",
    operation_id="files.upload",
    multipart=UPLOAD_FORM,
    responses={201: Uploaded},
    errors=(403, 404, 409, 503),
    links={201: FILE_LINKS},
)
async def api_upload(request: Request) -> Response:
    """POST /api/v1/files, multipart: ``file`` (one or more), ``space``?, ``folder``?."""
    # The space is read from the query string or the form; the form comes after the files
    # only if the client puts it there, so a query string is the way to say it first.
    slug = request.query_params.get("space")
    with runtime(request).db.read() as session:
        lib = web.library(request, session, slug or None)
    if not web.may_write(request, lib):
        raise ApiError(403, "forbidden", "You may not add files to this library.")
    try:
        received = await web.receive(request)
    except uploads.UploadRefused as exc:
        raise _refused(exc) from None
    form_slug = received.fields.get("space")
    if form_slug and form_slug != (lib.space.slug if lib.space else None):
        try:
            with runtime(request).db.read() as session:
                lib = web.library(request, session, form_slug)
        except NotFound:
            received.discard()
            raise
        if not web.may_write(request, lib):
            received.discard()
            raise ApiError(403, "forbidden", "You may not add files to this library.")
    raw_folder = received.fields.get("folder") or request.query_params.get("folder") or ""
    if not (raw_folder.isascii() and raw_folder.isdigit()) and raw_folder:
        received.discard()
        raise ApiError(422, "invalid", "folder: give a folder's id.", {"folder": "An id."})
    # An id too large to exist names no folder: 404, as an unknown one.
    folder_id = parse_id(raw_folder) if raw_folder else None
    if raw_folder and folder_id is None:
        received.discard()
        raise ApiError(404, "not_found", "No such folder.")
    if not received.files:
        raise ApiError(422, "invalid", "file: send at least one file.", {"file": "Required."})
    try:
        done = await web.take_upload(request, lib, folder_id, received)
    except ValidationError as exc:
        message = next(iter(exc.fields.values()))
        status = 409 if isinstance(exc, Conflict) else 422
        raise ApiError(status, "invalid", message, exc.fields) from None
    except web.ScanUnavailable:
        raise ApiError(503, "scan_unavailable", views.SCAN_DOWN) from None
    with runtime(request).db.read() as session:
        items = [
            file_json(session, session.get(File, f.id), session.get(Blob, f.sha256))
            for f, _new in done
        ]
    return JSONResponse({"items": items}, status_code=201)


@api(
    "GET",
    "/api/v1/files",
    summary="A folder of your library or a space's: its folders and files",
    operation_id="files.list",
    query=ListQuery,
    responses={200: Listing},
    errors=(404,),
)
async def api_list(request: Request, query: ListQuery) -> Response:
    """GET /api/v1/files?space=&folder=."""
    with runtime(request).db.read() as session:
        lib = web.library(request, session, query.space or None)
        folder = service.folder_in(session, lib, query.folder)
        folders, files = service.listing(session, lib, folder)
        return JSONResponse(
            {
                "folder": folder.id if folder else None,
                "folders": [{"id": f.id, "name": f.name, "parent": f.parent_id} for f in folders],
                "items": [file_json(session, s.file, s.blob) for s in files],
            }
        )


def _readable(session: Session, request: Request) -> File:
    return service.readable(session, request.path_params["file_id"], principals(request))


@api(
    "GET",
    "/api/v1/files/{file_id:int}",
    summary="A file, with its versions",
    operation_id="files.getFile",
    responses={200: FileOut},
)
async def api_get(request: Request) -> Response:
    """GET /api/v1/files/{id}."""
    with runtime(request).db.read() as session:
        row = _readable(session, request)
        return JSONResponse(
            file_json(session, row, session.get(Blob, row.sha256), with_versions=True)
        )


class DownloadQuery(ApiQuery):
    version: ApiId | None = None


class Download(ApiBinary):
    """A file's bytes: images and PDFs as what they are, anything else as bytes."""

    media_types = ("application/octet-stream", *sorted(set(service.safety.INLINE.values())))


@api(
    "GET",
    "/api/v1/files/{file_id:int}/download",
    summary="A file's bytes (the current version, or ?version=N); ranges honoured",
    operation_id="files.download",
    query=DownloadQuery,
    responses={200: Download, 206: Download},
    errors=(416,),
)
async def api_download(request: Request, query: DownloadQuery) -> Response:
    """GET /api/v1/files/{id}/download?version=."""
    with runtime(request).db.read() as session:
        row = _readable(session, request)
        try:
            blob, name = service.version_bytes(session, row, query.version)
        except NotFound:
            raise ApiError(404, "not_found", "No such version.") from None
    return web.file_response(request, blob, name)


@api(
    "POST",
    "/api/v1/files/{file_id:int}/versions",
    summary="Upload a new version of a file",
    operation_id="files.newVersion",
    multipart=VERSION_FORM,
    responses={201: FileOut},
    errors=(403, 409, 503),
)
async def api_new_version(request: Request) -> Response:
    """POST /api/v1/files/{id}/versions, multipart: ``file``."""
    file_id = request.path_params["file_id"]
    with runtime(request).db.read() as session:
        lib = service.library_of(session, _readable(session, request))
    if not web.may_write(request, lib):
        raise ApiError(403, "forbidden", "You may not change this file.")
    try:
        received = await web.receive(request, one=True)
    except uploads.UploadRefused as exc:
        raise _refused(exc) from None
    if len(received.files) != 1:
        raise ApiError(422, "invalid", "file: send the new version.", {"file": "Required."})
    try:
        await web.take_version(request, file_id, received)
    except ValidationError as exc:
        message = next(iter(exc.fields.values()))
        status = 409 if isinstance(exc, Conflict) else 422
        raise ApiError(status, "invalid", message, exc.fields) from None
    except web.ScanUnavailable:
        raise ApiError(503, "scan_unavailable", views.SCAN_DOWN) from None
    with runtime(request).db.read() as session:
        row = _readable(session, request)
        body = file_json(session, row, session.get(Blob, row.sha256), with_versions=True)
    return JSONResponse(body, status_code=201)


@api(
    "DELETE",
    "/api/v1/files/{file_id:int}",
    summary="Move a file to the trash (restorable for 30 days)",
    operation_id="files.deleteFile",
    responses={204: None},
    errors=(403,),
)
async def api_delete(request: Request) -> Response:
    """DELETE /api/v1/files/{id}."""
    me = current_user(request)

    def run(session: Session) -> None:
        row = _readable(session, request)
        lib = service.library_of(session, row)
        if not web.may_remove(request, lib, row.created_by):
            raise ApiError(403, "forbidden", "You may not delete this file.")
        service.trash_file(session, row, session.get(User, me.id))

    await write(request, run)
    return Response(status_code=204)


API_ROUTES = api_routes(api_upload, api_list, api_get, api_download, api_new_version, api_delete)

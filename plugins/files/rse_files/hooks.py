"""Hook implementations of the files plugin."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from starlette.requests import Request

from rse_core import (
    N_,
    ExportTable,
    Job,
    NavItem,
    Permission,
    Settings,
    SpaceTab,
    current_user,
    hookimpl,
    language,
    render_fragment,
    runtime,
)

from . import api, clamav, jobs, service, views
from .demo import load_demo
from .models import File, Version
from .storage import ExportedBlobs, storage_for


@hookimpl
def rse_addhooks(pluginmanager):
    """Declare ``files_scan``: any plugin may check an upload before it is kept."""
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def files_scan(settings, path, name):
    """ClamAV's verdict on an upload, when ``files_clamd`` names a daemon
    (``tcp://host:3310`` or ``unix:///run/clamav/clamd.ctl``); files over
    ``files_clamd_max_mb`` (100, clamd's ``StreamMaxLength``) are checked up to there."""
    address = settings.extra.get("files_clamd")
    if not address:
        return None
    limit = int(float(settings.extra.get("files_clamd_max_mb", 100)) * 1024 * 1024)
    return clamav.scan(str(address), path, limit)


@hookimpl
def rse_routes(settings):
    """The libraries, folders, files, versions, downloads and the trash."""
    return list(views.PAGE_ROUTES)


@hookimpl
def rse_api_routes(settings):
    """The files API under /api/v1/files."""
    return list(api.API_ROUTES)


@hookimpl
def rse_permissions():
    """Who may add files to a space's library: its members (a space owner may change it)."""
    return [Permission(views.web.UPLOAD_PERMISSION, N_("Add files to the space's library"))]


@hookimpl
def rse_nav_items(request: Request):
    """A "Files" entry in the header."""
    return [NavItem(N_("Files"), "/files", order=55)]


@hookimpl
def rse_space_tabs(request: Request, space):
    """A space's library."""
    return [SpaceTab(N_("Files"), f"/files/spaces/{space.slug}", order=50)]


@hookimpl
def rse_content_types():
    """The name search shows for this plugin's items."""
    return {service.TYPE: N_("File")}


@hookimpl
def rse_jobs():
    """``files.preview``: a new blob's thumbnail and words; ``files.purge`` (daily): the
    trash after 30 days, and the blobs nothing holds."""
    return [
        Job(service.PREVIEW_JOB, jobs.preview, max_attempts=3, lease=timedelta(minutes=5)),
        Job(service.PURGE_JOB, jobs.purge, every=timedelta(days=1)),
    ]


@hookimpl
def rse_prepare_entries(request: Request, entries):
    """The files of a stream page's entries, with their blobs, in two queries."""
    ids = [entry.content.id for entry in entries if entry.content.type == service.TYPE]
    if not ids:
        return None
    with runtime(request).db.read() as session:
        rows = list(session.scalars(select(File).where(File.content_id.in_(ids))))
        return {s.file.content_id: s for s in service.shown(session, rows)}


@hookimpl
def rse_render_activity(request: Request, entry, prepared):
    """A file in the stream: its name, size and, for an image or a PDF, its thumbnail."""
    if entry.content.type != service.TYPE:
        return None
    return render_fragment(
        request,
        "files/entry.html",
        {
            "entry": entry,
            "shown": prepared,
            "size": views.partial(views.human_size, lang=language(request)),
        },
    )


@hookimpl
def rse_item_attachments(request: Request, content):
    """The files attached to an item, on its page; its author can attach more."""
    if content.plugin == "files":
        return None
    with runtime(request).db.read() as session:
        attached = service.attachments(session, content.id)
    mine = content.author_id == current_user(request).id
    if not attached and not mine:
        return None
    return render_fragment(
        request,
        "files/attachments.html",
        {
            "content": content,
            "attached": attached,
            "mine": mine,
            "size": views.partial(views.human_size, lang=language(request)),
        },
    )


@hookimpl
def rse_comment_attachments(request: Request, content, comments):
    """Under each comment, the files attached to it; its author can attach more."""
    if content.plugin == "files":
        return None
    me = current_user(request).id
    with runtime(request).db.read() as session:
        found = service.comment_attachments(session, content.id, [c.id for c in comments])
    size = views.partial(views.human_size, lang=language(request))
    shown = {}
    for comment in comments:
        attached = found.get(comment.id, [])
        mine = comment.author_id == me
        if attached or mine:
            shown[comment.id] = render_fragment(
                request,
                "files/comment_attachments.html",
                {"content": content, "comment": comment, "attached": attached, "mine": mine,
                 "size": size},
            )  # fmt: skip
    return shown


@hookimpl
def rse_demo_data(session, settings):
    """Libraries with folders, documents, an image and a second version."""
    load_demo(session, settings)


@hookimpl
def rse_personal_data(session, user):
    """The versions the person uploaded: names, sizes, checksums (the bytes are downloaded
    from each file's page)."""
    versions = session.execute(
        select(Version, File.id)
        .join(File, File.id == Version.file_id)
        .where(Version.author_id == user.id)
        .order_by(Version.created_at)
    )
    return {
        "uploads": [
            {
                "name": v.name,
                "version": v.number,
                "size": v.size,
                "sha256": v.sha256,
                "file": f"/files/{file_id}",
                "at": v.created_at.isoformat(),
            }
            for v, file_id in versions
        ]
    }


@hookimpl
def rse_export_tables() -> list[ExportTable]:
    """Libraries: blobs' records, folders, files, versions, quotas (the bytes: rse_export_blobs)."""
    return [
        ExportTable("files_blob"),
        ExportTable("files_folder"),
        ExportTable("files_file"),
        ExportTable("files_version"),
        ExportTable("files_quota"),
    ]


@hookimpl
def rse_export_blobs(settings: Settings) -> ExportedBlobs:
    """Uploaded files and their thumbnails, wherever they are stored."""
    return ExportedBlobs(storage_for(settings))

"""Wiki pages: the wikis, a wiki's home and recent changes, a page with its tree, links and
backlinks, the editor (and the conflict page), history, diffs, revert, watch and delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from rse_core import (
    Conflict,
    Content,
    NotFound,
    User,
    ValidationError,
    access,
    can,
    current_user,
    find_space,
    may_moderate,
    member_spaces,
    parse_id,
    principals,
    reading_page,
    render,
    render_social,
    runtime,
    utcnow,
    write,
)

from . import pages, statements, text
from .models import WikiPage, WikiWatch

FORM_FIELDS = ("title", "body", "summary", "parent", "base_revision")


def wiki_for(request: Request, session: Session, key: str) -> pages.Wiki:
    """The wiki a URL names: ``company``, or a space the reader may know of (else 404)."""
    if key == pages.COMPANY_KEY:
        return pages.company()
    try:
        return pages.of_space(find_space(session, access(request), key))
    except NotFound as exc:
        raise HTTPException(404) from exc


def require_reader(request: Request, wiki: pages.Wiki) -> None:
    """A private space's wiki is its members' only: to anyone else it does not exist (404)."""
    if wiki.space is not None and wiki.space.principal not in principals(request):
        raise HTTPException(404)


def may_edit(request: Request, wiki: pages.Wiki) -> bool:
    """Everyone edits the company wiki; a space's wiki, its members (``wiki.edit``)."""
    if wiki.space is None:
        return can(request, "wiki.edit")
    return wiki.space.id in access(request).roles and can(request, "wiki.edit", wiki.space)


async def index(request: Request) -> Response:
    """GET /wiki: the company wiki, the wikis of the reader's spaces, recent changes."""
    with runtime(request).db.read() as session:
        changes = pages.recent_changes(session, principals(request), limit=30)
        spaces = member_spaces(request, session)
    return render(request, "wiki/index.html", {"changes": changes, "spaces": spaces})


@reading_page
def wiki_home(request: Request) -> Response:
    """GET /wiki/{wiki}: its top pages and its recent changes."""
    with runtime(request).db.read() as session:
        wiki = wiki_for(request, session, request.path_params["wiki"])
        require_reader(request, wiki)
        top = pages.children(session, wiki, None)
        changes = pages.recent_changes(session, principals(request), wiki_id=wiki.id, limit=20)
        count = pages.page_count(session, wiki)
    return render(
        request,
        "wiki/wiki.html",
        {
            "wiki": wiki,
            "top": top,
            "changes": changes,
            "count": count,
            "editable": may_edit(request, wiki),
        },
    )


async def recent(request: Request) -> Response:
    """GET /wiki/{wiki}/-/recent?before=: every change of the wiki, newest first."""
    with runtime(request).db.read() as session:
        wiki = wiki_for(request, session, request.path_params["wiki"])
        require_reader(request, wiki)
        changes = pages.recent_changes(
            session,
            principals(request),
            wiki_id=wiki.id,
            before=parse_id(request.query_params.get("before")),
            limit=51,
        )
    more = len(changes) > 50
    changes = changes[:50]
    return render(
        request,
        "wiki/recent.html",
        {
            "wiki": wiki,
            "changes": changes,
            "next_before": changes[-1].revision.id if more else None,
        },
    )


def readable_page(
    request: Request, session: Session, *, deleted_ok: bool = False
) -> tuple[pages.Wiki, WikiPage, Content]:
    """The wiki and page the URL names (an old address included) if the reader may see it,
    else a 404 (``deleted_ok``: a deleted page too, for an admin's look at its history)."""
    wiki = wiki_for(request, session, request.path_params["wiki"])
    page, _moved = pages.find(session, wiki, request.path_params["page_slug"])
    content = pages.readable(session, principals(request), page, deleted_ok=deleted_ok)
    if page is None or content is None:
        raise NotFound("No such page.")
    return wiki, page, content


@reading_page
def page_view(request: Request) -> Response:
    """GET /wiki/{wiki}/{slug}: the page (``?revision=n``: an older text), its place in the
    tree, its table of contents, links, backlinks, likes and comments. A missing page offers
    to create it; an old address redirects to the renamed page."""
    me = current_user(request)
    with runtime(request).db.read() as session:
        wiki = wiki_for(request, session, request.path_params["wiki"])
        page, moved = pages.find(session, wiki, request.path_params["page_slug"])
        content = pages.readable(session, principals(request), page)
        if page is not None and content is not None and moved:
            return RedirectResponse(f"{wiki.base}/{page.slug}", status_code=301)
        if page is None or content is None:
            require_reader(request, wiki)
            if page is not None and page.deleted_at is None:
                raise HTTPException(404)
            title = request.query_params.get("create", "")[:200]
            return render(
                request,
                "wiki/missing.html",
                {
                    "wiki": wiki,
                    "slug": request.path_params["page_slug"],
                    "title": title,
                    "editable": may_edit(request, wiki),
                },
                status_code=404,
            )
        shown = page
        old = None
        number = parse_id(request.query_params.get("revision"))
        if number is not None and number != page.revision:
            old = pages.revision(session, page, number)
            if old is None:
                raise HTTPException(404)
        body = old.body if old else page.body
        links = text.link_targets(body)
        found = pages.existing(session, wiki, links)
        html, toc = text.render_page(body, wiki.base, found)
        editor, watching = last_editor(session, page, me.id)
        data: dict[str, Any] = {
            "wiki": wiki,
            "page": shown,
            "old": old,
            "html": html,
            "toc": toc,
            "trail": pages.breadcrumbs(session, page),
            "children": pages.children(session, wiki, page, limit=100),
            "backlinks": pages.backlinks(session, principals(request), page),
            "watching": watching,
            "editable": may_edit(request, wiki),
            "deletable": may_moderate(session, request, content, content.author_id),
            "editor": editor,
        }
    data["social"] = render_social(request, content) if old is None else ""
    return render(request, "wiki/page.html", data)


def last_editor(session: Session, page: WikiPage, reader_id: int) -> tuple[User | None, bool]:
    """Who saved the page's current revision, and whether the reader watches it (one query)."""
    parameters = {"page_id": page.id, "reader_id": reader_id, "number": page.revision}
    row = session.execute(statements.LAST_EDITOR, parameters).first()
    if row is None:
        return None, session.get(WikiWatch, (page.id, reader_id)) is not None
    return row[0], bool(row[1])


def _editor(
    request: Request,
    wiki: pages.Wiki,
    page: WikiPage | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "wiki/edit.html",
        {"wiki": wiki, "page": page, "values": values, "errors": errors},
        status_code=status_code,
    )


async def new_page(request: Request) -> Response:
    """GET /wiki/{wiki}/-/new?title=&parent=: the editor for a new page; POST creates it."""
    with runtime(request).db.read() as session:
        wiki = wiki_for(request, session, request.path_params["wiki"])
    if not may_edit(request, wiki):
        raise HTTPException(403)
    if request.method == "GET":
        values = {k: request.query_params.get(k, "") for k in ("title", "parent")}
        return _editor(request, wiki, None, values, {})
    form = await request.form()
    values = {k: form.get(k) for k in FORM_FIELDS}
    slug = text.page_slug(str(values.get("title") or ""))
    return await _save(request, wiki, None, slug, values)


async def edit_page(request: Request) -> Response:
    """GET /wiki/{wiki}/{slug}/edit: the editor (it remembers the revision it started from);
    POST saves: merged with saves made meanwhile, or the conflict page."""
    with runtime(request).db.read() as session:
        wiki, page, _content = readable_page(request, session)
        parent = session.get(WikiPage, page.parent_id) if page.parent_id else None
    if not may_edit(request, wiki):
        raise HTTPException(403)
    if request.method == "GET":
        values = {
            "title": page.title,
            "body": page.body,
            "parent": parent.slug if parent else "",
            "base_revision": str(page.revision),
            "summary": "",
        }
        return _editor(request, wiki, page, values, {})
    form = await request.form()
    values = {k: form.get(k) for k in FORM_FIELDS}
    return await _save(request, wiki, page, page.slug, values)


async def _save(
    request: Request, wiki: pages.Wiki, page: WikiPage | None, slug: str, values: dict[str, Any]
) -> Response:
    me = current_user(request)
    base = parse_id(values.get("base_revision"))

    def run(session: Session) -> pages.Saved | pages.EditConflict:
        if page is None and pages.find(session, wiki, slug)[0] is not None:
            raise Conflict({"title": "A page of this wiki has this title already."})
        try:
            return pages.save(
                session,
                wiki,
                slug,
                session.get(User, me.id),
                title=values.get("title"),
                body=values.get("body"),
                base_revision=base if page is not None else None,
                parent=values.get("parent") or "",
                summary=values.get("summary") or "",
                now=utcnow(),
            )
        except pages.EditConflict as conflict:
            return conflict

    try:
        result = await write(request, run)
    except ValidationError as exc:
        return _editor(request, wiki, page, values, exc.fields, status_code=422)
    if isinstance(result, pages.EditConflict):
        return render(
            request,
            "wiki/conflict.html",
            {
                "wiki": wiki,
                "page": result.page,
                "mine": result.body,
                "title": result.title,
                "summary": values.get("summary") or "",
                "rows": text.diff(result.page.body, result.body),
            },
            status_code=409,
        )
    target = f"{wiki.base}/{result.page.slug}"
    return RedirectResponse(target + ("?merged=1" if result.merged else ""), status_code=303)


async def history(request: Request) -> Response:
    """GET /wiki/{wiki}/{slug}/history?before=: revisions, 50 a page, to compare or revert
    (a deleted page's history: site admins)."""
    admin = bool(getattr(current_user(request), "is_admin", False))
    with runtime(request).db.read() as session:
        wiki, page, _content = readable_page(request, session, deleted_ok=admin)
        rows = pages.history(
            session, page, before=parse_id(request.query_params.get("before")), limit=51
        )
    more = len(rows) > 50
    rows = rows[:50]
    return render(
        request,
        "wiki/history.html",
        {
            "wiki": wiki,
            "page": page,
            "rows": rows,
            "editable": may_edit(request, wiki) and page.deleted_at is None,
            "next_before": rows[-1][0].number if more else None,
        },
    )


async def diff_page(request: Request) -> Response:
    """GET /wiki/{wiki}/{slug}/diff?from=&to=: a readable diff of two revisions (by default,
    the last change)."""
    admin = bool(getattr(current_user(request), "is_admin", False))
    with runtime(request).db.read() as session:
        wiki, page, _content = readable_page(request, session, deleted_ok=admin)
        to = parse_id(request.query_params.get("to")) or page.revision
        start = parse_id(request.query_params.get("from")) or max(1, to - 1)
        old, new = pages.revision(session, page, start), pages.revision(session, page, to)
        if old is None or new is None:
            raise HTTPException(404)
    return render(
        request,
        "wiki/diff.html",
        {"wiki": wiki, "page": page, "old": old, "new": new, "rows": text.diff(old.body, new.body)},
    )


async def page_action(request: Request) -> Response:
    """POST /wiki/{wiki}/{slug}/revert (``revision``), .../watch (``on``), .../delete."""
    action = request.url.path.rsplit("/", 1)[1]
    form = await request.form()
    me = current_user(request)

    def run(session: Session) -> str:
        wiki, page, content = readable_page(request, session)
        user = session.get(User, me.id)
        if action == "watch":
            pages.watch(session, page, user, form.get("on") == "1")
            return f"{wiki.base}/{page.slug}"
        if action == "delete":
            if not may_moderate(session, request, content, content.author_id):
                raise HTTPException(403)
            pages.remove(session, page, utcnow())
            return wiki.base
        if not may_edit(request, wiki):
            raise HTTPException(403)
        number = parse_id(form.get("revision"))
        if number is None:
            raise ValidationError({"revision": "Choose a revision."})
        pages.revert(session, wiki, page, number, user, utcnow())
        return f"{wiki.base}/{page.slug}"

    return RedirectResponse(await write(request, run), status_code=303)


PAGE_ROUTES = [
    Route("/wiki", index, methods=["GET"]),
    Route("/wiki/{wiki}", wiki_home, methods=["GET"]),
    Route("/wiki/{wiki}/-/recent", recent, methods=["GET"]),
    Route("/wiki/{wiki}/-/new", new_page, methods=["GET", "POST"]),
    Route("/wiki/{wiki}/{page_slug}", page_view, methods=["GET"]),
    Route("/wiki/{wiki}/{page_slug}/edit", edit_page, methods=["GET", "POST"]),
    Route("/wiki/{wiki}/{page_slug}/history", history, methods=["GET"]),
    Route("/wiki/{wiki}/{page_slug}/diff", diff_page, methods=["GET"]),
    Route("/wiki/{wiki}/{page_slug}/revert", page_action, methods=["POST"]),
    Route("/wiki/{wiki}/{page_slug}/watch", page_action, methods=["POST"]),
    Route("/wiki/{wiki}/{page_slug}/delete", page_action, methods=["POST"]),
]

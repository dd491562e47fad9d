"""Blog pages: the latest posts, an author's and a space's blog, a post, the editor with its
live preview, the author's drafts, and the Atom feeds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from rse_core import (
    AtomEntry,
    Content,
    Space,
    User,
    ValidationError,
    access,
    atom_response,
    can,
    current_user,
    feed_key,
    feed_reader,
    find_space,
    may_moderate,
    member_spaces,
    parse_id,
    people_and_spaces,
    principals,
    public_base,
    reading_page,
    render,
    render_markdown,
    render_social,
    runtime,
    time_zone,
    utcnow,
    write,
)

from . import posts
from .models import SCHEDULED, BlogPost

PAGE = 20
FORM_FIELDS = ("title", "body", "tags", "cover_url", "status", "publish_at", "space")


def _before(request: Request) -> int | None:
    return parse_id(request.query_params.get("before"))


def _feed_url(request: Request, session: Session, path: str) -> str | None:
    key = feed_key(request, session, session.get(User, current_user(request).id))
    return f"/feeds/blog/{key}/{path}" if key else None


def _listing_page(
    request: Request,
    *,
    heading: str,
    feed_path: str,
    space: Space | None = None,
    author: User | None = None,
) -> Response:
    tag = (request.query_params.get("tag") or "").lower()[:40] or None
    with runtime(request).db.read() as session:
        rows = posts.listing(
            session,
            principals(request),
            space_id=space.id if space else None,
            author_id=author.id if author else None,
            personal=author is not None,
            tag=tag,
            before=_before(request),
            limit=PAGE + 1,
        )
        authors, spaces = people_and_spaces(
            session, [p.author_id for p, _ in rows], [p.space_id for p, _ in rows]
        )
        drafts = posts.unpublished_count(session, current_user(request).id)
        feed_url = _feed_url(request, session, feed_path)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return render(
        request,
        "blog/index.html",
        {
            "heading": heading,
            "rows": rows,
            "authors": authors,
            "spaces": spaces,
            "space": space,
            "author": author,
            "tag": tag,
            "drafts": drafts,
            "feed_url": feed_url,
            "may_write": space is None or space.id in access(request).roles,
            "reading_minutes": posts.reading_minutes,
            "next_before": rows[-1][0].id if more else None,
        },
    )


@reading_page
def index(request: Request) -> Response:
    """GET /blog: the latest posts of every blog the reader may read."""
    return _listing_page(request, heading="", feed_path="latest.atom")


@reading_page
def space_blog(request: Request) -> Response:
    """GET /blog/spaces/{slug}: a space's blog (its news)."""
    with runtime(request).db.read() as session:
        space = find_space(session, access(request), request.path_params["slug"])
    return _listing_page(
        request, heading=space.name, space=space, feed_path=f"spaces/{space.slug}.atom"
    )


@reading_page
def author_blog(request: Request) -> Response:
    """GET /blog/people/{username}: an employee's own blog."""
    author = _user(request, request.path_params["username"])
    return _listing_page(
        request,
        heading=author.display_name,
        author=author,
        feed_path=f"people/{author.username}.atom",
    )


def _user(request: Request, username: str) -> User:
    with runtime(request).db.read() as session:
        user = session.execute(
            select(User).where(User.username == username, User.is_active.is_(True))
        ).scalar_one_or_none()
    if user is None:
        raise HTTPException(404)
    return user


def readable(request: Request, session: Session, post_id: int) -> tuple[BlogPost, Content | None]:
    """The post (and its content once published) if the reader may read it; else a 404."""
    return posts.readable(session, post_id, principals(request), current_user(request).id)


async def post_page(request: Request) -> Response:
    """GET /blog/posts/{id}: the post, reading time, previous and next, likes and comments."""
    me = current_user(request)
    with runtime(request).db.read() as session:
        post, content = readable(request, session, request.path_params["blog_post_id"])
        author = session.get(User, post.author_id)
        space = session.get(Space, post.space_id) if post.space_id else None
        older, newer = (
            posts.neighbours(session, principals(request), post) if content else (None, None)
        )
        deletable = post.author_id == me.id or (
            content is not None and may_moderate(session, request, content, post.author_id)
        )
    return render(
        request,
        "blog/post.html",
        {
            "post": post,
            "content": content,
            "author": author,
            "space": space,
            "body_html": render_markdown(post.body),
            "minutes": posts.reading_minutes(post.body),
            "older": older,
            "newer": newer,
            "social": render_social(request, content) if content else "",
            "editable": post.author_id == me.id,
            "deletable": deletable,
        },
    )


def _parse_local(request: Request, raw: object) -> datetime | None:
    """A ``datetime-local`` field, read in the reader's time zone."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError as exc:
        raise ValidationError({"publish_at": "Give a date and a time."}) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=time_zone(request))


def _form_data(request: Request, form: Any) -> dict[str, Any]:
    data = {k: form.get(k) for k in FORM_FIELDS if form.get(k) is not None}
    data["tags"] = data.get("tags") or ""
    data["cover_url"] = data.get("cover_url") or ""
    data["publish_at"] = _parse_local(request, data.get("publish_at"))
    if data.get("status") != SCHEDULED:
        data["publish_at"] = None
    return data


def _editor(
    request: Request,
    post: BlogPost | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    with runtime(request).db.read() as session:
        spaces = member_spaces(request, session) if post is None else ()
        space = session.get(Space, post.space_id) if post and post.space_id else None
    return render(
        request,
        "blog/editor.html",
        {
            "post": post,
            "values": values,
            "errors": errors,
            "spaces": spaces,
            "space": space,
            "preview": render_markdown(values.get("body") or ""),
        },
        status_code=status_code,
    )


def _local_value(request: Request, moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(time_zone(request)).strftime("%Y-%m-%dT%H:%M")


async def new_post(request: Request) -> Response:
    """GET /blog/new: an empty editor (``?space=`` preselects a space)."""
    return _editor(request, None, {"space": request.query_params.get("space", "")}, {})


async def create(request: Request) -> Response:
    """POST /blog/posts: the editor's form for a new post."""
    form = await request.form()
    me = current_user(request)
    try:
        data = _form_data(request, form)

        def run(session: Session) -> int:
            space = _space_to_post_in(request, session, data.get("space"))
            fields = posts.clean(data, now=utcnow(), creating=True)
            return posts.create_post(session, session.get(User, me.id), space, fields, utcnow()).id

        post_id = await write(request, run)
    except ValidationError as exc:
        values = {k: form.get(k) for k in FORM_FIELDS}
        return _editor(request, None, values, exc.fields, status_code=422)
    return RedirectResponse(f"/blog/posts/{post_id}", status_code=303)


def _space_to_post_in(request: Request, session: Session, slug: object) -> Space | None:
    """The space a new post goes to (one the author belongs to), or None for their blog."""
    if slug in (None, ""):
        if not can(request, "blog.post"):
            raise ValidationError({"space": "You may not write in the company blogs."})
        return None
    if not isinstance(slug, str):
        raise ValidationError({"space": "Give the space's address."})
    space = find_space(session, access(request), slug)
    if space.id not in access(request).roles or not can(request, "blog.post", space):
        raise ValidationError({"space": "You can only write in the blogs of your spaces."})
    return space


async def edit_page(request: Request) -> Response:
    """GET /blog/posts/{id}/edit: the editor, for the post's author."""
    with runtime(request).db.read() as session:
        post, _content = readable(request, session, request.path_params["blog_post_id"])
    if post.author_id != current_user(request).id:
        raise HTTPException(403)
    values = {
        "title": post.title,
        "body": post.body,
        "tags": post.tags.replace(" ", ", "),
        "cover_url": post.cover_url or "",
        "status": post.status,
        "publish_at": _local_value(request, post.publish_at),
    }
    return _editor(request, post, values, {})


async def change(request: Request) -> Response:
    """POST /blog/posts/{id}: ``action=save`` (the author) or ``action=delete`` (the author,
    or a moderator of a published post's space)."""
    form = await request.form()
    action = form.get("action")
    me = current_user(request)
    post_id = request.path_params["blog_post_id"]
    try:
        data = _form_data(request, form) if action == "save" else {}

        def run(session: Session) -> str:
            post, content = readable(request, session, post_id)
            if action not in ("save", "delete"):
                raise HTTPException(400, "action must be save or delete")
            if action == "delete":
                allowed = post.author_id == me.id or (
                    content is not None and may_moderate(session, request, content, post.author_id)
                )
                if not allowed:
                    raise HTTPException(403)
                posts.remove_post(session, post)
                return "/blog"
            if post.author_id != me.id:
                raise HTTPException(403)
            data.pop("space", None)
            fields = posts.clean(data, now=utcnow(), creating=False)
            space = session.get(Space, post.space_id) if post.space_id else None
            posts.edit_post(session, post, session.get(User, me.id), space, fields, utcnow())
            return posts.post_url(post)

        target = await write(request, run)
    except ValidationError as exc:
        with runtime(request).db.read() as session:
            post, _content = readable(request, session, post_id)
        values = {k: form.get(k) for k in FORM_FIELDS}
        return _editor(request, post, values, exc.fields, status_code=422)
    return RedirectResponse(target, status_code=303)


async def preview(request: Request) -> Response:
    """POST /blog/preview: the body as the post will show it (the editor's live preview)."""
    form = await request.form()
    body = form.get("body")
    if not isinstance(body, str) or len(body) > posts.MAX_BODY:
        return HTMLResponse('<p class="field-error">…</p>', status_code=422)
    return HTMLResponse(str(render_markdown(body)))


async def drafts(request: Request) -> Response:
    """GET /blog/drafts: the reader's drafts and scheduled posts."""
    with runtime(request).db.read() as session:
        rows = posts.unpublished(session, current_user(request).id)
    return render(request, "blog/drafts.html", {"rows": rows})


# --- Atom ------------------------------------------------------------------------------------


async def atom(request: Request) -> Response:
    """GET /feeds/blog/{token}/latest.atom, .../spaces/{slug}.atom, .../people/{username}.atom:
    a blog's posts as the key's owner may read them today."""
    params = request.path_params
    base = public_base(request)
    with runtime(request).db.read() as session:
        found = feed_reader(request, session, params["token"], plugin="blog")
        if found is None:
            raise HTTPException(404)
        reader, reader_principals = found
        space = author = None
        if "slug" in params:
            space = session.execute(
                select(Space).where(Space.slug == params["slug"])
            ).scalar_one_or_none()
            if space is None or space.principal not in reader_principals:
                raise HTTPException(404)  # a private space's blog: its members only
            title, link = f"{space.name} · blog", f"/blog/spaces/{space.slug}"
        elif "username" in params:
            author = session.execute(
                select(User).where(User.username == params["username"])
            ).scalar_one_or_none()
            if author is None:
                raise HTTPException(404)
            title, link = f"{author.display_name} · blog", f"/blog/people/{author.username}"
        else:
            title, link = "rse · blog", "/blog"
        rows = posts.listing(
            session,
            reader_principals,
            space_id=space.id if space else None,
            author_id=author.id if author else None,
            personal=author is not None,
            limit=30,
        )
        authors, _ = people_and_spaces(session, [p.author_id for p, _ in rows])
        del reader
    return atom_response(
        title=title,
        feed_id=f"{base}{link}",
        link=f"{base}{link}",
        self_link=str(request.url),
        entries=[
            AtomEntry(
                id=f"{base}{posts.post_url(post)}",
                title=post.title,
                link=f"{base}{posts.post_url(post)}",
                updated=content.updated_at,
                published=content.created_at,
                author=authors[post.author_id].display_name,
                html=str(render_markdown(post.body)),
                categories=tuple(post.tags.split()),
            )
            for post, content in rows
        ],
    )


PAGE_ROUTES = [
    Route("/blog", index, methods=["GET"]),
    Route("/blog/new", new_post, methods=["GET"]),
    Route("/blog/drafts", drafts, methods=["GET"]),
    Route("/blog/preview", preview, methods=["POST"]),
    Route("/blog/posts", create, methods=["POST"]),
    Route("/blog/posts/{blog_post_id:int}", post_page, methods=["GET"]),
    Route("/blog/posts/{blog_post_id:int}", change, methods=["POST"]),
    Route("/blog/posts/{blog_post_id:int}/edit", edit_page, methods=["GET"]),
    Route("/blog/spaces/{slug}", space_blog, methods=["GET"]),
    Route("/blog/people/{username}", author_blog, methods=["GET"]),
    Route("/feeds/blog/{token}/latest.atom", atom, methods=["GET"]),
    Route("/feeds/blog/{token}/spaces/{slug}.atom", atom, methods=["GET"]),
    Route("/feeds/blog/{token}/people/{username}.atom", atom, methods=["GET"]),
]

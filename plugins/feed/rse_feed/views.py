"""Feed pages (post, tag page, composer actions) and the feed API."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from markupsafe import escape
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from rse_core import (
    ApiBody,
    ApiError,
    ApiId,
    ApiLink,
    ApiQuery,
    ApiShape,
    ApiText,
    Content,
    Space,
    User,
    ValidationError,
    access,
    api,
    api_routes,
    can,
    current_user,
    find_space,
    followed,
    get_visible,
    may_moderate,
    most_first,
    parse_id,
    people_and_spaces,
    principals,
    reading_page,
    render,
    render_social,
    runtime,
    shared_top,
    sum_counters,
    tag_tally,
    tagged,
    utcnow,
    write,
)

from .models import Post
from .posts import MAX_BODY, create_post, edit_post, remove_post, render_body


def _load(request: Request, session: Session, post_id: int) -> tuple[Post, Content]:
    post = session.get(Post, post_id)
    content = get_visible(session, post.content_id, principals(request)) if post else None
    if post is None or content is None:
        raise HTTPException(404)
    return post, content


def post_json(post: Post, content: Content, author: User, space: Space | None) -> dict[str, Any]:
    """A post as the API shows it."""
    return {
        "id": post.id,
        "content_id": content.id,
        "url": content.url,
        "body": post.body,
        "html": str(render_body(post.body)),
        "author": {"username": author.username, "display_name": author.display_name},
        "space": space.slug if space else None,
        "created_at": content.created_at.isoformat(),
        "updated_at": content.updated_at.isoformat(),
    }


def _new_post(request: Request, body: object, space_slug: object) -> Any:
    me = current_user(request)

    def run(session: Session) -> int:
        if not can(request, "feed.post"):
            raise ApiError(403, "forbidden", "You may not post to the feed.")
        space = None
        if space_slug not in (None, ""):
            if not isinstance(space_slug, str):
                raise ValidationError({"space": "Give the space's address."})
            space = find_space(session, access(request), space_slug)
        return create_post(session, session.get(User, me.id), body, space).id

    return run


async def compose(request: Request) -> Response:
    """POST /feed/posts: the composer (htmx or a plain form)."""
    form = await request.form()
    space = form.get("space") or None
    try:
        post_id = await write(request, _new_post(request, form.get("body"), space))
    except ValidationError as exc:
        if request.headers.get("hx-request"):
            message = next(iter(exc.fields.values()))
            return HTMLResponse(
                f'<p class="field-error" role="alert">{_escape(message)}</p>', status_code=422
            )
        raise
    if request.headers.get("hx-request"):
        response = HTMLResponse("", status_code=204)
        response.headers["hx-refresh"] = "true"
        return response
    return RedirectResponse(f"/feed/posts/{post_id}", status_code=303)


def _escape(text: str) -> str:
    return str(escape(text))


@reading_page
def post_page(request: Request) -> Response:
    """GET /feed/posts/{id}: the post, its likes and comments; edit/delete for who may."""
    with runtime(request).db.read() as session:
        post, content = _load(request, session, request.path_params["post_id"])
        author = session.get(User, content.author_id)
        space = session.get(Space, content.space_id) if content.space_id else None
        deletable = may_moderate(session, request, content, content.author_id)
    return render(
        request,
        "feed/post.html",
        {
            "post": post,
            "content": content,
            "author": author,
            "space": space,
            "body_html": render_body(post.body),
            "social": render_social(request, content),
            "editable": content.author_id == current_user(request).id,
            "deletable": deletable,
        },
    )


async def post_change(request: Request) -> Response:
    """POST /feed/posts/{id}: ``action=edit`` with ``body`` (author) or ``action=delete``."""
    form = await request.form()
    action = form.get("action")
    me = current_user(request)

    def run(session: Session) -> str:
        post, content = _load(request, session, request.path_params["post_id"])
        if action == "edit":
            if content.author_id != me.id:
                raise HTTPException(403)
            edit_post(session, post, content, session.get(User, me.id), form.get("body"))
            return content.url
        if action == "delete":
            if not may_moderate(session, request, content, content.author_id):
                raise HTTPException(403)
            remove_post(session, content)
            return "/"
        raise HTTPException(400, "action must be edit or delete")

    return RedirectResponse(await write(request, run), status_code=303)


async def tag_page(request: Request) -> Response:
    """GET /feed/tags/{tag}: every visible post with this hashtag, and a follow button."""
    tag = request.path_params["tag"].lower()[:60]
    before = request.query_params.get("before")
    me = current_user(request)
    with runtime(request).db.read() as session:
        items = tagged(
            session,
            principals(request),
            tag,
            plugin="feed",
            before=parse_id(before),
            limit=21,
        )
        more = len(items) > 20
        items = items[:20]
        posts, authors, _spaces = load_related(session, items)
        following = f"tag:{tag}" in followed(session, me.id)
    return render(
        request,
        "feed/tag.html",
        {
            "tag": tag,
            "items": [(c, posts[c.id], authors[c.author_id]) for c in items],
            "render_body": render_body,
            "following": following,
            "next_before": items[-1].id if more else None,
        },
    )


def load_related(
    session: Session, items: list[Content]
) -> tuple[dict[int, Post], dict[int, User], dict[int, Space]]:
    """Posts, authors and spaces of a list of items: three queries, none per item."""
    content_ids = [c.id for c in items]
    posts = {
        p.content_id: p
        for p in session.execute(select(Post).where(Post.content_id.in_(content_ids))).scalars()
    }
    authors, spaces = people_and_spaces(
        session, [c.author_id for c in items], [c.space_id for c in items]
    )
    return posts, authors, spaces


def trending(request: Request) -> list[tuple[str, int]]:
    """The week's most used hashtags on items the reader may see (counted once a minute per
    worker for every audience: ``shared_top``)."""

    def week(session: Session):
        return tag_tally(session, utcnow() - timedelta(days=7))

    return shared_top(request, "feed.trending", week, sum_counters, most_first, 10)


# --- API -------------------------------------------------------------------------------------


class AuthorOut(ApiShape):
    """Who wrote it"""

    username: str
    display_name: str


class PostOut(ApiShape):
    """A post: its Markdown and the sanitised HTML it renders to"""

    id: int
    content_id: int
    url: str
    body: str
    html: str
    author: AuthorOut
    space: str | None
    created_at: str
    updated_at: str


class TagPage(ApiShape):
    """Posts with a hashtag, newest first"""

    tag: str
    items: list[PostOut]
    next: str | None


class PostIn(ApiBody):
    body: ApiText(MAX_BODY, required=True)
    space: Annotated[str, Field(description="a space's slug; omit for everyone")] | None = None


class PostEdit(ApiBody):
    body: ApiText(MAX_BODY, required=True)


class TagQuery(ApiQuery):
    before: ApiId | None = None


POST_LINKS = {
    "GetPost": ApiLink("feed.getPost", {"post_id": "$response.body#/id"}),
    "EditPost": ApiLink("feed.editPost", {"post_id": "$response.body#/id"}),
    "DeletePost": ApiLink("feed.deletePost", {"post_id": "$response.body#/id"}),
    "CommentOnPost": ApiLink("createComment", {"content_id": "$response.body#/content_id"}),
    "LikePost": ApiLink("react", {"content_id": "$response.body#/content_id"}),
    "ReportPost": ApiLink("core.reportContent", {"content_id": "$response.body#/content_id"}),
}


@api(
    "POST",
    "/api/v1/feed/posts",
    summary="Post to the company or a space you belong to",
    operation_id="feed.createPost",
    body=PostIn,
    responses={201: PostOut},
    errors=(403, 404),
    links={201: POST_LINKS},
)
async def api_create(request: Request, body: PostIn) -> Response:
    """POST /api/v1/feed/posts {"body", "space"?}."""
    post_id = await write(request, _new_post(request, body.body, body.space))
    return await _post_response(request, post_id, 201)


async def _post_response(request: Request, post_id: int, status: int) -> Response:
    with runtime(request).db.read() as session:
        post, content = _load(request, session, post_id)
        author = session.get(User, content.author_id)
        space = session.get(Space, content.space_id) if content.space_id else None
        body = post_json(post, content, author, space)
    return JSONResponse(body, status_code=status)


@api(
    "GET",
    "/api/v1/feed/posts/{post_id:int}",
    summary="A post",
    operation_id="feed.getPost",
    responses={200: PostOut},
)
async def api_get(request: Request) -> Response:
    """GET /api/v1/feed/posts/{id}."""
    return await _post_response(request, request.path_params["post_id"], 200)


@api(
    "PATCH",
    "/api/v1/feed/posts/{post_id:int}",
    summary="Edit your post",
    operation_id="feed.editPost",
    body=PostEdit,
    responses={200: PostOut},
    errors=(403,),
)
async def api_update(request: Request, body: PostEdit) -> Response:
    """PATCH /api/v1/feed/posts/{id} {"body"} (author only)."""
    me = current_user(request)

    def run(session: Session) -> None:
        post, content = _load(request, session, request.path_params["post_id"])
        if content.author_id != me.id:
            raise ApiError(403, "forbidden", "Only its author edits a post.")
        edit_post(session, post, content, session.get(User, me.id), body.body)

    await write(request, run)
    return await _post_response(request, request.path_params["post_id"], 200)


@api(
    "DELETE",
    "/api/v1/feed/posts/{post_id:int}",
    summary="Delete a post (author, space moderator, or admin)",
    operation_id="feed.deletePost",
    responses={204: None},
    errors=(403,),
)
async def api_delete(request: Request) -> Response:
    """DELETE /api/v1/feed/posts/{id} (author, space moderator, or admin)."""

    def run(session: Session) -> None:
        _post, content = _load(request, session, request.path_params["post_id"])
        if not may_moderate(session, request, content, content.author_id):
            raise ApiError(403, "forbidden", "You may not delete this post.")
        remove_post(session, content)

    await write(request, run)
    return Response(status_code=204)


@api(
    "GET",
    "/api/v1/feed/tags/{tag}",
    summary="Posts you may see with this hashtag, newest first",
    operation_id="feed.listTag",
    query=TagQuery,
    responses={200: TagPage},
)
async def api_tag(request: Request, query: TagQuery) -> Response:
    """GET /api/v1/feed/tags/{tag}?before=: visible posts with this hashtag."""
    tag = request.path_params["tag"].lower()[:60]
    with runtime(request).db.read() as session:
        items = tagged(
            session, principals(request), tag, plugin="feed", before=query.before, limit=21
        )
        more = len(items) > 20
        items = items[:20]
        posts, authors, spaces = load_related(session, items)
        out = [
            post_json(posts[c.id], c, authors[c.author_id], spaces.get(c.space_id)) for c in items
        ]
    return JSONResponse({"tag": tag, "items": out, "next": str(items[-1].id) if more else None})


PAGE_ROUTES = [
    Route("/feed/posts", compose, methods=["POST"]),
    Route("/feed/posts/{post_id:int}", post_page, methods=["GET"]),
    Route("/feed/posts/{post_id:int}", post_change, methods=["POST"]),
    Route("/feed/tags/{tag}", tag_page, methods=["GET"]),
]
API_ROUTES = api_routes(api_create, api_get, api_update, api_delete, api_tag)

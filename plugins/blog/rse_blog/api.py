"""The blog API under /api/v1/blog: write, schedule, read, edit, delete and list posts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BeforeValidator, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

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
    access,
    api,
    api_routes,
    can,
    current_user,
    find_space,
    may_moderate,
    people_and_spaces,
    principals,
    render_markdown,
    runtime,
    utcnow,
    write,
)

from . import posts
from .models import BlogPost
from .views import readable

Status = Literal["draft", "scheduled", "published"]


class AuthorOut(ApiShape):
    """Who wrote it"""

    username: str
    display_name: str


class PostOut(ApiShape):
    """A blog post: its Markdown and the sanitised HTML it renders to. ``content_id`` (for
    comments and likes) is null until the post is published."""

    id: int
    content_id: int | None
    url: str
    title: str
    body: str
    html: str
    tags: list[str]
    cover_url: str | None
    status: Status
    publish_at: str | None
    published_at: str | None
    reading_minutes: int
    author: AuthorOut
    space: str | None
    created_at: str
    updated_at: str


class PostPage(ApiShape):
    """Posts, newest first; ``next`` is the ``before`` of the following page"""

    items: list[PostOut]
    next: str | None


Tag = Annotated[str, Field(pattern=r"^#?[^\W_][\w-]{0,39}$", max_length=41)]
SpaceSlug = Annotated[str, Field(description="a space's slug; omit for your own blog")]
CoverUrl = Annotated[
    str,
    Field(
        max_length=posts.MAX_COVER_URL,
        pattern=f"{posts.COVER_URL}|^$",
        description="an http or https image address; empty for none",
    ),
]


def _iso_text(value: object) -> object:
    # Lax parsing (below) would also take a number as a Unix time: the document says text.
    if not isinstance(value, str):
        raise ValueError("must be a date and time as text (ISO 8601 with its offset)")
    return value


PublishAt = Annotated[
    AwareDatetime,
    Field(
        strict=False,  # JSON carries it as text
        description="when a scheduled post goes live (ISO 8601 with its offset, future)",
    ),
    BeforeValidator(_iso_text),
]


class PostIn(ApiBody):
    """A new post; ``status: scheduled`` needs ``publish_at`` (a time still ahead: one
    passed meanwhile is a 409)"""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"status": {"const": "scheduled"}}, "required": ["status"]},
            "then": {"required": ["publish_at"], "properties": {"publish_at": {"type": "string"}}},
        }
    )

    title: ApiText(posts.MAX_TITLE, required=True)
    body: ApiText(posts.MAX_BODY, required=True)
    status: Status
    space: SpaceSlug | None = None
    tags: Annotated[list[Tag], Field(max_length=posts.MAX_TAGS)] | None = None
    cover_url: CoverUrl | None = None
    publish_at: PublishAt | None = None


class PostEdit(ApiBody):
    """Changes to a post. Conflicts with its state are 409s: ``status: draft`` once published,
    ``scheduled`` with no ``publish_at`` given or kept, a ``publish_at`` already passed"""

    title: ApiText(posts.MAX_TITLE, required=True) | None = None
    body: ApiText(posts.MAX_BODY, required=True) | None = None
    status: Status | None = None
    tags: Annotated[list[Tag], Field(max_length=posts.MAX_TAGS)] | None = None
    cover_url: CoverUrl | None = None
    publish_at: PublishAt | None = None


class ListQuery(ApiQuery):
    space: ApiText(60) | None = None
    author: ApiText(40) | None = None
    tag: ApiText(41) | None = None
    status: Status = "published"
    before: ApiId | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20


POST_LINKS = {
    "GetPost": ApiLink("blog.getPost", {"blog_post_id": "$response.body#/id"}),
    "EditPost": ApiLink("blog.editPost", {"blog_post_id": "$response.body#/id"}),
    "DeletePost": ApiLink("blog.deletePost", {"blog_post_id": "$response.body#/id"}),
}


def post_json(
    post: BlogPost, content: Content | None, author: User, space: Space | None
) -> dict[str, Any]:
    """A post as the API shows it."""
    return {
        "id": post.id,
        "content_id": content.id if content else None,
        "url": posts.post_url(post),
        "title": post.title,
        "body": post.body,
        "html": str(render_markdown(post.body)),
        "tags": post.tags.split(),
        "cover_url": post.cover_url,
        "status": post.status,
        "publish_at": post.publish_at.isoformat() if post.publish_at else None,
        "published_at": post.published_at.isoformat() if post.published_at else None,
        "reading_minutes": posts.reading_minutes(post.body),
        "author": {"username": author.username, "display_name": author.display_name},
        "space": space.slug if space else None,
        "created_at": post.created_at.isoformat(),
        "updated_at": post.updated_at.isoformat(),
    }


def _given(body: ApiBody) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True)


async def _answer(request: Request, post_id: int, status: int) -> Response:
    with runtime(request).db.read() as session:
        post, content = readable(request, session, post_id)
        author = session.get(User, post.author_id)
        space = session.get(Space, post.space_id) if post.space_id else None
        return JSONResponse(post_json(post, content, author, space), status_code=status)


@api(
    "POST",
    "/api/v1/blog/posts",
    summary="Write a post in your blog or a space's: a draft, scheduled, or published now",
    operation_id="blog.createPost",
    body=PostIn,
    responses={201: PostOut},
    errors=(403, 404, 409),
    links={201: POST_LINKS},
)
async def api_create(request: Request, body: PostIn) -> Response:
    """POST /api/v1/blog/posts {"title", "body", "status", "space"?, "tags"?, "publish_at"?}."""
    me = current_user(request)
    data = _given(body)

    def run(session: Session) -> int:
        space = None
        if body.space:
            space = find_space(session, access(request), body.space)
            if space.id not in access(request).roles:
                raise ApiError(403, "forbidden", "You can only write in the blogs of your spaces.")
        if not can(request, "blog.post", space):
            raise ApiError(403, "forbidden", "You may not write in this blog.")
        fields = posts.clean(data, now=utcnow(), creating=True)
        return posts.create_post(session, session.get(User, me.id), space, fields, utcnow()).id

    return await _answer(request, await write(request, run), 201)


@api(
    "GET",
    "/api/v1/blog/posts/{blog_post_id:int}",
    summary="A post (a draft or scheduled post: its author only)",
    operation_id="blog.getPost",
    responses={200: PostOut},
)
async def api_get(request: Request) -> Response:
    """GET /api/v1/blog/posts/{id}."""
    return await _answer(request, request.path_params["blog_post_id"], 200)


@api(
    "PATCH",
    "/api/v1/blog/posts/{blog_post_id:int}",
    summary="Edit, schedule, reschedule or publish your post",
    operation_id="blog.editPost",
    body=PostEdit,
    responses={200: PostOut},
    errors=(403, 409),
    links={200: POST_LINKS},
)
async def api_update(request: Request, body: PostEdit) -> Response:
    """PATCH /api/v1/blog/posts/{id}: any of the fields; the author only."""
    me = current_user(request)
    post_id = request.path_params["blog_post_id"]
    data = {k: v for k, v in _given(body).items() if v is not None}

    def run(session: Session) -> None:
        post, _content = readable(request, session, post_id)
        if post.author_id != me.id:
            raise ApiError(403, "forbidden", "Only its author edits a post.")
        fields = posts.clean(data, now=utcnow(), creating=False)
        space = session.get(Space, post.space_id) if post.space_id else None
        posts.edit_post(session, post, session.get(User, me.id), space, fields, utcnow())

    await write(request, run)
    return await _answer(request, post_id, 200)


@api(
    "DELETE",
    "/api/v1/blog/posts/{blog_post_id:int}",
    summary="Delete a post (its author, or a moderator of its space)",
    operation_id="blog.deletePost",
    responses={204: None},
    errors=(403,),
)
async def api_delete(request: Request) -> Response:
    """DELETE /api/v1/blog/posts/{id}."""
    me = current_user(request)

    def run(session: Session) -> None:
        post, content = readable(request, session, request.path_params["blog_post_id"])
        allowed = post.author_id == me.id or (
            content is not None and may_moderate(session, request, content, post.author_id)
        )
        if not allowed:
            raise ApiError(403, "forbidden", "You may not delete this post.")
        posts.remove_post(session, post)

    await write(request, run)
    return Response(status_code=204)


@api(
    "GET",
    "/api/v1/blog/posts",
    summary="Published posts you may read (or your own drafts or scheduled posts), newest first",
    operation_id="blog.listPosts",
    query=ListQuery,
    responses={200: PostPage},
    errors=(404,),
)
async def api_list(request: Request, query: ListQuery) -> Response:
    """GET /api/v1/blog/posts?space=&author=&tag=&status=&before=&limit=."""
    me = current_user(request)
    with runtime(request).db.read() as session:
        if query.status != "published":
            mine = posts.unpublished(
                session,
                me.id,
                statuses=(query.status,),
                before=query.before,
                limit=query.limit + 1,
            )
            rows: list[tuple[BlogPost, Content | None]] = [(p, None) for p in mine]
        else:
            space_id = author_id = None
            if query.space:
                space_id = find_space(session, access(request), query.space).id
            if query.author:
                author_id = session.execute(
                    select(User.id).where(User.username == query.author)
                ).scalar_one_or_none()
                if author_id is None:
                    raise ApiError(404, "not_found", "No such person.")
            rows = list(
                posts.listing(
                    session,
                    principals(request),
                    space_id=space_id,
                    author_id=author_id,
                    tag=query.tag.lstrip("#") if query.tag else None,
                    before=query.before,
                    limit=query.limit + 1,
                )
            )
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        authors, spaces = people_and_spaces(
            session, [p.author_id for p, _ in rows], [p.space_id for p, _ in rows]
        )
        items = [
            post_json(p, c, authors[p.author_id], spaces.get(p.space_id) if p.space_id else None)
            for p, c in rows
        ]
    return JSONResponse({"items": items, "next": str(rows[-1][0].id) if more else None})


API_ROUTES = api_routes(api_create, api_get, api_update, api_delete, api_list)

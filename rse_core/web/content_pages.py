"""An item's page with its comments and likes, the htmx actions on it, follows, and the
comments/reactions/follows API. Every action first checks that the reader can see the item."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from markupsafe import Markup
from pydantic import Field
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import community
from ..content import Content, get_visible
from ..db import utcnow
from ..identity.models import Membership, Space, User
from ..markdown import render_markdown
from ..moderation import REASONS
from ..notifications import notify, notify_mentions
from ..social import (
    MAX_COMMENT,
    Comment,
    add_comment,
    comments_for,
    delete_comment,
    edit_comment,
    follow,
    followed,
    react,
    reaction_summary,
    unfollow,
    unreact,
)
from ..validation import ValidationError
from . import parse_id
from .community_pages import pin_places
from .context import active_plugins, can, current_user, principals, runtime, write
from .contract import WHITESPACE, Body, Link, Shape, Text, api, api_routes
from .errors import ApiError
from .forms import form_dict
from .stream import item_actions
from .templating import render, render_fragment
from .times import time_zone


def load_content(request: Request) -> Content:
    """The item in the path if the reader may see it, else 404 (same as a missing one)."""
    with runtime(request).db.read() as session:
        content = get_visible(session, request.path_params["content_id"], principals(request))
    if content is None:
        raise HTTPException(404)
    return content


def may_moderate(
    session: Session, request: Request, content: Content, author_id: int | None
) -> bool:
    """May this request's user remove something ``author_id`` wrote on ``content`` (the item
    itself, or a comment on it)? Its author, a moderator of the item's space, or for items
    outside spaces a site admin. With ``author_id`` None: a moderator only (what its author
    may not do alone, such as deleting an idea others voted for)."""
    me = current_user(request)
    if author_id is not None and me.id == author_id:
        return True
    if content.space_id is None:
        return bool(me.is_admin)
    return can(request, "core.space.moderate", session.get(Space, content.space_id))


def comment_json(comment: Comment, author: User) -> dict[str, Any]:
    """A comment as the API shows it."""
    return {
        "id": comment.id,
        "content_id": comment.content_id,
        "body": comment.body,
        "html": str(render_markdown(comment.body)),
        "author": {"username": author.username, "display_name": author.display_name},
        "created_at": comment.created_at.isoformat(),
        "updated_at": comment.updated_at.isoformat(),
    }


def _comment_and_notify(request: Request, content: Content, body: object) -> Any:
    """The write that adds a comment and notifies the item's author and those mentioned."""
    me = current_user(request)

    def run(session: Session) -> tuple[Comment, User]:
        fresh = session.get(Content, content.id)
        author = session.get(User, me.id)
        comment = add_comment(session, fresh, author, body)
        owner = session.get(User, fresh.author_id)
        told = notify(session, owner, "comment", actor=author, content=fresh, comment=comment)
        notify_mentions(
            session,
            comment.body,
            author,
            fresh,
            comment=comment,
            already={owner.id} if told else (),
        )
        return comment, author

    return run


def render_social(request: Request, content: Content) -> Markup:
    """Likes, comments and the comment form of an item, for any plugin's item page."""
    me = current_user(request)
    with runtime(request).db.read() as session:
        comments = [
            (c, u, may_moderate(session, request, content, c.author_id))
            for c, u in comments_for(session, content.id)
        ]
        likes = reaction_summary(session, [content.id], me.id)[content.id]
        places = pin_places(request, session, content)
        pins = community.pins_of(session, content.id) if places else []
    return render_fragment(
        request,
        "content/_social.html",
        {
            "content": content,
            "likes": likes,
            "comments": comments,
            "render_markdown": render_markdown,
            "actions": item_actions(request, content),
            "attachments": [
                html
                for _name, html in runtime(request).plugins.collect(
                    "rse_item_attachments",
                    active_plugins(request),
                    request=request,
                    content=content,
                )
            ],
            "comment_extras": _comment_extras(request, content, [c for c, _u, _m in comments]),
            "report_reasons": REASONS,
            "pin_places": places,
            "pins": pins,
            "pin_default": (utcnow().astimezone(time_zone(request)).date() + timedelta(days=7)),
        },
    )


def _comment_extras(request: Request, content: Content, comments: list[Any]) -> dict[int, list]:
    """What plugins show under each comment (``rse_comment_attachments``), by comment id."""
    extras: dict[int, list] = {}
    if not comments:
        return extras
    for _name, found in runtime(request).plugins.collect(
        "rse_comment_attachments",
        active_plugins(request),
        request=request,
        content=content,
        comments=comments,
    ):
        for comment_id, html in found.items():
            extras.setdefault(comment_id, []).append(html)
    return extras


async def item_page(request: Request) -> Response:
    """GET /content/{id}: the item with its comments and likes."""
    content = load_content(request)
    with runtime(request).db.read() as session:
        author = session.get(User, content.author_id)
        space = session.get(Space, content.space_id) if content.space_id else None
    return render(
        request,
        "content/item.html",
        {
            "content": content,
            "author": author,
            "space": space,
            "social": render_social(request, content),
            "render_markdown": render_markdown,
        },
    )


async def comment_submit(request: Request) -> Response:
    """POST /content/{id}/comments: add a comment (htmx gets the comment back)."""
    content = load_content(request)
    data = await form_dict(request)
    try:
        comment, author = await write(
            request, _comment_and_notify(request, content, data.get("body"))
        )
    except ValidationError as exc:
        if request.headers.get("hx-request"):
            # The box again, with the text kept and the error beside it (nothing appended).
            box = render_fragment(
                request,
                "content/_comment_box.html",
                {"value": data.get("body") or "", "errors": exc.fields},
            )
            headers = {"hx-retarget": "#comment-box", "hx-reswap": "outerHTML"}
            return HTMLResponse(box, status_code=422, headers=headers)
        raise
    if request.headers.get("hx-request"):
        added = render_fragment(
            request,
            "content/_comment.html",
            {
                "comment": comment,
                "author": author,
                "can_moderate": True,
                "render_markdown": render_markdown,
            },
        )
        emptied = render_fragment(request, "content/_comment_box.html", {"oob": True})
        return HTMLResponse(added + emptied)
    return RedirectResponse(f"/content/{content.id}#comment-{comment.id}", status_code=303)


async def like_toggle(request: Request) -> Response:
    """POST /content/{id}/like: like or unlike (htmx gets the button back)."""
    content = load_content(request)
    me = current_user(request)

    def run(session: Session) -> None:
        fresh = session.get(Content, content.id)
        user = session.get(User, me.id)
        if not unreact(session, fresh, user, "like"):
            react(session, fresh, user, "like")
            notify(
                session, session.get(User, fresh.author_id), "reaction", actor=user, content=fresh
            )

    await write(request, run)
    if request.headers.get("hx-request"):
        with runtime(request).db.read() as session:
            likes = reaction_summary(session, [content.id], me.id)[content.id]
        html = render_fragment(
            request, "content/_like.html", {"content_id": content.id, "likes": likes}
        )
        return HTMLResponse(html)
    return RedirectResponse(request.headers.get("referer") or f"/content/{content.id}", 303)


def _load_comment(session: Session, request: Request) -> tuple[Comment, Content]:
    comment = session.get(Comment, int(request.path_params["comment_id"]))
    if comment is None or comment.deleted_at is not None:
        raise HTTPException(404)
    content = get_visible(session, comment.content_id, principals(request))
    if content is None:
        raise HTTPException(404)
    return comment, content


async def comment_change(request: Request) -> Response:
    """POST /comments/{id}: ``action=edit`` (author) with ``body``, or ``action=delete``."""
    data = await form_dict(request)
    me = current_user(request)

    def run(session: Session) -> int:
        comment, content = _load_comment(session, request)
        if data.get("action") == "delete":
            if not may_moderate(session, request, content, comment.author_id):
                raise HTTPException(403)
            delete_comment(session, comment)
        elif data.get("action") == "edit":
            if comment.author_id != me.id:
                raise HTTPException(403)
            edit_comment(session, comment, data.get("body"))
        else:
            raise HTTPException(400, "action must be edit or delete")
        return content.id

    content_id = await write(request, run)
    return RedirectResponse(f"/content/{content_id}#comments", status_code=303)


async def follow_toggle(request: Request) -> Response:
    """POST /follow: ``target`` (``user:<id>``, ``space:<id>``, ``tag:<name>``) toggled."""
    data = await form_dict(request)
    target = str(data.get("target", ""))
    me = current_user(request)
    _check_target(request, target)

    def run(session: Session) -> bool:
        user = session.get(User, me.id)
        if target in followed(session, me.id):
            unfollow(session, user, target)
            return False
        follow(session, user, target)
        return True

    following = await write(request, run)
    if request.headers.get("hx-request"):
        return HTMLResponse(
            render_fragment(
                request, "content/_follow.html", {"target": target, "following": following}
            )
        )
    return RedirectResponse(request.headers.get("referer") or "/", status_code=303)


def _check_target(request: Request, target: str) -> None:
    kind, _, value = target.partition(":")
    if kind == "tag" and 0 < len(value) <= 60:
        return
    number = parse_id(value)
    if kind in ("user", "space") and number is not None:
        with runtime(request).db.read() as session:
            if kind == "user" and session.get(User, number) is not None:
                return
            if kind == "space":
                space = session.get(Space, int(value))
                if space is not None and (
                    space.visibility != "secret"
                    or session.get(Membership, (space.id, current_user(request).id))
                ):
                    return
    raise ApiError(404, "not_found", "No such person or space to follow.", {"target": "unknown"})


# --- API -------------------------------------------------------------------------------------


class AuthorOut(Shape):
    """Who wrote it"""

    username: str
    display_name: str


class CommentOut(Shape):
    """A comment: its Markdown and the sanitised HTML it renders to"""

    id: int
    content_id: int
    body: str
    html: str
    author: AuthorOut
    created_at: str
    updated_at: str


class CommentsPage(Shape):
    """An item's comments, oldest first"""

    items: list[CommentOut]
    next: str | None


class CommentIn(Body):
    body: Text(MAX_COMMENT, required=True)


class LikesOut(Shape):
    """Likes on an item: how many, whether the caller's is among them, up to 5 names"""

    count: int
    mine: bool
    names: list[str]


class ReactionOut(LikesOut):
    """The item's likes after yours"""

    kind: Literal["like"]


class ReactionsOut(Shape):
    """An item's reactions, by kind"""

    like: LikesOut


class ReactionIn(Body):
    kind: Literal["like"]


FOLLOW_TARGET = rf"^(user:[0-9]{{1,18}}|space:[0-9]{{1,18}}|tag:[^\x00{WHITESPACE}]{{1,60}})$"


class FollowIn(Body):
    target: Annotated[str, Field(pattern=FOLLOW_TARGET)]


class FollowOut(Shape):
    """What you now follow"""

    target: str


class FollowsOut(Shape):
    """What you follow: ``user:<id>``, ``space:<id>`` and ``tag:<name>``"""

    items: list[str]


COMMENT_LINKS = {
    "EditComment": Link("editComment", {"comment_id": "$response.body#/id"}),
    "DeleteComment": Link("deleteComment", {"comment_id": "$response.body#/id"}),
    "ListComments": Link("listComments", {"content_id": "$response.body#/content_id"}),
}


@api(
    "GET",
    "/api/v1/content/{content_id:int}/comments",
    summary="Comments on an item",
    operation_id="listComments",
    responses={200: CommentsPage},
)
async def api_comments(request: Request) -> Response:
    """GET /api/v1/content/{id}/comments."""
    content = load_content(request)
    with runtime(request).db.read() as session:
        rows = comments_for(session, content.id)
    return JSONResponse({"items": [comment_json(c, u) for c, u in rows], "next": None})


@api(
    "POST",
    "/api/v1/content/{content_id:int}/comments",
    summary="Comment on an item",
    operation_id="createComment",
    body=CommentIn,
    responses={201: CommentOut},
    links={201: COMMENT_LINKS},
)
async def api_comment_create(request: Request, body: CommentIn) -> Response:
    """POST /api/v1/content/{id}/comments {"body"}."""
    content = load_content(request)
    comment, author = await write(request, _comment_and_notify(request, content, body.body))
    return JSONResponse(comment_json(comment, author), status_code=201)


@api(
    "PATCH",
    "/api/v1/comments/{comment_id:int}",
    summary="Edit your comment",
    operation_id="editComment",
    body=CommentIn,
    responses={200: CommentOut},
    errors=(403,),
)
async def api_comment_update(request: Request, body: CommentIn) -> Response:
    """PATCH /api/v1/comments/{id} {"body"} (author only)."""
    me = current_user(request)

    def run(session: Session) -> dict[str, Any]:
        comment, _content = _load_comment(session, request)
        if comment.author_id != me.id:
            raise ApiError(403, "forbidden", "Only its author edits a comment.")
        edit_comment(session, comment, body.body)
        return comment_json(comment, session.get(User, me.id))

    return JSONResponse(await write(request, run))


@api(
    "DELETE",
    "/api/v1/comments/{comment_id:int}",
    summary="Delete a comment (author or moderator)",
    operation_id="deleteComment",
    responses={204: None},
    errors=(403,),
)
async def api_comment_delete(request: Request) -> Response:
    """DELETE /api/v1/comments/{id} (author or space moderator)."""

    def run(session: Session) -> None:
        comment, content = _load_comment(session, request)
        if not may_moderate(session, request, content, comment.author_id):
            raise ApiError(403, "forbidden", "Only its author or a moderator deletes it.")
        delete_comment(session, comment)

    await write(request, run)
    return Response(status_code=204)


@api(
    "POST",
    "/api/v1/content/{content_id:int}/reactions",
    summary="Like an item (201; 200 if you already did)",
    operation_id="react",
    body=ReactionIn,
    responses={200: ReactionOut, 201: ReactionOut},
    links={
        201: {
            "Unreact": Link("unreact", {"content_id": "$request.path.content_id", "kind": "like"}),
            "ListReactions": Link("listReactions", {"content_id": "$request.path.content_id"}),
        }
    },
)
async def api_react(request: Request, body: ReactionIn) -> Response:
    """POST /api/v1/content/{id}/reactions {"kind": "like"}."""
    content = load_content(request)
    me = current_user(request)

    def run(session: Session) -> bool:
        fresh = session.get(Content, content.id)
        user = session.get(User, me.id)
        added = react(session, fresh, user, body.kind)
        if added:
            notify(
                session, session.get(User, fresh.author_id), "reaction", actor=user, content=fresh
            )
        return added

    added = await write(request, run)
    with runtime(request).db.read() as session:
        summary = reaction_summary(session, [content.id], me.id)[content.id]
    return JSONResponse({"kind": "like", **summary}, status_code=201 if added else 200)


@api(
    "DELETE",
    "/api/v1/content/{content_id:int}/reactions/{kind}",
    summary="Take your like back",
    operation_id="unreact",
    responses={204: None},
    path_schemas={"kind": {"enum": ["like"]}},
)
async def api_unreact(request: Request) -> Response:
    """DELETE /api/v1/content/{id}/reactions/{kind}."""
    content = load_content(request)
    me = current_user(request)
    kind = request.path_params["kind"]
    removed = await write(
        request,
        lambda session: unreact(
            session, session.get(Content, content.id), session.get(User, me.id), kind
        ),
    )
    if not removed:
        raise HTTPException(404)
    return Response(status_code=204)


@api(
    "GET",
    "/api/v1/content/{content_id:int}/reactions",
    summary="Likes on an item: count and who",
    operation_id="listReactions",
    responses={200: ReactionsOut},
)
async def api_reactions(request: Request) -> Response:
    """GET /api/v1/content/{id}/reactions: counts and who."""
    content = load_content(request)
    with runtime(request).db.read() as session:
        summary = reaction_summary(session, [content.id], current_user(request).id)[content.id]
    return JSONResponse({"like": summary})


@api(
    "GET",
    "/api/v1/follows",
    summary="What you follow",
    operation_id="listFollows",
    responses={200: FollowsOut},
)
async def api_follows(request: Request) -> Response:
    """GET /api/v1/follows: what the caller follows."""
    with runtime(request).db.read() as session:
        return JSONResponse({"items": followed(session, current_user(request).id)})


@api(
    "POST",
    "/api/v1/follows",
    summary="Follow user:<id>, space:<id> or tag:<name> (404 for a person or space unknown)",
    operation_id="follow",
    body=FollowIn,
    responses={201: FollowOut},
    errors=(404,),
    links={201: {"Unfollow": Link("unfollow", {"target": "$response.body#/target"})}},
)
async def api_follow(request: Request, body: FollowIn) -> Response:
    """POST /api/v1/follows {"target"}."""
    _check_target(request, body.target)
    me = current_user(request)
    await write(request, lambda session: follow(session, session.get(User, me.id), body.target))
    return JSONResponse({"target": body.target}, status_code=201)


@api(
    "DELETE",
    "/api/v1/follows/{target}",
    summary="Stop following",
    operation_id="unfollow",
    responses={204: None},
)
async def api_unfollow(request: Request) -> Response:
    """DELETE /api/v1/follows/{target}."""
    me = current_user(request)
    target = request.path_params["target"]
    await write(request, lambda session: unfollow(session, session.get(User, me.id), target))
    return Response(status_code=204)


ROUTES = [
    Route("/content/{content_id:int}", item_page, methods=["GET"]),
    Route("/content/{content_id:int}/comments", comment_submit, methods=["POST"]),
    Route("/content/{content_id:int}/like", like_toggle, methods=["POST"]),
    Route("/comments/{comment_id:int}", comment_change, methods=["POST"]),
    Route("/follow", follow_toggle, methods=["POST"]),
]
API_ROUTES = api_routes(
    api_comments,
    api_comment_create,
    api_comment_update,
    api_comment_delete,
    api_reactions,
    api_react,
    api_unreact,
    api_follows,
    api_follow,
    api_unfollow,
)

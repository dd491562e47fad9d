"""An item's page with its comments and likes, the htmx actions on it, follows, and the
comments/reactions/follows API. Every action first checks that the reader can see the item."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..content import Content, get_visible
from ..identity.models import Membership, Space, User
from ..markdown import render_markdown
from ..notifications import notify, notify_mentions
from ..permissions import load_access, user_can
from ..social import (
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
from .api import json_body
from .context import current_user, principals, runtime, write
from .errors import ApiError
from .forms import form_dict
from .stream import item_actions
from .templating import render, render_fragment


def load_content(request: Request) -> Content:
    """The item in the path if the reader may see it, else 404 (same as a missing one)."""
    with runtime(request).db.read() as session:
        content = get_visible(session, request.path_params["content_id"], principals(request))
    if content is None:
        raise HTTPException(404)
    return content


def may_moderate(session: Session, request: Request, content: Content, author_id: int) -> bool:
    """May this request's user remove something ``author_id`` wrote on ``content`` (the item
    itself, or a comment on it)? Its author, a moderator of the item's space, or for items
    outside spaces a site admin."""
    me = current_user(request)
    if me.id == author_id:
        return True
    if content.space_id is None:
        return bool(me.is_admin)
    space = session.get(Space, content.space_id)
    return user_can(
        session,
        runtime(request).permissions,
        load_access(session, me),
        "core.space.moderate",
        space,
    )


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
    return render_fragment(
        request,
        "content/_social.html",
        {
            "content": content,
            "likes": likes,
            "comments": comments,
            "render_markdown": render_markdown,
            "actions": item_actions(request, content),
        },
    )


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
    if kind in ("user", "space") and value.isdigit():
        with runtime(request).db.read() as session:
            if kind == "user" and session.get(User, int(value)) is not None:
                return
            if kind == "space":
                space = session.get(Space, int(value))
                if space is not None and (
                    space.visibility != "secret"
                    or session.get(Membership, (space.id, current_user(request).id))
                ):
                    return
    raise ApiError(422, "invalid", "Follow a person, a space or a tag.", {"target": "invalid"})


# --- API -------------------------------------------------------------------------------------


async def api_comments(request: Request) -> Response:
    """GET /api/v1/content/{id}/comments."""
    content = load_content(request)
    with runtime(request).db.read() as session:
        rows = comments_for(session, content.id)
    return JSONResponse({"items": [comment_json(c, u) for c, u in rows], "next": None})


async def api_comment_create(request: Request) -> Response:
    """POST /api/v1/content/{id}/comments {"body"}."""
    content = load_content(request)
    data = await json_body(request)
    comment, author = await write(request, _comment_and_notify(request, content, data.get("body")))
    return JSONResponse(comment_json(comment, author), status_code=201)


async def api_comment_update(request: Request) -> Response:
    """PATCH /api/v1/comments/{id} {"body"} (author only)."""
    data = await json_body(request)
    me = current_user(request)

    def run(session: Session) -> dict[str, Any]:
        comment, _content = _load_comment(session, request)
        if comment.author_id != me.id:
            raise ApiError(403, "forbidden", "Only its author edits a comment.")
        edit_comment(session, comment, data.get("body"))
        return comment_json(comment, session.get(User, me.id))

    return JSONResponse(await write(request, run))


async def api_comment_delete(request: Request) -> Response:
    """DELETE /api/v1/comments/{id} (author or space moderator)."""

    def run(session: Session) -> None:
        comment, content = _load_comment(session, request)
        if not may_moderate(session, request, content, comment.author_id):
            raise ApiError(403, "forbidden", "Only its author or a moderator deletes it.")
        delete_comment(session, comment)

    await write(request, run)
    return Response(status_code=204)


async def api_react(request: Request) -> Response:
    """POST /api/v1/content/{id}/reactions {"kind": "like"}."""
    content = load_content(request)
    data = await json_body(request)
    me = current_user(request)

    def run(session: Session) -> bool:
        fresh = session.get(Content, content.id)
        user = session.get(User, me.id)
        added = react(session, fresh, user, data.get("kind"))
        if added:
            notify(
                session, session.get(User, fresh.author_id), "reaction", actor=user, content=fresh
            )
        return added

    added = await write(request, run)
    with runtime(request).db.read() as session:
        summary = reaction_summary(session, [content.id], me.id)[content.id]
    return JSONResponse({"kind": "like", **summary}, status_code=201 if added else 200)


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


async def api_reactions(request: Request) -> Response:
    """GET /api/v1/content/{id}/reactions: counts and who."""
    content = load_content(request)
    with runtime(request).db.read() as session:
        summary = reaction_summary(session, [content.id], current_user(request).id)[content.id]
    return JSONResponse({"like": summary})


async def api_follows(request: Request) -> Response:
    """GET /api/v1/follows: what the caller follows."""
    with runtime(request).db.read() as session:
        return JSONResponse({"items": followed(session, current_user(request).id)})


async def api_follow(request: Request) -> Response:
    """POST /api/v1/follows {"target"}."""
    data = await json_body(request)
    target = data.get("target")
    if not isinstance(target, str):
        raise ApiError(422, "invalid", "target is required.", {"target": "required"})
    _check_target(request, target)
    me = current_user(request)
    await write(request, lambda session: follow(session, session.get(User, me.id), target))
    return JSONResponse({"target": target}, status_code=201)


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
API_ROUTES = [
    Route("/api/v1/content/{content_id:int}/comments", api_comments, methods=["GET"]),
    Route("/api/v1/content/{content_id:int}/comments", api_comment_create, methods=["POST"]),
    Route("/api/v1/comments/{comment_id:int}", api_comment_update, methods=["PATCH"]),
    Route("/api/v1/comments/{comment_id:int}", api_comment_delete, methods=["DELETE"]),
    Route("/api/v1/content/{content_id:int}/reactions", api_reactions, methods=["GET"]),
    Route("/api/v1/content/{content_id:int}/reactions", api_react, methods=["POST"]),
    Route("/api/v1/content/{content_id:int}/reactions/{kind}", api_unreact, methods=["DELETE"]),
    Route("/api/v1/follows", api_follows, methods=["GET"]),
    Route("/api/v1/follows", api_follow, methods=["POST"]),
    Route("/api/v1/follows/{target}", api_unfollow, methods=["DELETE"]),
]

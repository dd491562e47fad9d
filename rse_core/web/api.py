"""The core's JSON API under /api/v1: me, people, spaces and memberships.

Conventions (for plugins too): JSON in and out; errors as ``{"error": {"code", "message",
"fields"}}`` with 400 (malformed), 401, 403, 404 or 422 (invalid fields); lists as
``{"items": [...], "next": cursor}`` where ``cursor`` goes back as ``?cursor=``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..identity import accounts
from ..identity import spaces as svc
from ..identity.models import Space, User
from ..permissions import can_read_space, load_access
from .context import access, current_user, runtime, write
from .errors import ApiError
from .forms import page_limit
from .people import load_profile


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or a 400 saying what is wrong with it."""
    raw = await request.body()
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    return data


def encode_cursor(value: str) -> str:
    """An opaque cursor for "after this key"."""
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(request: Request) -> str | None:
    """The key inside ``?cursor=``, or None; a malformed cursor is a 400."""
    cursor = request.query_params.get("cursor")
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(
            400, "bad_cursor", "The cursor is not valid.", {"cursor": "invalid"}
        ) from None


def user_json(user: User) -> dict[str, Any]:
    """A person as the API shows them to colleagues."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "job_title": user.job_title,
        "department": user.department,
        "location": user.location,
        "phone": user.phone,
        "bio": user.bio,
        "skills": [s.skill for s in user.skills],
        "url": f"/people/{user.username}",
        "avatar_url": f"/avatars/{user.username}.svg",
    }


def space_json(space: Space, role: str | None) -> dict[str, Any]:
    """A space as the API shows it; ``role`` is the reader's (None if not a member)."""
    return {
        "slug": space.slug,
        "name": space.name,
        "description": space.description,
        "visibility": space.visibility,
        "join_policy": space.join_policy,
        "url": f"/spaces/{space.slug}",
        "role": role,
    }


async def me(request: Request) -> Response:
    """GET /api/v1/me: the caller, with admin flag and memberships."""
    user = load_profile(request, current_user(request).username)
    acc = access(request)
    with runtime(request).db.read() as session:
        spaces = [session.get(Space, space_id) for space_id in acc.roles]
    body = user_json(user) | {
        "is_admin": user.is_admin,
        "spaces": [space_json(s, acc.roles[s.id]) for s in spaces if s is not None],
    }
    return JSONResponse(body)


async def users(request: Request) -> Response:
    """GET /api/v1/users?q=&cursor=&limit=: find colleagues."""
    limit = page_limit(request)
    q = request.query_params.get("q", "")[:200]
    with runtime(request).db.read() as session:
        found = accounts.search_users(session, q, after=decode_cursor(request), limit=limit + 1)
    more = len(found) > limit
    found = found[:limit]
    return JSONResponse(
        {
            "items": [user_json(u) for u in found],
            "next": encode_cursor(found[-1].username) if more and found else None,
        }
    )


async def user_detail(request: Request) -> Response:
    """GET /api/v1/users/{username}."""
    return JSONResponse(user_json(load_profile(request, request.path_params["username"])))


async def spaces(request: Request) -> Response:
    """GET /api/v1/spaces?cursor=&limit=: spaces the caller may know of."""
    limit = page_limit(request, 50)
    acc = access(request)
    with runtime(request).db.read() as session:
        found = svc.list_spaces(session, acc, after=decode_cursor(request), limit=limit + 1)
    more = len(found) > limit
    found = found[:limit]
    return JSONResponse(
        {
            "items": [space_json(s, acc.roles.get(s.id)) for s in found],
            "next": encode_cursor(found[-1].slug) if more and found else None,
        }
    )


async def space_create(request: Request) -> Response:
    """POST /api/v1/spaces {"name", "slug"?, "visibility", "description"?, "join_policy"?}."""
    data = await json_body(request)
    unknown = set(data) - {"name", "slug", "visibility", "description", "join_policy"}
    if unknown:
        raise ApiError(422, "invalid", "Unknown fields.", {k: "unknown" for k in unknown})
    rt = runtime(request)
    acting = current_user(request)

    def create(session: Session) -> dict[str, Any]:
        space = svc.create_space(
            session,
            rt.permissions,
            load_access(session, acting),
            name=data.get("name"),
            slug=data.get("slug"),
            visibility=data.get("visibility", "public"),
            description=data.get("description", ""),
            join_policy=data.get("join_policy"),
        )
        return space_json(space, "owner")

    body = await write(request, create)
    return JSONResponse(
        body, status_code=201, headers={"location": f"/api/v1/spaces/{body['slug']}"}
    )


def _space_or_404(request: Request) -> Space:
    with runtime(request).db.read() as session:
        return svc.get_space(session, access(request), request.path_params["slug"])


async def space_detail(request: Request) -> Response:
    """GET /api/v1/spaces/{slug}: the space, and its members when the caller may read it."""
    space = _space_or_404(request)
    acc = access(request)
    body = space_json(space, acc.roles.get(space.id))
    if can_read_space(acc, space):
        with runtime(request).db.read() as session:
            body["members"] = [
                {"username": u.username, "display_name": u.display_name, "role": role}
                for u, role in svc.members(session, space)
            ]
    return JSONResponse(body)


async def member_add(request: Request) -> Response:
    """POST /api/v1/spaces/{slug}/members {"username", "role"?}: add, or invite."""
    space = _space_or_404(request)
    data = await json_body(request)
    username, role = data.get("username"), data.get("role", "member")
    if not isinstance(username, str) or not username:
        raise ApiError(422, "invalid", "username is required.", {"username": "required"})
    if not isinstance(role, str):
        raise ApiError(422, "invalid", "role must be text.", {"role": "invalid"})
    rt = runtime(request)
    acting = current_user(request)

    def add(session: Session) -> str:
        target = accounts.get_user(session, username)
        if target is None:
            raise ApiError(422, "invalid", "No such person.", {"username": "unknown"})
        return svc.add_member(
            session,
            rt.permissions,
            load_access(session, acting),
            session.get(Space, space.id),
            target,
            role,
        )

    outcome = await write(request, add)
    return JSONResponse(
        {"status": outcome, "username": username.lower()},
        status_code=200 if outcome == "already" else 201,
    )


async def member_remove(request: Request) -> Response:
    """DELETE /api/v1/spaces/{slug}/members/{username}: remove (or leave)."""
    space = _space_or_404(request)
    rt = runtime(request)
    acting = current_user(request)
    username = request.path_params["username"]

    def remove(session: Session) -> None:
        target = accounts.get_user(session, username)
        if target is None:
            raise svc.NotFound(username)
        svc.remove_member(
            session,
            rt.permissions,
            load_access(session, acting),
            session.get(Space, space.id),
            target,
        )

    await write(request, remove)
    return Response(status_code=204)


ROUTES = [
    Route("/api/v1/me", me, methods=["GET"]),
    Route("/api/v1/users", users, methods=["GET"]),
    Route("/api/v1/users/{username}", user_detail, methods=["GET"]),
    Route("/api/v1/spaces", spaces, methods=["GET"]),
    Route("/api/v1/spaces", space_create, methods=["POST"]),
    Route("/api/v1/spaces/{slug}", space_detail, methods=["GET"]),
    Route("/api/v1/spaces/{slug}/members", member_add, methods=["POST"]),
    Route("/api/v1/spaces/{slug}/members/{username}", member_remove, methods=["DELETE"]),
]

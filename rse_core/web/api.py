"""The core's JSON API under /api/v1: me, people, spaces and memberships.

Conventions (for plugins too): each operation declared once with ``@api`` (its parameters,
body and responses; see :mod:`.contract`); JSON in and out; errors as ``{"error": {"code",
"message", "fields"}}`` with 400 (malformed), 401, 403, 404, 409 (conflicts with the current
state) or 422 (invalid fields); lists as ``{"items": [...], "next": cursor}`` where
``cursor`` goes back as ``?cursor=``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from pydantic import Field
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..identity import accounts
from ..identity import spaces as svc
from ..identity.models import JOIN_POLICIES, ROLES, VISIBILITIES, Space, User
from ..permissions import can_read_space, load_access
from ..validation import SLUG
from .context import access, current_user, runtime, write
from .contract import Body, Limit, Link, Query, Shape, Text, api, api_routes
from .errors import ApiError
from .people import load_profile


def encode_cursor(value: str) -> str:
    """An opaque cursor for "after this key"."""
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The key inside a cursor, or None. Any text of the cursor's alphabet decodes to some
    key (a cursor not made here gives some page, never an error)."""
    if not cursor:
        return None
    cursor = cursor[: len(cursor) - (len(cursor) % 4 == 1)]
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        return base64.urlsafe_b64decode(padded).decode("utf-8", "replace").replace("\x00", "")
    except (binascii.Error, ValueError):
        return None


#: ``?cursor=``: what a list's ``next`` said.
Cursor = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]*$", max_length=200)]
#: A username as people type it (any case; looked up lower-cased).
USERNAME_ANY_CASE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,39}$"

Role = Literal[ROLES]
Visibility = Literal[VISIBILITIES]
JoinPolicy = Literal[JOIN_POLICIES]


class PersonOut(Shape):
    """A colleague"""

    username: str
    display_name: str
    email: str
    job_title: str
    department: str
    location: str
    phone: str
    bio: str
    skills: list[str]
    url: str
    avatar_url: str


class SpaceOut(Shape):
    """A space; ``role`` is the caller's (null when not a member)"""

    slug: str
    name: str
    description: str
    visibility: Visibility
    join_policy: JoinPolicy
    url: str
    role: Role | None


class MemberOut(Shape):
    """A member of a space"""

    username: str
    display_name: str
    role: Role


class SpaceDetail(SpaceOut):
    """A space, with its members when the caller may read it"""

    members: list[MemberOut] | None = None


class MeOut(PersonOut):
    """The caller, with admin flag and memberships"""

    is_admin: bool
    spaces: list[SpaceOut]


class PeoplePage(Shape):
    """Colleagues, by username"""

    items: list[PersonOut]
    next: str | None


class SpacesPage(Shape):
    """Spaces, by slug"""

    items: list[SpaceOut]
    next: str | None


class PeopleQuery(Query):
    q: Text(200) = ""
    cursor: Cursor = ""
    limit: Limit = 20


class SpacesQuery(Query):
    cursor: Cursor = ""
    limit: Limit = 50


class SpaceIn(Body):
    name: Text(120, required=True)
    slug: Annotated[str, Field(pattern=SLUG.pattern)] | None = None
    visibility: Visibility = "public"
    description: Text(5000) = ""
    join_policy: JoinPolicy | None = None


class MemberIn(Body):
    username: Annotated[str, Field(pattern=USERNAME_ANY_CASE)]
    role: Role = "member"


class MembershipOut(Shape):
    """What adding did: ``member`` (added), ``invited``, or ``already`` (a member)"""

    status: Literal["member", "invited", "already"]
    username: str


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


@api(
    "GET",
    "/api/v1/me",
    summary="The caller, with memberships",
    operation_id="getMe",
    responses={200: MeOut},
)
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


@api(
    "GET",
    "/api/v1/users",
    summary="Find colleagues by name, department or skill",
    operation_id="listUsers",
    query=PeopleQuery,
    responses={200: PeoplePage},
)
async def users(request: Request, query: PeopleQuery) -> Response:
    """GET /api/v1/users?q=&cursor=&limit=: find colleagues."""
    with runtime(request).db.read() as session:
        found = accounts.search_users(
            session, query.q, after=decode_cursor(query.cursor), limit=query.limit + 1
        )
    more = len(found) > query.limit
    found = found[: query.limit]
    return JSONResponse(
        {
            "items": [user_json(u) for u in found],
            "next": encode_cursor(found[-1].username) if more and found else None,
        }
    )


@api(
    "GET",
    "/api/v1/users/{username}",
    summary="A colleague",
    operation_id="getUser",
    responses={200: PersonOut},
)
async def user_detail(request: Request) -> Response:
    """GET /api/v1/users/{username}."""
    return JSONResponse(user_json(load_profile(request, request.path_params["username"])))


@api(
    "GET",
    "/api/v1/spaces",
    summary="Spaces the caller may know of",
    operation_id="listSpaces",
    query=SpacesQuery,
    responses={200: SpacesPage},
)
async def spaces(request: Request, query: SpacesQuery) -> Response:
    """GET /api/v1/spaces?cursor=&limit=: spaces the caller may know of."""
    acc = access(request)
    with runtime(request).db.read() as session:
        found = svc.list_spaces(
            session, acc, after=decode_cursor(query.cursor), limit=query.limit + 1
        )
    more = len(found) > query.limit
    found = found[: query.limit]
    return JSONResponse(
        {
            "items": [space_json(s, acc.roles.get(s.id)) for s in found],
            "next": encode_cursor(found[-1].slug) if more and found else None,
        }
    )


SPACE_LINKS = {
    "GetSpace": Link("getSpace", {"slug": "$response.body#/slug"}),
    "AddMember": Link("addMember", {"slug": "$response.body#/slug"}),
}


@api(
    "POST",
    "/api/v1/spaces",
    summary="Create a space",
    operation_id="createSpace",
    body=SpaceIn,
    responses={201: SpaceOut},
    errors=(403, 409),
    links={201: SPACE_LINKS},
)
async def space_create(request: Request, body: SpaceIn) -> Response:
    """POST /api/v1/spaces {"name", "slug"?, "visibility"?, "description"?, "join_policy"?}."""
    rt = runtime(request)
    acting = current_user(request)

    def create(session: Session) -> dict[str, Any]:
        space = svc.create_space(
            session,
            rt.permissions,
            load_access(session, acting),
            name=body.name,
            slug=body.slug,
            visibility=body.visibility,
            description=body.description,
            join_policy=body.join_policy,
        )
        return space_json(space, "owner")

    created = await write(request, create)
    return JSONResponse(
        created, status_code=201, headers={"location": f"/api/v1/spaces/{created['slug']}"}
    )


def _space_or_404(request: Request) -> Space:
    with runtime(request).db.read() as session:
        return svc.get_space(session, access(request), request.path_params["slug"])


@api(
    "GET",
    "/api/v1/spaces/{slug}",
    summary="A space, and its members when the caller may read it",
    operation_id="getSpace",
    responses={200: SpaceDetail},
)
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


@api(
    "POST",
    "/api/v1/spaces/{slug}/members",
    summary="Add (or invite) a member",
    operation_id="addMember",
    body=MemberIn,
    responses={200: MembershipOut, 201: MembershipOut},
    errors=(403, 409),
    links={
        201: {
            "RemoveMember": Link(
                "removeMember",
                {"slug": "$request.path.slug", "username": "$response.body#/username"},
            )
        }
    },
)
async def member_add(request: Request, body: MemberIn) -> Response:
    """POST /api/v1/spaces/{slug}/members {"username", "role"?}: add, or invite (201); 200
    when already a member; 404 for nobody of that name."""
    space = _space_or_404(request)
    rt = runtime(request)
    acting = current_user(request)

    def add(session: Session) -> str:
        target = accounts.get_user(session, body.username)
        if target is None:
            raise ApiError(404, "not_found", "No such person.", {"username": "unknown"})
        return svc.add_member(
            session,
            rt.permissions,
            load_access(session, acting),
            session.get(Space, space.id),
            target,
            body.role,
        )

    outcome = await write(request, add)
    return JSONResponse(
        {"status": outcome, "username": body.username.lower()},
        status_code=200 if outcome == "already" else 201,
    )


@api(
    "DELETE",
    "/api/v1/spaces/{slug}/members/{username}",
    summary="Remove a member, or leave",
    operation_id="removeMember",
    responses={204: None},
    errors=(403, 409),
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


ROUTES = api_routes(
    me, users, user_detail, spaces, space_create, space_detail, member_add, member_remove
)

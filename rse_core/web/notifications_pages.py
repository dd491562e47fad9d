"""The notification bell, page, preferences, the API, and the personal Atom feed."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import notifications as notes
from ..activity import stream
from ..identity import tokens
from ..identity.models import User
from ..permissions import load_access, plugins_of
from . import parse_id
from .atom import AtomEntry, atom_response
from .context import current_user, principals, public_base, runtime, write
from .contract import Body, Id, Limit, Query, Shape, api, api_routes
from .digest_pages import digest_context
from .forms import form_dict
from .templating import render


def shown_json(item: notes.Shown) -> dict[str, object]:
    """A notification as the API shows it (nothing of an item the reader can't see)."""
    n = item.notification
    body: dict[str, object] = {
        "id": n.id,
        "kind": n.kind,
        "created_at": n.created_at.isoformat(),
        "read": n.read_at is not None,
        "hidden": item.hidden,
    }
    if item.actor is not None:
        body["actor"] = {"username": item.actor.username, "display_name": item.actor.display_name}
    if item.content is not None:
        body["content"] = {
            "id": item.content.id,
            "title": item.content.title,
            "url": item.content.url,
        }
        body["link"] = item.link
        body["excerpt"] = item.excerpt
    if item.comment is not None:
        body["comment"] = {"id": item.comment.id}
    if item.space is not None:
        body["space"] = {"slug": item.space.slug, "name": item.space.name}
    return body


async def page(request: Request) -> Response:
    """GET /notifications: newest first, each re-checked; POST marks them read."""
    me = current_user(request)
    if request.method == "POST":
        data = await form_dict(request)
        raw = str(data.get("id", ""))
        target = parse_id(raw)
        plugins = plugins_of(principals(request))
        await write(request, lambda session: notes.mark_read(session, me.id, target, plugins))
        return RedirectResponse("/notifications", status_code=303)
    with runtime(request).db.read() as session:
        items = notes.for_user(session, me, principals=principals(request), limit=50)
    page = render(request, "notifications/list.html", {"items": items})
    # Seen now: the page still marks them new, the bell counts them no more.
    unread = [item.notification.id for item in items if item.notification.read_at is None]
    if unread:
        await write(request, lambda session: notes.mark_read_ids(session, me.id, unread))
    return page


async def preferences_page(request: Request) -> Response:
    """GET and POST /notifications/settings: which kinds to receive."""
    me = current_user(request)
    if request.method == "POST":
        data = await form_dict(request)

        def save(session: Session) -> None:
            for kind in notes.KINDS:
                notes.set_preference(session, me.id, kind, data.get(kind) == "1")

        await write(request, save)
        return RedirectResponse("/notifications/settings?saved=1", status_code=303)
    with runtime(request).db.read() as session:
        prefs = notes.preferences(session, me.id)
        digest = digest_context(request, session)
    return render(
        request,
        "notifications/settings.html",
        {
            "prefs": prefs,
            "kinds": notes.KINDS,
            "saved": request.query_params.get("saved"),
            **digest,
        },
    )


class PersonRef(Shape):
    """Who did it"""

    username: str
    display_name: str


class ContentRef(Shape):
    """The item it is about"""

    id: int
    title: str
    url: str


class CommentRef(Shape):
    """The comment it is about"""

    id: int


class SpaceRef(Shape):
    """The space it is about"""

    slug: str
    name: str


class NotificationOut(Shape):
    """A notification; what it is about only while you may see it (``hidden`` otherwise)"""

    id: int
    kind: str
    created_at: str
    read: bool
    hidden: bool
    actor: PersonRef | None = None
    content: ContentRef | None = None
    link: str | None = None
    excerpt: str | None = None
    comment: CommentRef | None = None
    space: SpaceRef | None = None


class NotificationsPage(Shape):
    """Your notifications, newest first, and how many are unread"""

    items: list[NotificationOut]
    unread: int
    next: str | None


class NotificationsQuery(Query):
    before: Id | None = None
    limit: Limit = 30


class MarkReadIn(Body):
    id: Id | None = None


class MarkedOut(Shape):
    """How many notifications were marked read"""

    marked: int


@api(
    "GET",
    "/api/v1/notifications",
    summary="Your notifications, each re-checked against what you may see",
    operation_id="listNotifications",
    query=NotificationsQuery,
    responses={200: NotificationsPage},
)
async def api_list(request: Request, query: NotificationsQuery) -> Response:
    """GET /api/v1/notifications?before=&limit=."""
    me = current_user(request)
    with runtime(request).db.read() as session:
        items = notes.for_user(
            session,
            me,
            principals=principals(request),
            before=query.before,
            limit=query.limit + 1,
        )
        unread = notes.unread_count(session, me.id, plugins_of(principals(request)))
    more = len(items) > query.limit
    items = items[: query.limit]
    return JSONResponse(
        {
            "items": [shown_json(i) for i in items],
            "unread": unread,
            "next": str(items[-1].notification.id) if more and items else None,
        }
    )


@api(
    "POST",
    "/api/v1/notifications/read",
    summary="Mark one notification (id) or all read",
    operation_id="markNotificationsRead",
    body=MarkReadIn,
    responses={200: MarkedOut},
)
async def api_mark_read(request: Request, body: MarkReadIn) -> Response:
    """POST /api/v1/notifications/read {"id"?}: mark one, or all, read."""
    me = current_user(request)
    plugins = plugins_of(principals(request))
    changed = await write(
        request, lambda session: notes.mark_read(session, me.id, body.id, plugins)
    )
    return JSONResponse({"marked": changed})


async def feed_settings(request: Request) -> Response:
    """GET and POST /profile/feed: turn the personal Atom feed on (new URL) or off."""
    me = current_user(request)
    url = None
    if request.method == "POST":
        data = await form_dict(request)
        if data.get("action") == "off":
            await write(
                request, lambda session: tokens.revoke_feed_token(session, session.get(User, me.id))
            )
            return RedirectResponse("/profile/feed", status_code=303)
        secret = await write(
            request, lambda session: tokens.reset_feed_token(session, session.get(User, me.id))
        )
        url = f"{public_base(request)}/feeds/{secret}.atom"
    with runtime(request).db.read() as session:
        enabled = tokens.has_feed_token(session, me)
    return render(
        request,
        "notifications/feed.html",
        {"enabled": enabled, "url": url},
        headers={"cache-control": "no-store"},
    )


async def atom_feed(request: Request) -> Response:
    """GET /feeds/{token}.atom: the owner's home stream as they may see it today."""
    rt = runtime(request)
    with rt.db.read() as session:
        user = tokens.user_for_feed_token(session, request.path_params["token"])
        if user is None:
            raise HTTPException(404)
        entries = stream(
            session, load_access(session, user, rt.plugin_states()).principals, limit=50
        )
    base = public_base(request)
    verbs = {
        "create": "shared",
        "update": "edited",
        "comment": "commented on",
        "status": "changed the status of",
    }
    return atom_response(
        title=f"rse · {user.display_name}",
        feed_id=f"{base}/feeds/user-{user.id}",
        link=f"{base}/",
        self_link=str(request.url),
        entries=(
            AtomEntry(
                id=f"{base}/api/v1/activities/{e.activity.id}",
                title=f"{e.actor.display_name} {verbs[e.activity.verb]} "
                f"{e.content.title or 'a post'}",
                link=f"{base}{e.content.url}",
                updated=e.activity.created_at,
                author=e.actor.display_name,
                summary=e.content.summary[:1000],
            )
            for e in entries
        ),
    )


ROUTES = [
    Route("/notifications", page, methods=["GET", "POST"]),
    Route("/notifications/settings", preferences_page, methods=["GET", "POST"]),
    Route("/profile/feed", feed_settings, methods=["GET", "POST"]),
    Route("/feeds/{token}.atom", atom_feed, methods=["GET"]),
]
API_ROUTES = api_routes(api_list, api_mark_read)

"""Hook implementations of the praise plugin."""

from __future__ import annotations

from functools import partial

from sqlalchemy import select
from starlette.requests import Request

from rse_core import (
    ExportTable,
    NavItem,
    current_user,
    hookimpl,
    most_first,
    principals,
    render_fragment,
    runtime,
    shared_top,
    sum_counters,
    utcnow,
)

from . import api, service, views
from .demo import load_demo
from .models import Badge, Praise, Recipient

PROFILE_LATEST = 3


@hookimpl
def rse_routes(settings):
    """The wall, the praise form, a praise, a person's praise, the badges (admins)."""
    return list(views.PAGE_ROUTES)


@hookimpl
def rse_api_routes(settings):
    """The praise API under /api/v1/praise."""
    return list(api.API_ROUTES)


@hookimpl
def rse_nav_items(request: Request):
    """A "Praise" entry in the header."""
    return [NavItem("Praise", "/praise", order=60)]


@hookimpl
def rse_content_types():
    """The names search shows for this plugin's items."""
    return {service.TYPE: "Praise"}


@hookimpl
def rse_prepare_entries(request: Request, entries):
    """The praise of a stream page's entries, with badges and the praised, in two queries."""
    ids = [entry.content.id for entry in entries if entry.content.type == service.TYPE]
    if not ids:
        return None
    with runtime(request).db.read() as session:
        return service.in_stream(session, ids)


@hookimpl
def rse_render_activity(request: Request, entry, prepared):
    """A praise in the stream: who praised whom, the badge and the message."""
    if entry.content.type != service.TYPE:
        return None
    return render_fragment(request, "praise/entry.html", {"entry": entry, "row": prepared})


@hookimpl
def rse_profile_sections(request: Request, profile):
    """The praise a person received: their badges and the latest (as the reader may see)."""
    with runtime(request).db.read() as session:
        scope = principals(request)
        tally = service.badge_tally(session, scope, profile)
        rows = service.listing(session, scope, recipient=profile, limit=PROFILE_LATEST)
    mine = current_user(request).id == profile.id
    return [
        render_fragment(
            request,
            "praise/profile.html",
            {"person": profile, "tally": tally, "rows": rows, "mine": mine},
        )
    ]


@hookimpl
def rse_home_widgets(request: Request):
    """The month's most praised, from the praise the reader may see (admins can turn it off)."""
    since = service.month_start(utcnow())
    with runtime(request).db.read() as session:
        if not service.monthly_widget_on(session):
            return None
        ranked = shared_top(
            request,
            f"praise.month.{since:%Y-%m}",
            partial(service.month_counts, since=since),
            sum_counters,
            most_first,  # most praised first, ties by id
            2 * service.TOP,  # most_praised leaves out who has left
        )
        top = service.most_praised(session, ranked)
    return [render_fragment(request, "praise/widget.html", {"top": top})]


@hookimpl
def rse_demo_data(session, settings):
    """Praise between the demo's colleagues, company-wide and in a space."""
    load_demo(session)


@hookimpl
def rse_personal_data(session, user):
    """The praise the person received (what they gave are their items)."""
    received = session.execute(
        select(Praise, Badge.name)
        .join(Recipient, Recipient.praise_id == Praise.id)
        .join(Badge, Badge.id == Praise.badge_id)
        .where(Recipient.user_id == user.id)
        .order_by(Praise.id)
    )
    return {
        "received": [
            {"badge": badge, "message": p.message, "at": p.created_at.isoformat()}
            for p, badge in received
        ]
    }


@hookimpl
def rse_export_tables() -> list[ExportTable]:
    """Badges, praise, its recipients and the site's praise settings."""
    return [
        ExportTable("praise_badge"),
        ExportTable("praise_praise"),
        ExportTable("praise_recipient"),
        ExportTable("praise_setting"),
    ]

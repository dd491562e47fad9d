"""Reporting items and comments, and the moderators' queue and log (pages and API)."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import moderation
from ..content import Content, get_visible
from ..i18n import N_
from ..identity.models import Space, User
from ..social import Comment, find_comment
from ..validation import Conflict, NotFound, ValidationError
from . import parse_id
from .context import access, can, current_user, principals, runtime, write
from .contract import Body, Id, Link, Shape, Text, api, api_routes
from .errors import ApiError
from .flash import flash
from .forms import form_dict
from .templating import render


def moderated_spaces(request: Request, session: Session) -> list[int]:
    """The spaces whose items the reader moderates (``core.space.moderate``)."""
    ids = list(access(request).roles)
    if not ids:
        return []
    spaces = session.scalars(select(Space).where(Space.id.in_(ids)))
    return [s.id for s in spaces if can(request, "core.space.moderate", s)]


def moderator_scope(
    request: Request, session: Session, *, hidden: bool = False
) -> tuple[list[int], bool]:
    """What the reader moderates: spaces, and everything they read as a community manager.
    Refused when nothing: 403, or 404 where a report is named (``hidden``: that a report
    exists is not for them to know)."""
    me = current_user(request)
    space_ids = moderated_spaces(request, session)
    community = bool(getattr(me, "is_community_manager", False))
    if not space_ids and not community:
        if hidden:
            raise NotFound("No such report.")
        raise HTTPException(403, "Only moderators see reports.")
    return space_ids, community


def _report(request: Request, content_id: int, data: dict[str, Any]):  # type: ignore[no-untyped-def]
    me = current_user(request)
    raw_comment = data.get("comment")
    comment_id = parse_id(str(raw_comment)) if raw_comment not in (None, "") else None
    if raw_comment not in (None, "") and comment_id is None:
        raise NotFound("No such comment.")

    def run(session: Session) -> tuple[moderation.Report, Content]:
        content = get_visible(session, content_id, principals(request))
        if content is None:
            raise NotFound("No such item.")
        comment = None
        if comment_id is not None:
            comment = find_comment(session, content.id, comment_id)
            if comment is None:
                raise NotFound("No such comment.")
        reporter = session.get(User, me.id)
        report = moderation.file_report(
            session, reporter, content, comment, data.get("reason"), data.get("note")
        )
        return report, content

    return run


async def report_page(request: Request) -> Response:
    """POST /content/{content_id}/report: ``reason``, ``note``, ``comment`` (its id, to
    report a comment): back to the item, thanked."""
    data = await form_dict(request)
    content_id = request.path_params["content_id"]
    try:
        _report_row, content = await write(request, _report(request, content_id, data))
    except ValidationError as exc:
        with runtime(request).db.read() as session:
            found = get_visible(session, content_id, principals(request))
        back = RedirectResponse(found.url if found else "/", status_code=303)
        return flash(request, back, next(iter(exc.fields.values())))
    anchor = f"#comment-{data['comment']}" if data.get("comment") else ""
    back = RedirectResponse(f"{content.url}{anchor}", status_code=303)
    return flash(request, back, N_("Thank you: the moderators will look at it."))


async def queue_page(request: Request) -> Response:
    """GET /moderation: the open reports the reader decides on."""
    with runtime(request).db.read() as session:
        space_ids, community = moderator_scope(request, session)
        cases = moderation.queue(session, principals(request), space_ids, community)
        spaces = {
            s.id: s
            for s in session.scalars(
                select(Space).where(Space.id.in_({c.content.space_id for c in cases}))
            )
        }
    return render(
        request,
        "moderation/queue.html",
        {"cases": cases, "spaces": spaces, "reasons": moderation.REASONS, "errors": {}},
    )


async def decide_page(request: Request) -> Response:
    """POST /moderation/reports/{report_id}: ``action`` and ``reason``."""
    data = await form_dict(request)
    try:
        await write(request, _decide(request, data.get("action"), data.get("reason")))
    except ValidationError as exc:
        back = RedirectResponse("/moderation", status_code=303)
        return flash(request, back, next(iter(exc.fields.values())))
    return flash(request, RedirectResponse("/moderation", status_code=303), N_("Done."))


def _decide(request: Request, action: object, reason: object):  # type: ignore[no-untyped-def]
    me = current_user(request)
    report_id = request.path_params["report_id"]

    def run(session: Session) -> moderation.Decision:
        space_ids, community = moderator_scope(request, session, hidden=True)
        case = moderation.case_of(session, report_id, principals(request), space_ids, community)
        return moderation.decide(session, session.get(User, me.id), case, action, reason)

    return run


async def restore_page(request: Request) -> Response:
    """POST /moderation/decisions/{decision_id}: restore what a decision hid (``reason``)."""
    data = await form_dict(request)
    me = current_user(request)

    def run(session: Session) -> moderation.Decision:
        space_ids, community = moderator_scope(request, session, hidden=True)
        case = moderation.case_of_decision(
            session, request.path_params["decision_id"], principals(request), space_ids, community
        )
        return moderation.decide(
            session, session.get(User, me.id), case, "restore", data.get("reason")
        )

    try:
        await write(request, run)
    except ValidationError as exc:
        back = RedirectResponse("/moderation/log", status_code=303)
        return flash(request, back, next(iter(exc.fields.values())))
    return flash(request, RedirectResponse("/moderation/log", status_code=303), N_("Done."))


async def log_page(request: Request) -> Response:
    """GET /moderation/log: the decisions on what the reader moderates, newest first."""
    with runtime(request).db.read() as session:
        space_ids, community = moderator_scope(request, session)
        visible_ids = select(Content.id).where(
            moderation.moderated_filter(principals(request), space_ids, community)
        )
        rows = session.execute(
            select(moderation.Decision, User, Content)
            .join(User, User.id == moderation.Decision.actor_id)
            .join(Content, Content.id == moderation.Decision.content_id)
            .where(moderation.Decision.content_id.in_(visible_ids))
            .order_by(moderation.Decision.id.desc())
            .limit(200)
        ).all()
        hidden_comments = set(
            session.scalars(
                select(Comment.id).where(
                    Comment.id.in_([d.comment_id for d, _a, _c in rows if d.comment_id]),
                    Comment.deleted_at.is_not(None),
                )
            )
        )
    latest: set[tuple[int, int | None]] = set()
    restorable = set()
    for decision, _actor, content in rows:  # newest first: the latest decision per target
        target = (decision.content_id, decision.comment_id)
        if target in latest:
            continue
        latest.add(target)
        hidden = (
            decision.comment_id in hidden_comments
            if decision.comment_id
            else content.deleted_at is not None
        )
        if decision.action == "hide" and hidden:
            restorable.add(decision.id)
    return render(request, "moderation/log.html", {"rows": rows, "restorable": restorable})


PAGE_ROUTES = [
    Route("/content/{content_id:int}/report", report_page, methods=["POST"]),
    Route("/moderation", queue_page, methods=["GET"]),
    Route("/moderation/log", log_page, methods=["GET"]),
    Route("/moderation/reports/{report_id:int}", decide_page, methods=["POST"]),
    Route("/moderation/decisions/{decision_id:int}", restore_page, methods=["POST"]),
]


# -- API ---------------------------------------------------------------------------------------

Reason = Literal["spam", "harassment", "confidential", "off-topic", "other"]


class ReportIn(Body):
    """Report an item you can see, or one of its comments (``comment``: its id)"""

    reason: Reason
    note: Text(moderation.MAX_NOTE) = ""
    comment: Id | None = None


class ReportOut(Shape):
    """A report"""

    id: int
    content_id: int
    comment_id: int | None
    reason: str
    status: str


class ReporterOut(Shape):
    """A report in a case"""

    id: int
    reason: str
    note: str
    reporter: str
    created_at: str


class CaseOut(Shape):
    """What a moderator decides on: an item or a comment and its open reports"""

    report_id: int
    content_id: int
    comment_id: int | None
    url: str
    title: str
    author: str
    hidden: bool
    reports: list[ReporterOut]


class CasePage(Shape):
    """The open reports you decide on, grouped by what they report, oldest first"""

    items: list[CaseOut]


class DecisionIn(Body):
    """Hide, restore, dismiss or warn, with a reason (sent to the author)"""

    action: Literal["hide", "restore", "dismiss", "warn"]
    reason: Text(moderation.MAX_NOTE, required=True)


class DecisionOut(Shape):
    """A decision, as the log keeps it"""

    id: int
    content_id: int
    comment_id: int | None
    action: str
    reason: str
    reports: int
    created_at: str


def case_json(case: moderation.Case) -> dict[str, Any]:
    """A case as the API shows it."""
    return {
        "report_id": case.first_report_id,
        "content_id": case.content.id,
        "comment_id": case.comment.id if case.comment else None,
        "url": case.content.url,
        "title": case.content.title or case.content.summary[:120],
        "author": case.author.username,
        "hidden": case.hidden,
        "reports": [
            {
                "id": r.id,
                "reason": r.reason,
                "note": r.note,
                "reporter": u.username,
                "created_at": r.created_at.isoformat(),
            }
            for r, u in case.reports
        ],
    }


@api(
    "POST",
    "/api/v1/content/{content_id:int}/reports",
    summary="Report an item or one of its comments to the moderators",
    operation_id="core.reportContent",
    body=ReportIn,
    responses={201: ReportOut},
    errors=(409,),
    links={201: {"Decide": Link("core.decideReport", {"report_id": "$response.body#/id"})}},
    # The demo's first items are company-wide wiki pages (a client, and the contract run,
    # can report them).
    path_schemas={"content_id": {"type": "integer", "minimum": 1, "examples": [1, 2]}},
)
async def api_report(request: Request, body: ReportIn) -> Response:
    """POST /api/v1/content/{id}/reports {"reason", "note"?, "comment"?}."""
    data = body.model_dump()
    report, _content = await write(
        request, _report(request, request.path_params["content_id"], data)
    )
    return JSONResponse(
        {
            "id": report.id,
            "content_id": report.content_id,
            "comment_id": report.comment_id,
            "reason": report.reason,
            "status": report.status,
        },
        status_code=201,
    )


@api(
    "GET",
    "/api/v1/moderation/reports",
    summary="The open reports you decide on (moderators)",
    operation_id="core.listReports",
    responses={200: CasePage},
    errors=(403,),
)
async def api_queue(request: Request) -> Response:
    """GET /api/v1/moderation/reports."""
    with runtime(request).db.read() as session:
        try:
            space_ids, community = moderator_scope(request, session)
        except HTTPException:
            raise ApiError(403, "forbidden", "Only moderators see reports.") from None
        cases = moderation.queue(session, principals(request), space_ids, community)
        return JSONResponse({"items": [case_json(c) for c in cases]})


@api(
    "POST",
    "/api/v1/moderation/reports/{report_id:int}/decision",
    summary="Decide on a report: hide, restore, dismiss or warn (moderators)",
    operation_id="core.decideReport",
    body=DecisionIn,
    responses={200: DecisionOut},
    errors=(403, 409),
    # The demo data holds one open report (a client, and the contract run, can decide on it).
    path_schemas={"report_id": {"type": "integer", "minimum": 1, "examples": [1]}},
)
async def api_decide(request: Request, body: DecisionIn) -> Response:
    """POST /api/v1/moderation/reports/{id}/decision {"action", "reason"}."""
    try:
        decision = await write(request, _decide(request, body.action, body.reason))
    except HTTPException as exc:
        if exc.status_code == 403:
            raise ApiError(403, "forbidden", "Only moderators decide on reports.") from None
        raise
    except Conflict as exc:
        raise ApiError(409, "conflict", next(iter(exc.fields.values())), exc.fields) from None
    return JSONResponse(
        {
            "id": decision.id,
            "content_id": decision.content_id,
            "comment_id": decision.comment_id,
            "action": decision.action,
            "reason": decision.reason,
            "reports": decision.reports,
            "created_at": decision.created_at.isoformat(),
        }
    )


API_ROUTES = api_routes(api_report, api_queue, api_decide)

"""Ideas pages: the campaigns (open, upcoming, closed, a space's), launching and editing one,
a campaign with its ideas and the form to propose one (similar ideas proposed while the title
is typed), an idea with its votes, history and the reviewers' controls, the reviewers' board
and the campaign's CSV. Every form works without JavaScript; htmx only spares a page load.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from rse_core import (
    Conflict,
    Space,
    User,
    ValidationError,
    access,
    current_user,
    find_space,
    flash,
    in_set,
    parse_id,
    people_and_spaces,
    principals,
    reading_page,
    render,
    render_fragment,
    render_markdown,
    render_social,
    runtime,
    search_visible,
    time_zone,
    utcnow,
    write,
)

from . import campaigns, ideas, workflow
from .models import Campaign, Idea
from .permissions import (
    in_audience,
    may_delete_idea,
    may_launch_in,
    may_manage,
    must_delete_idea,
    must_review,
    must_take_part,
)

PAGE = 20
IDEAS_PAGE = 50
CAMPAIGN_FIELDS = ("question", "description", "opens_on", "closes_on", "criteria", "reviewers")
IDEA_FIELDS = ("title", "body", "tags")
TABS = (campaigns.OPEN, campaigns.UPCOMING, campaigns.CLOSED)


def _list_page(request: Request, *, tab: str, space: Space | None = None) -> Response:
    now = utcnow()
    with runtime(request).db.read() as session:
        rows = campaigns.listing(
            session,
            principals(request),
            now=now,
            state=tab if tab in TABS else None,
            space_ids=[space.id] if space else None,
            before=parse_id(request.query_params.get("before")),
            limit=PAGE + 1,
        )
        more = len(rows) > PAGE
        rows = rows[:PAGE]
        owners, spaces = people_and_spaces(
            session, [c.owner_id for c in rows], [c.space_id for c in rows]
        )
        may_launch = may_launch_in(request, space) or (
            space is None and _launch_spaces(request, session) != []
        )
    return render(
        request,
        "ideas/index.html",
        {
            "rows": rows,
            "owners": owners,
            "spaces": spaces,
            "tab": tab,
            "space": space,
            "now": now,
            "status": campaigns.status,
            "may_launch": may_launch,
            "next_before": rows[-1].id if more and rows else None,
        },
    )


def _launch_spaces(request: Request, session: Session) -> list[tuple[str, str]]:
    """The reader's spaces they may launch a campaign in, by name: their spaces read in one
    query (one a space was 20 statements of the campaigns page for someone in 20 spaces)."""
    roles = access(request).roles
    query = select(Space).where(in_set(Space.id, roles, integers=True, indexed=True))
    spaces = session.scalars(query.order_by(Space.name))
    return [(space.slug, space.name) for space in spaces if may_launch_in(request, space)]


@reading_page
def index(request: Request) -> Response:
    """GET /ideas: the open campaigns the reader may see (``?tab=upcoming|closed|all``)."""
    tab = request.query_params.get("tab", campaigns.OPEN)
    if tab not in (*TABS, "all"):
        raise HTTPException(400, "tab must be open, upcoming, closed or all")
    return _list_page(request, tab=tab)


@reading_page
def space_campaigns(request: Request) -> Response:
    """GET /ideas/spaces/{slug}: a space's campaigns (its tab), every state."""
    with runtime(request).db.read() as session:
        space = find_space(session, access(request), request.path_params["slug"])
    return _list_page(request, tab="all", space=space)


def _campaign_form(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    campaign: Campaign | None = None,
    status_code: int = 200,
) -> Response:
    with runtime(request).db.read() as session:
        spaces = [] if campaign else _launch_spaces(request, session)
    return render(
        request,
        "ideas/campaign_form.html",
        {
            "values": values,
            "errors": errors,
            "spaces": spaces,
            "company": may_launch_in(request, None),
            "campaign": campaign,
            "optional": workflow.OPTIONAL,
            "labels": workflow.LABELS,
        },
        status_code=status_code,
    )


def _form_values(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {k: form.get(k) for k in CAMPAIGN_FIELDS if form.get(k) is not None}
    if form.get("steps_given"):
        data["steps"] = form.getlist("steps")
    if form.get("space") is not None:
        data["space"] = form.get("space")
    return data


async def new_campaign(request: Request) -> Response:
    """GET /ideas/new: the launch form (``?space=`` preselects a space)."""
    values = {
        "space": request.query_params.get("space", ""),
        "steps": list(workflow.OPTIONAL),
    }
    with runtime(request).db.read() as session:
        if not may_launch_in(request, None) and not _launch_spaces(request, session):
            raise HTTPException(403, "You may not launch campaigns.")
    return _campaign_form(request, values, {})


def _space_to_launch_in(request: Request, session: Session, slug: object) -> Space | None:
    if slug in (None, ""):
        if not may_launch_in(request, None):
            raise ValidationError({"space": "You may not launch company-wide campaigns."})
        return None
    if not isinstance(slug, str):
        raise ValidationError({"space": "Give the space's address."})
    space = find_space(session, access(request), slug)
    if not may_launch_in(request, space):
        raise ValidationError({"space": "You may not launch campaigns in this space."})
    return space


async def create_campaign(request: Request) -> Response:
    """POST /ideas/campaigns: the launch form."""
    form = await request.form()
    data = _form_values(form)
    me = current_user(request)
    zone = time_zone(request)
    try:

        def run(session: Session) -> int:
            space = _space_to_launch_in(request, session, data.get("space"))
            fields = campaigns.clean(data, zone=zone, now=utcnow())
            return campaigns.launch(session, session.get(User, me.id), space, fields).id

        ideas_campaign_id = await write(request, run)
    except ValidationError as exc:
        return _campaign_form(request, data, exc.fields, status_code=422)
    return RedirectResponse(f"/ideas/campaigns/{ideas_campaign_id}", status_code=303)


def _campaign_context(request: Request, session: Session, ideas_campaign_id: int) -> dict[str, Any]:
    me = current_user(request)
    now = utcnow()
    campaign, content = campaigns.readable(session, ideas_campaign_id, principals(request))
    space = campaigns.space_of(session, campaign)
    sort = request.query_params.get("sort", "votes")
    if sort not in ideas.SORTS:
        raise HTTPException(400, "sort must be votes, score or newest")
    cursor = parse_id(request.query_params.get("after"))
    query = ideas.after(session, campaign, ideas.in_campaign(campaign, sort=sort), sort, cursor)
    rows = list(session.scalars(query.limit(IDEAS_PAGE + 1)))
    more = len(rows) > IDEAS_PAGE
    rows = rows[:IDEAS_PAGE]
    voted, followed = ideas.mine(session, me.id, [i.id for i in rows])
    people, _spaces = people_and_spaces(session, [campaign.owner_id, *(i.author_id for i in rows)])
    reviewer = campaigns.is_reviewer(session, campaign, me.id)
    return {
        "campaign": campaign,
        "content": content,
        "space": space,
        "status": campaigns.status(campaign, now),
        "ideas": rows,
        "people": people,
        "voted": voted,
        "followed": followed,
        "sort": sort,
        "next_after": rows[-1].id if more else None,
        "paged": cursor is not None,
        "reviewer": reviewer,
        "reviewers": campaigns.reviewers(session, campaign),
        "criteria": campaigns.criteria(campaign),
        "figures": campaigns.figures(session, campaign) if reviewer else None,
        "may_manage": may_manage(request, session, campaign, content),
        "takes_part": in_audience(request, campaign, space),
        "labels": workflow.LABELS,
        "markdown": render_markdown,
    }


async def campaign_page(request: Request) -> Response:
    """GET /ideas/campaigns/{id}: the question, its ideas (by votes, score or newest), the
    form to propose one, the owner's figures, comments and likes."""
    with runtime(request).db.read() as session:
        context = _campaign_context(request, session, request.path_params["ideas_campaign_id"])
    return render(
        request,
        "ideas/campaign.html",
        {
            **context,
            "social": render_social(request, context["content"]),
            "values": {},
            "errors": {},
            "similar": [],
        },
    )


async def edit_campaign_page(request: Request) -> Response:
    """GET /ideas/campaigns/{id}/edit: the owner's form."""
    zone = time_zone(request)
    with runtime(request).db.read() as session:
        campaign, content = campaigns.readable(
            session, request.path_params["ideas_campaign_id"], principals(request)
        )
        if not may_manage(request, session, campaign, content):
            raise HTTPException(403)
        reviewer_names = [u.username for u in campaigns.reviewers(session, campaign)[1:]]
    values = {
        "question": campaign.question,
        "description": campaign.description,
        "opens_on": campaign.opens_at.astimezone(zone).date().isoformat(),
        # The last day: the one before the closing midnight.
        "closes_on": (campaign.closes_at - timedelta(seconds=1))
        .astimezone(zone)
        .date()
        .isoformat(),
        "steps": campaign.steps.split(),
        "criteria": campaign.criteria,
        "reviewers": " ".join(reviewer_names),
    }
    return _campaign_form(request, values, {}, campaign=campaign)


async def change_campaign(request: Request) -> Response:
    """POST /ideas/campaigns/{id}: ``action=edit`` (the form's fields), ``close`` or
    ``delete`` (its owner or a moderator of its space); ``propose`` with ``title``, ``body``
    and ``tags`` (its audience, while it is open)."""
    form = await request.form()
    action = form.get("action")
    me = current_user(request)
    ideas_campaign_id = request.path_params["ideas_campaign_id"]
    zone = time_zone(request)
    data = _form_values(form)
    idea_data = {k: form.get(k) for k in IDEA_FIELDS if form.get(k) is not None}

    def run(session: Session) -> str:
        campaign, content = campaigns.readable(session, ideas_campaign_id, principals(request))
        if action == "propose":
            must_take_part(request, campaign, campaigns.space_of(session, campaign))
            fields = ideas.clean(idea_data, creating=True)
            author = session.get(User, me.id)
            idea = ideas.propose(session, campaign, content, author, fields, utcnow())
            return ideas.idea_url(idea)
        if not may_manage(request, session, campaign, content):
            raise HTTPException(403)
        if action == "edit":
            fields = campaigns.clean(data, zone=zone, now=utcnow(), campaign=campaign)
            campaigns.edit(session, campaign, session.get(User, me.id), fields)
        elif action == "close":
            if campaigns.status(campaign, utcnow()) == campaigns.CLOSED:
                raise Conflict({"campaign": "This campaign is closed."})
            campaigns.close(session, campaign, utcnow())
        elif action == "delete":
            campaigns.remove(session, campaign)
            return "/ideas"
        else:
            raise HTTPException(400, "action must be propose, edit, close or delete")
        return campaigns.campaign_url(campaign)

    try:
        target = await write(request, run)
    except ValidationError as exc:
        if action == "edit":
            with runtime(request).db.read() as session:
                campaign = session.get(Campaign, ideas_campaign_id)
            return _campaign_form(request, data, exc.fields, campaign=campaign, status_code=422)
        if action != "propose":
            raise
        with runtime(request).db.read() as session:
            context = _campaign_context(request, session, ideas_campaign_id)
        return render(
            request,
            "ideas/campaign.html",
            {
                **context,
                "social": render_social(request, context["content"]),
                "values": idea_data,
                "errors": exc.fields,
                "similar": search_visible(
                    request, idea_data.get("title") or "", kind=campaigns.IDEA
                ),
            },
            status_code=422,
        )
    return RedirectResponse(target, status_code=303)


async def similar(request: Request) -> Response:
    """GET /ideas/similar?title=: ideas like the one being typed, that the reader may see
    (the propose form's live suggestions)."""
    title = (request.query_params.get("title") or "")[: ideas.MAX_TITLE]
    hits = search_visible(request, title, kind=campaigns.IDEA)
    return HTMLResponse(str(render_fragment(request, "ideas/similar.html", {"similar": hits})))


def _idea_context(request: Request, session: Session, ideas_idea_id: int) -> dict[str, Any]:
    me = current_user(request)
    idea, content, campaign = ideas.readable(session, ideas_idea_id, principals(request))
    space = campaigns.space_of(session, campaign)
    moves = ideas.history(session, idea)
    people, _spaces = people_and_spaces(
        session, [idea.author_id, campaign.owner_id, *(m.actor_id for m in moves)]
    )
    voted, followed = ideas.mine(session, me.id, [idea.id])
    reviewer = campaigns.is_reviewer(session, campaign, me.id)
    names = campaigns.criteria(campaign)
    merged_into = session.get(Idea, idea.merged_into_id) if idea.merged_into_id else None
    others = (
        list(
            session.scalars(
                ideas.in_campaign(campaign, sort="newest").where(Idea.id != idea.id).limit(200)
            )
        )
        if reviewer and idea.state not in (workflow.MERGED, workflow.IMPLEMENTED)
        else []
    )
    return {
        "idea": idea,
        "content": content,
        "campaign": campaign,
        "space": space,
        "status": campaigns.status(campaign, utcnow()),
        "people": people,
        "moves": moves,
        "voted": idea.id in voted,
        "following": idea.id in followed,
        "reviewer": reviewer,
        "allowed": workflow.allowed(campaign.steps, idea.state) if reviewer else [],
        "others": others,
        "criteria": names,
        "my_scores": ideas.my_scores(session, idea.id, me.id) if reviewer and names else {},
        "means": ideas.criterion_means(session, idea.id) if names else {},
        "merged_into": merged_into,
        "takes_part": in_audience(request, campaign, space),
        "editable": idea.author_id == me.id and idea.state == workflow.SUBMITTED,
        "may_delete": may_delete_idea(request, session, idea, content),
        "labels": workflow.LABELS,
        "markdown": render_markdown,
    }


async def idea_page(request: Request) -> Response:
    """GET /ideas/{id}: the idea, its state and history, votes, following, the reviewers'
    controls (move, merge, score), attachments, comments and likes."""
    with runtime(request).db.read() as session:
        context = _idea_context(request, session, request.path_params["ideas_idea_id"])
    return render(
        request,
        "ideas/idea.html",
        {**context, "social": render_social(request, context["content"]), "errors": {}},
    )


def _scores(form: Any) -> dict[int, int]:
    found = {}
    for key, value in form.multi_items():
        if key.startswith("score-"):
            try:
                found[int(key[6:])] = int(value or 0)
            except ValueError:
                raise ValidationError({"scores": "Score each criterion from 1 to 5."}) from None
    return found


async def change_idea(request: Request) -> Response:
    """POST /ideas/{id}: ``vote`` / ``unvote`` (the audience, while open), ``follow`` /
    ``unfollow`` (whoever sees it), ``move`` with ``state`` (and ``reason``), ``merge`` with
    ``into``, ``score`` with ``score-N`` (its reviewers), ``edit`` (its author before review)
    and ``delete`` (its author or a moderator). ``back`` = ``board`` returns to the board."""
    form = await request.form()
    action = form.get("action")
    me = current_user(request)
    ideas_idea_id = request.path_params["ideas_idea_id"]

    def run(session: Session) -> str:
        idea, content, campaign = ideas.readable(session, ideas_idea_id, principals(request))
        user = session.get(User, me.id)
        if action in ("vote", "unvote"):
            must_take_part(request, campaign, campaigns.space_of(session, campaign))
            ideas.vote(session, idea, campaign, user, 1 if action == "vote" else 0)
        elif action in ("follow", "unfollow"):
            ideas.follow(session, idea, user, action == "follow")
        elif action in ("move", "merge", "score"):
            must_review(request, session, campaign)
            if action == "move":
                ideas.move(
                    session,
                    idea,
                    content,
                    campaign,
                    user,
                    str(form.get("state") or ""),
                    str(form.get("reason") or ""),
                )
            elif action == "merge":
                into = parse_id(str(form.get("into") or ""))
                kept = session.get(Idea, into) if into else None
                if kept is None or kept.campaign_id != campaign.id:
                    raise ValidationError({"into": "Choose the idea to keep."})
                ideas.merge(session, idea, content, kept, campaign, user)
                if form.get("back") != "board":
                    return ideas.idea_url(kept)
                return _board_url(campaign, form, kept)
            else:
                ideas.set_scores(session, idea, campaign, user, _scores(form))
        elif action == "edit":
            if idea.author_id != me.id:
                raise HTTPException(403)
            data = {k: form.get(k) for k in IDEA_FIELDS if form.get(k) is not None}
            ideas.edit(session, idea, user, ideas.clean(data, creating=False))
        elif action == "delete":
            must_delete_idea(request, session, idea, content)
            ideas.remove(session, idea)
            return campaigns.campaign_url(campaign)
        else:
            raise HTTPException(
                400,
                "action must be vote, unvote, follow, unfollow, move, merge, score, edit or delete",
            )
        if form.get("back") == "board":
            return _board_url(campaign, form, idea)
        if form.get("back") == "campaign":
            return f"{campaigns.campaign_url(campaign)}#idea-{idea.id}"
        return ideas.idea_url(idea)

    try:
        target = await write(request, run)
    except ValidationError as exc:  # Conflict too: say it on the page the form came from
        message = next(iter(exc.fields.values()), "Check what you entered.")
        back = request.headers.get("referer") or f"/ideas/{ideas_idea_id}"
        if not back.startswith(str(request.base_url)):
            back = f"/ideas/{ideas_idea_id}"
        status = 303
        return flash(request, RedirectResponse(back, status_code=status), message)
    return RedirectResponse(target, status_code=303)


def _board_url(campaign: Campaign, form: Any, idea: Idea) -> str:
    """Back to the board with the filters it had, at the idea's card."""
    sort = form.get("sort") if form.get("sort") in ideas.SORTS else "votes"
    query = urlencode({"sort": sort, **({"tag": form["tag"]} if form.get("tag") else {})})
    return f"{campaigns.campaign_url(campaign)}/board?{query}#idea-{idea.id}"


async def board(request: Request) -> Response:
    """GET /ideas/campaigns/{id}/board: the reviewers' board, a column per state
    (``?tag=``, ``?sort=votes|score|newest``); reviewers only."""
    sort = request.query_params.get("sort", "votes")
    if sort not in ideas.SORTS:
        raise HTTPException(400, "sort must be votes, score or newest")
    tag = (request.query_params.get("tag") or "").lstrip("#").lower()[:40] or None
    with runtime(request).db.read() as session:
        campaign, content = campaigns.readable(
            session, request.path_params["ideas_campaign_id"], principals(request)
        )
        must_review(request, session, campaign)
        columns = ideas.board(session, campaign, tag=tag, sort=sort)
        everyone = [i for column in columns for i in column.ideas]
        people, _spaces = people_and_spaces(session, [i.author_id for i in everyone])
    context = {
        "campaign": campaign,
        "content": content,
        "columns": columns,
        "people": people,
        "sort": sort,
        "tag": tag,
        "labels": workflow.LABELS,
        "allowed": lambda state: workflow.allowed(campaign.steps, state),
        "ideas_of": everyone,
    }
    if request.headers.get("hx-request"):
        return HTMLResponse(str(render_fragment(request, "ideas/_board.html", context)))
    return render(request, "ideas/board.html", context)


CSV_HEADER = (
    "id",
    "title",
    "state",
    "votes",
    "score",
    "author",
    "tags",
    "submitted_at",
    "decided_at",
    "reason",
    "url",
)


async def campaign_csv(request: Request) -> Response:
    """GET /ideas/campaigns/{id}.csv: every idea of the campaign with its state, votes and
    score (its reviewers). Cells that a spreadsheet would run as a formula are quoted."""
    with runtime(request).db.read() as session:
        campaign, _content = campaigns.readable(
            session, request.path_params["ideas_campaign_id"], principals(request)
        )
        must_review(request, session, campaign)
        rows = list(session.scalars(ideas.in_campaign(campaign, sort="newest")))
        people, _spaces = people_and_spaces(session, [i.author_id for i in rows])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    base = str(request.base_url).rstrip("/")
    for idea in rows:
        writer.writerow(
            [
                idea.id,
                _cell(idea.title),
                idea.state,
                idea.vote_count,
                "" if idea.score is None else f"{idea.score:.2f}",
                people[idea.author_id].username,
                idea.tags,
                idea.created_at.isoformat(),
                idea.decided_at.isoformat() if idea.decided_at else "",
                _cell(idea.reason or ""),
                f"{base}{ideas.idea_url(idea)}",
            ]
        )
    name = f"campaign-{campaign.id}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


PAGE_ROUTES = [
    Route("/ideas", index, methods=["GET"]),
    Route("/ideas/new", new_campaign, methods=["GET"]),
    Route("/ideas/similar", similar, methods=["GET"]),
    Route("/ideas/campaigns", create_campaign, methods=["POST"]),
    Route("/ideas/campaigns/{ideas_campaign_id:int}", campaign_page, methods=["GET"]),
    Route("/ideas/campaigns/{ideas_campaign_id:int}", change_campaign, methods=["POST"]),
    Route("/ideas/campaigns/{ideas_campaign_id:int}/edit", edit_campaign_page, methods=["GET"]),
    Route("/ideas/campaigns/{ideas_campaign_id:int}/board", board, methods=["GET"]),
    Route("/ideas/campaigns/{ideas_campaign_id:int}.csv", campaign_csv, methods=["GET"]),
    Route("/ideas/spaces/{slug}", space_campaigns, methods=["GET"]),
    Route("/ideas/{ideas_idea_id:int}", idea_page, methods=["GET"]),
    Route("/ideas/{ideas_idea_id:int}", change_idea, methods=["POST"]),
]

"""The ideas API under /api/v1/ideas: campaigns (launch, read, edit, close, delete, list),
ideas (propose, read, edit, delete, list), votes, follows, transitions, merges and scores."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rse_core import (
    ApiBody,
    ApiError,
    ApiId,
    ApiInt,
    ApiLink,
    ApiQuery,
    ApiShape,
    ApiText,
    Conflict,
    User,
    access,
    api,
    api_routes,
    current_user,
    find_space,
    people_and_spaces,
    principals,
    render_markdown,
    runtime,
    time_zone,
    utcnow,
    write,
)

from . import campaigns, ideas, workflow
from .models import Campaign, Idea
from .permissions import (
    in_audience,
    may_launch_in,
    may_manage,
    must_delete_idea,
    must_review,
    must_take_part,
)


class PersonOut(ApiShape):
    """Who"""

    username: str
    display_name: str


class FiguresOut(ApiShape):
    """What the campaign's reviewers read of it: ideas (duplicates merged away not
    counted), people who proposed or voted of its audience, the median days from submission
    to a decision, ideas implemented"""

    ideas: int
    participants: int
    audience: int
    participation: float
    days_to_decision: float | None
    implemented: int
    implemented_share: float


class CampaignOut(ApiShape):
    """A campaign. ``content_id`` is its item for comments and likes; ``figures`` only for
    its reviewers"""

    id: int
    content_id: int
    url: str
    question: str
    description: str
    html: str
    space: str | None
    owner: PersonOut
    reviewers: list[PersonOut]
    status: str
    opens_at: str
    closes_at: str
    closed_at: str | None
    workflow: list[str]
    criteria: list[str]
    idea_count: int
    reviewer: bool
    takes_part: bool
    figures: FiguresOut | None


class CampaignSummary(ApiShape):
    """A campaign in a list"""

    id: int
    url: str
    question: str
    space: str | None
    owner: PersonOut
    status: str
    opens_at: str
    closes_at: str
    idea_count: int


class CampaignPage(ApiShape):
    """Campaigns, newest first; ``next`` is the ``before`` of the following page"""

    items: list[CampaignSummary]
    next: str | None


class MoveOut(ApiShape):
    """A step of an idea's history"""

    by: PersonOut
    from_state: str
    to_state: str
    reason: str | None
    at: str


class IdeaOut(ApiShape):
    """An idea. ``content_id`` is its item for comments, likes and attachments; ``allowed``
    the states its reviewers may move it to (empty for others)"""

    id: int
    content_id: int
    campaign_id: int
    url: str
    title: str
    body: str
    html: str
    tags: list[str]
    author: PersonOut
    state: str
    reason: str | None
    merged_into: int | None
    votes: int
    voted: bool
    following: bool
    score: float | None
    allowed: list[str]
    history: list[MoveOut]
    created_at: str


class IdeaSummary(ApiShape):
    """An idea in a list"""

    id: int
    url: str
    title: str
    tags: list[str]
    author: PersonOut
    state: str
    votes: int
    voted: bool
    score: float | None
    created_at: str


class IdeaPage(ApiShape):
    """A campaign's ideas; ``next`` is the ``after`` of the following page (same sort)"""

    items: list[IdeaSummary]
    next: str | None


class VoteOut(ApiShape):
    """The idea's votes after yours"""

    idea_id: int
    votes: int
    voted: bool


class FollowOut(ApiShape):
    """Whether you follow the idea now"""

    idea_id: int
    following: bool


class ScoresOut(ApiShape):
    """Your scores by criterion (0: none) and the idea's score (the mean of all reviewers')"""

    idea_id: int
    mine: list[int]
    score: float | None


Tag = Annotated[str, Field(pattern=r"^#?[^\W_][\w-]{0,39}$", max_length=41)]
Tags = Annotated[list[Tag], Field(max_length=ideas.MAX_TAGS)]
# A day as the JSON schema's "date" format says (YYYY-MM-DD); checked by ``campaigns.clean``.
Day = Annotated[
    str,
    Field(
        min_length=10, max_length=10, json_schema_extra={"format": "date"}, examples=["2027-03-31"]
    ),
]
Step = Annotated[str, Field(pattern="^(under_review|selected|in_progress)$")]
Criterion = ApiText(campaigns.MAX_CRITERION, required=True)
Username = Annotated[str, Field(pattern=r"^@?[A-Za-z0-9_.-]{1,40}$")]
# The demo's ids a client (and the contract run, as alice) can use as they are: campaigns 1
# (alice's, company-wide) and 2 (the Kubernetes guild's, alice reviews it) are open; ideas 1-3
# are in the first, 6 (alice's, implemented) and 7 (hugo's, to review) in the second, 11
# (alice's, submitted, in the reorganisation's secret campaign, which she does not review and
# where chloe voted for it: hers to edit, not to move or withdraw); deleting aims at the
# closed campaign 3 and its idea 10. Schemathesis tries every operation's examples of a
# parameter on all of them, so what one operation deletes or moves must not be what another
# needs.
CAMPAIGN_IDS = {"ideas_campaign_id": {"type": "integer", "minimum": 1, "examples": [1, 2]}}
IDEA_IDS = {"ideas_idea_id": {"type": "integer", "minimum": 1, "examples": [1, 2, 3, 6, 11]}}
REVIEWED_IDEA = {"ideas_idea_id": {"type": "integer", "minimum": 1, "examples": [7]}}
CLOSED_CAMPAIGN = {"ideas_campaign_id": {"type": "integer", "minimum": 1, "examples": [1]}}
DELETED_CAMPAIGN = {"ideas_campaign_id": {"type": "integer", "minimum": 1, "examples": [3]}}
DELETED_IDEA = {"ideas_idea_id": {"type": "integer", "minimum": 1, "examples": [10]}}
STATE_PATTERN = "^(" + "|".join(s for s in workflow.LABELS if s != workflow.MERGED) + ")$"


class CampaignIn(ApiBody):
    """A new campaign, company-wide or in one of your spaces; days in your time zone"""

    question: ApiText(campaigns.MAX_QUESTION, required=True)
    description: ApiText(campaigns.MAX_DESCRIPTION) = ""
    space: (
        Annotated[str, Field(description="a space's slug; omit for the whole company")] | None
    ) = None
    opens_on: Day | None = None
    closes_on: Day
    steps: Annotated[list[Step], Field(max_length=3)] | None = None
    criteria: Annotated[list[Criterion], Field(max_length=campaigns.MAX_CRITERIA)] | None = None
    reviewers: Annotated[list[Username], Field(max_length=campaigns.MAX_REVIEWERS)] | None = None


class CampaignEdit(ApiBody):
    """Changes to your campaign (a later last day reopens a closed one)"""

    question: ApiText(campaigns.MAX_QUESTION, required=True) | None = None
    description: ApiText(campaigns.MAX_DESCRIPTION) | None = None
    opens_on: Day | None = None
    closes_on: Day | None = None
    steps: Annotated[list[Step], Field(max_length=3)] | None = None
    criteria: Annotated[list[Criterion], Field(max_length=campaigns.MAX_CRITERIA)] | None = None
    reviewers: Annotated[list[Username], Field(max_length=campaigns.MAX_REVIEWERS)] | None = None


class IdeaIn(ApiBody):
    """A new idea for an open campaign you take part in"""

    title: ApiText(ideas.MAX_TITLE, required=True)
    body: ApiText(ideas.MAX_BODY) = ""
    tags: Tags | None = None


class IdeaEdit(ApiBody):
    """Changes to your idea (before its review starts)"""

    # An example a client (and the contract run) can send as is, to the demo's idea 8.
    model_config = ConfigDict(
        **ApiBody.model_config,
        json_schema_extra={"examples": [{"body": "An alert at 85 %, then at 95 %."}]},
    )

    title: ApiText(ideas.MAX_TITLE, required=True) | None = None
    body: ApiText(ideas.MAX_BODY) | None = None
    tags: Tags | None = None


class VoteIn(ApiBody):
    """1: vote for the idea; 0: take your vote back"""

    value: ApiInt(0, 1)


class FollowIn(ApiBody):
    """1: follow the idea; 0: stop"""

    value: ApiInt(0, 1)


class TransitionIn(ApiBody):
    """Move the idea to a state its campaign's workflow allows from where it is"""

    # Declining needs a reason: said in the schema too, so that clients (and the contract
    # run) know it before the server's 422.
    model_config = ConfigDict(
        **ApiBody.model_config,
        json_schema_extra={
            "if": {"properties": {"state": {"const": "declined"}}, "required": ["state"]},
            "then": {
                "required": ["reason"],
                "properties": {"reason": {"type": "string", "pattern": "\\S"}},
            },
        },
    )

    state: Annotated[str, Field(pattern=STATE_PATTERN, examples=["under_review"])]
    reason: ApiText(ideas.MAX_REASON) | None = None


class MergeIn(ApiBody):
    """The idea of the same campaign to keep: this one's votes and followers move to it"""

    into: ApiId


class ScoresIn(ApiBody):
    """Your score of each criterion, in the campaign's order (1-5; 0: none)"""

    scores: Annotated[list[ApiInt(0, 5)], Field(min_length=1, max_length=campaigns.MAX_CRITERIA)]


class CampaignQuery(ApiQuery):
    state: Annotated[str, Field(pattern="^(open|upcoming|closed|all)$")] = "all"
    space: ApiText(60) | None = None
    before: ApiId | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20


class IdeaQuery(ApiQuery):
    state: Annotated[str, Field(pattern="^(" + "|".join(workflow.LABELS) + ")$")] | None = None
    sort: Annotated[str, Field(pattern="^(votes|score|newest)$")] = "votes"
    tag: ApiText(41) | None = None
    after: ApiId | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 100


CAMPAIGN_LINKS = {
    "GetCampaign": ApiLink("ideas.getCampaign", {"ideas_campaign_id": "$response.body#/id"}),
    "ProposeIdea": ApiLink("ideas.proposeIdea", {"ideas_campaign_id": "$response.body#/id"}),
}
IDEA_LINKS = {
    "GetIdea": ApiLink("ideas.getIdea", {"ideas_idea_id": "$response.body#/id"}),
    "EditIdea": ApiLink("ideas.editIdea", {"ideas_idea_id": "$response.body#/id"}),
    "VoteIdea": ApiLink("ideas.voteIdea", {"ideas_idea_id": "$response.body#/id"}),
}


def _person(user: User) -> dict[str, str]:
    return {"username": user.username, "display_name": user.display_name}


def _figures(session: Session, campaign: Campaign) -> dict[str, Any]:
    found = campaigns.figures(session, campaign)
    return {
        "ideas": found.ideas,
        "participants": found.participants,
        "audience": found.audience,
        "participation": round(found.participation, 4),
        "days_to_decision": found.days_to_decision,
        "implemented": found.implemented,
        "implemented_share": round(found.implemented_share, 4),
    }


def _campaign_json(request: Request, session: Session, campaign: Campaign) -> dict[str, Any]:
    me = current_user(request)
    now = utcnow()
    space = campaigns.space_of(session, campaign)
    crew = campaigns.reviewers(session, campaign)
    reviewer = campaigns.is_reviewer(session, campaign, me.id)
    content_id = campaign.content_id
    return {
        "id": campaign.id,
        "content_id": content_id,
        "url": campaigns.campaign_url(campaign),
        "question": campaign.question,
        "description": campaign.description,
        "html": str(render_markdown(campaign.description)),
        "space": space.slug if space else None,
        "owner": _person(crew[0]),
        "reviewers": [_person(u) for u in crew[1:]],
        "status": campaigns.status(campaign, now),
        "opens_at": campaign.opens_at.isoformat(),
        "closes_at": campaign.closes_at.isoformat(),
        "closed_at": campaign.closed_at.isoformat() if campaign.closed_at else None,
        "workflow": workflow.columns(campaign.steps),
        "criteria": campaigns.criteria(campaign),
        "idea_count": campaign.idea_count,
        "reviewer": reviewer,
        "takes_part": in_audience(request, campaign, space),
        "figures": _figures(session, campaign) if reviewer else None,
    }


def _campaign_answer(request: Request, campaign_id: int, status: int) -> Response:
    with runtime(request).db.read() as session:
        campaign, _content = campaigns.readable(session, campaign_id, principals(request))
        body = _campaign_json(request, session, campaign)
    return JSONResponse(body, status_code=status)


def _given(body: ApiBody) -> dict[str, Any]:
    return {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}


@api(
    "POST",
    "/api/v1/ideas/campaigns",
    summary="Launch a campaign, company-wide or in one of your spaces",
    operation_id="ideas.launchCampaign",
    body=CampaignIn,
    responses={201: CampaignOut},
    errors=(403, 404, 409),
    links={201: CAMPAIGN_LINKS},
)
async def api_launch(request: Request, body: CampaignIn) -> Response:
    """POST /api/v1/ideas/campaigns {"question", "closes_on", ...}."""
    me = current_user(request)
    data = _given(body)
    zone = time_zone(request)

    def run(session: Session) -> int:
        space = find_space(session, access(request), body.space) if body.space else None
        if not may_launch_in(request, space):
            raise ApiError(403, "forbidden", "You may not launch campaigns here.")
        fields = campaigns.clean(data, zone=zone, now=utcnow())
        return campaigns.launch(session, session.get(User, me.id), space, fields).id

    return _campaign_answer(request, await write(request, run), 201)


@api(
    "GET",
    "/api/v1/ideas/campaigns/{ideas_campaign_id:int}",
    summary="A campaign (with its figures for its reviewers)",
    operation_id="ideas.getCampaign",
    path_schemas=CAMPAIGN_IDS,
    responses={200: CampaignOut},
)
async def api_get_campaign(request: Request) -> Response:
    """GET /api/v1/ideas/campaigns/{id}."""
    return _campaign_answer(request, request.path_params["ideas_campaign_id"], 200)


@api(
    "PATCH",
    "/api/v1/ideas/campaigns/{ideas_campaign_id:int}",
    summary="Edit a campaign (its owner, or a moderator of its space)",
    operation_id="ideas.editCampaign",
    path_schemas=CAMPAIGN_IDS,
    body=CampaignEdit,
    responses={200: CampaignOut},
    errors=(403, 409),
)
async def api_edit_campaign(request: Request, body: CampaignEdit) -> Response:
    """PATCH /api/v1/ideas/campaigns/{id}."""
    me = current_user(request)
    campaign_id = request.path_params["ideas_campaign_id"]
    data = _given(body)
    zone = time_zone(request)

    def run(session: Session) -> None:
        campaign, content = campaigns.readable(session, campaign_id, principals(request))
        if not may_manage(request, session, campaign, content):
            raise ApiError(403, "forbidden", "Only its owner or a moderator edits a campaign.")
        fields = campaigns.clean(data, zone=zone, now=utcnow(), campaign=campaign)
        campaigns.edit(session, campaign, session.get(User, me.id), fields)

    await write(request, run)
    return _campaign_answer(request, campaign_id, 200)


@api(
    "POST",
    "/api/v1/ideas/campaigns/{ideas_campaign_id:int}/close",
    summary="Close a campaign now: no more ideas or votes",
    operation_id="ideas.closeCampaign",
    path_schemas=CLOSED_CAMPAIGN,
    responses={200: CampaignOut},
    errors=(403, 409),
)
async def api_close_campaign(request: Request) -> Response:
    """POST /api/v1/ideas/campaigns/{id}/close (its owner or a moderator)."""
    campaign_id = request.path_params["ideas_campaign_id"]

    def run(session: Session) -> None:
        campaign, content = campaigns.readable(session, campaign_id, principals(request))
        if not may_manage(request, session, campaign, content):
            raise ApiError(403, "forbidden", "Only its owner or a moderator closes a campaign.")
        if campaigns.status(campaign, utcnow()) == campaigns.CLOSED:
            raise Conflict({"campaign": "This campaign is closed."})
        campaigns.close(session, campaign, utcnow())

    await write(request, run)
    return _campaign_answer(request, campaign_id, 200)


@api(
    "DELETE",
    "/api/v1/ideas/campaigns/{ideas_campaign_id:int}",
    summary="Delete a campaign and its ideas (its owner, or a moderator of its space)",
    operation_id="ideas.deleteCampaign",
    path_schemas=DELETED_CAMPAIGN,
    responses={204: None},
    errors=(403,),
)
async def api_delete_campaign(request: Request) -> Response:
    """DELETE /api/v1/ideas/campaigns/{id}."""

    def run(session: Session) -> None:
        campaign, content = campaigns.readable(
            session, request.path_params["ideas_campaign_id"], principals(request)
        )
        if not may_manage(request, session, campaign, content):
            raise ApiError(403, "forbidden", "You may not delete this campaign.")
        campaigns.remove(session, campaign)

    await write(request, run)
    return Response(status_code=204)


@api(
    "GET",
    "/api/v1/ideas/campaigns",
    summary="Campaigns you may see, newest first (open, upcoming, closed, a space's)",
    operation_id="ideas.listCampaigns",
    query=CampaignQuery,
    responses={200: CampaignPage},
    errors=(404,),
)
async def api_list_campaigns(request: Request, query: CampaignQuery) -> Response:
    """GET /api/v1/ideas/campaigns?state=&space=&before=&limit=."""
    now = utcnow()
    with runtime(request).db.read() as session:
        space_ids = None
        if query.space:
            space_ids = [find_space(session, access(request), query.space).id]
        rows = campaigns.listing(
            session,
            principals(request),
            now=now,
            state=None if query.state == "all" else query.state,
            space_ids=space_ids,
            before=query.before,
            limit=query.limit + 1,
        )
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        people, spaces = people_and_spaces(
            session, [c.owner_id for c in rows], [c.space_id for c in rows]
        )
        items = [
            {
                "id": c.id,
                "url": campaigns.campaign_url(c),
                "question": c.question,
                "space": spaces[c.space_id].slug if c.space_id else None,
                "owner": _person(people[c.owner_id]),
                "status": campaigns.status(c, now),
                "opens_at": c.opens_at.isoformat(),
                "closes_at": c.closes_at.isoformat(),
                "idea_count": c.idea_count,
            }
            for c in rows
        ]
    return JSONResponse({"items": items, "next": str(rows[-1].id) if more else None})


def _idea_json(request: Request, session: Session, idea: Idea, campaign: Campaign) -> dict:
    me = current_user(request)
    moves = ideas.history(session, idea)
    people, _spaces = people_and_spaces(session, [idea.author_id, *(m.actor_id for m in moves)])
    voted, followed = ideas.mine(session, me.id, [idea.id])
    reviewer = campaigns.is_reviewer(session, campaign, me.id)
    return {
        "id": idea.id,
        "content_id": idea.content_id,
        "campaign_id": idea.campaign_id,
        "url": ideas.idea_url(idea),
        "title": idea.title,
        "body": idea.body,
        "html": str(render_markdown(idea.body)),
        "tags": idea.tags.split(),
        "author": _person(people[idea.author_id]),
        "state": idea.state,
        "reason": idea.reason,
        "merged_into": idea.merged_into_id,
        "votes": idea.vote_count,
        "voted": idea.id in voted,
        "following": idea.id in followed,
        "score": idea.score,
        "allowed": workflow.allowed(campaign.steps, idea.state) if reviewer else [],
        "history": [
            {
                "by": _person(people[m.actor_id]),
                "from_state": m.from_state,
                "to_state": m.to_state,
                "reason": m.reason,
                "at": m.created_at.isoformat(),
            }
            for m in moves
        ],
        "created_at": idea.created_at.isoformat(),
    }


def _idea_answer(request: Request, idea_id: int, status: int) -> Response:
    with runtime(request).db.read() as session:
        idea, _content, campaign = ideas.readable(session, idea_id, principals(request))
        body = _idea_json(request, session, idea, campaign)
    return JSONResponse(body, status_code=status)


@api(
    "POST",
    "/api/v1/ideas/campaigns/{ideas_campaign_id:int}/ideas",
    summary="Propose an idea to an open campaign you take part in",
    operation_id="ideas.proposeIdea",
    path_schemas=CAMPAIGN_IDS,
    body=IdeaIn,
    responses={201: IdeaOut},
    errors=(403, 409),
    links={201: IDEA_LINKS},
)
async def api_propose(request: Request, body: IdeaIn) -> Response:
    """POST /api/v1/ideas/campaigns/{id}/ideas {"title", "body"?, "tags"?}."""
    me = current_user(request)
    data = _given(body)

    def run(session: Session) -> int:
        campaign, content = campaigns.readable(
            session, request.path_params["ideas_campaign_id"], principals(request)
        )
        space = campaigns.space_of(session, campaign)
        must_take_part(request, campaign, space)
        fields = ideas.clean(data, creating=True)
        author = session.get(User, me.id)
        return ideas.propose(session, campaign, content, author, fields, utcnow()).id

    return _idea_answer(request, await write(request, run), 201)


@api(
    "GET",
    "/api/v1/ideas/campaigns/{ideas_campaign_id:int}/ideas",
    summary="A campaign's ideas (by votes, score or newest; a state's, a tag's), a page",
    operation_id="ideas.listIdeas",
    path_schemas=CAMPAIGN_IDS,
    query=IdeaQuery,
    responses={200: IdeaPage},
)
async def api_list_ideas(request: Request, query: IdeaQuery) -> Response:
    """GET /api/v1/ideas/campaigns/{id}/ideas?state=&sort=&tag=&limit=."""
    me = current_user(request)
    with runtime(request).db.read() as session:
        campaign, _content = campaigns.readable(
            session, request.path_params["ideas_campaign_id"], principals(request)
        )
        statement = ideas.in_campaign(
            campaign,
            states=[query.state] if query.state else None,
            tag=query.tag.lstrip("#").lower() if query.tag else None,
            sort=query.sort,
        )
        statement = ideas.after(session, campaign, statement, query.sort, query.after)
        rows = list(session.scalars(statement.limit(query.limit + 1)))
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        voted, _followed = ideas.mine(session, me.id, [i.id for i in rows])
        people, _spaces = people_and_spaces(session, [i.author_id for i in rows])
        items = [
            {
                "id": i.id,
                "url": ideas.idea_url(i),
                "title": i.title,
                "tags": i.tags.split(),
                "author": _person(people[i.author_id]),
                "state": i.state,
                "votes": i.vote_count,
                "voted": i.id in voted,
                "score": i.score,
                "created_at": i.created_at.isoformat(),
            }
            for i in rows
        ]
    return JSONResponse({"items": items, "next": str(rows[-1].id) if more else None})


@api(
    "GET",
    "/api/v1/ideas/ideas/{ideas_idea_id:int}",
    summary="An idea with its history",
    operation_id="ideas.getIdea",
    path_schemas=IDEA_IDS,
    responses={200: IdeaOut},
)
async def api_get_idea(request: Request) -> Response:
    """GET /api/v1/ideas/ideas/{id}."""
    return _idea_answer(request, request.path_params["ideas_idea_id"], 200)


@api(
    "PATCH",
    "/api/v1/ideas/ideas/{ideas_idea_id:int}",
    summary="Edit your idea (before its review starts)",
    operation_id="ideas.editIdea",
    path_schemas=IDEA_IDS,
    body=IdeaEdit,
    responses={200: IdeaOut},
    errors=(403, 409),
)
async def api_edit_idea(request: Request, body: IdeaEdit) -> Response:
    """PATCH /api/v1/ideas/ideas/{id}: its author only."""
    me = current_user(request)
    idea_id = request.path_params["ideas_idea_id"]
    data = _given(body)

    def run(session: Session) -> None:
        idea, _content, _campaign = ideas.readable(session, idea_id, principals(request))
        if idea.author_id != me.id:
            raise ApiError(403, "forbidden", "Only its author edits an idea.")
        ideas.edit(session, idea, session.get(User, me.id), ideas.clean(data, creating=False))

    await write(request, run)
    return _idea_answer(request, idea_id, 200)


@api(
    "DELETE",
    "/api/v1/ideas/ideas/{ideas_idea_id:int}",
    summary="Delete an idea (its author before its review, or a moderator of its space)",
    operation_id="ideas.deleteIdea",
    path_schemas=DELETED_IDEA,
    responses={204: None},
    errors=(403, 409),
)
async def api_delete_idea(request: Request) -> Response:
    """DELETE /api/v1/ideas/ideas/{id}."""

    def run(session: Session) -> None:
        idea, content, _campaign = ideas.readable(
            session, request.path_params["ideas_idea_id"], principals(request)
        )
        must_delete_idea(request, session, idea, content)
        ideas.remove(session, idea)

    await write(request, run)
    return Response(status_code=204)


@api(
    "POST",
    "/api/v1/ideas/ideas/{ideas_idea_id:int}/vote",
    summary="Vote for an idea (1) or take your vote back (0); one vote per person",
    operation_id="ideas.voteIdea",
    path_schemas=IDEA_IDS,
    body=VoteIn,
    responses={200: VoteOut},
    errors=(403, 409),
)
async def api_vote(request: Request, body: VoteIn) -> Response:
    """POST /api/v1/ideas/ideas/{id}/vote {"value": 1|0}: its campaign's audience, while
    the campaign is open (409 otherwise, and on a merged idea)."""
    me = current_user(request)

    def run(session: Session) -> dict[str, Any]:
        idea, _content, campaign = ideas.readable(
            session, request.path_params["ideas_idea_id"], principals(request)
        )
        space = campaigns.space_of(session, campaign)
        must_take_part(request, campaign, space)
        votes = ideas.vote(session, idea, campaign, session.get(User, me.id), body.value)
        return {"idea_id": idea.id, "votes": votes, "voted": body.value == 1}

    return JSONResponse(await write(request, run))


@api(
    "POST",
    "/api/v1/ideas/ideas/{ideas_idea_id:int}/follow",
    summary="Follow an idea (1: be told of its moves) or stop (0)",
    operation_id="ideas.followIdea",
    path_schemas=IDEA_IDS,
    body=FollowIn,
    responses={200: FollowOut},
)
async def api_follow(request: Request, body: FollowIn) -> Response:
    """POST /api/v1/ideas/ideas/{id}/follow {"value": 1|0}."""
    me = current_user(request)

    def run(session: Session) -> dict[str, Any]:
        idea, _content, _campaign = ideas.readable(
            session, request.path_params["ideas_idea_id"], principals(request)
        )
        ideas.follow(session, idea, session.get(User, me.id), body.value == 1)
        return {"idea_id": idea.id, "following": body.value == 1}

    return JSONResponse(await write(request, run))


@api(
    "POST",
    "/api/v1/ideas/ideas/{ideas_idea_id:int}/transitions",
    summary="Move an idea along its campaign's workflow (its reviewers)",
    operation_id="ideas.moveIdea",
    path_schemas=REVIEWED_IDEA,
    body=TransitionIn,
    responses={200: IdeaOut},
    errors=(403, 409),
)
async def api_move(request: Request, body: TransitionIn) -> Response:
    """POST /api/v1/ideas/ideas/{id}/transitions {"state", "reason"?}: 409 for a move the
    workflow does not allow from where the idea is; declining needs a reason (422)."""
    me = current_user(request)
    idea_id = request.path_params["ideas_idea_id"]

    def run(session: Session) -> None:
        idea, content, campaign = ideas.readable(session, idea_id, principals(request))
        must_review(request, session, campaign)
        ideas.move(
            session, idea, content, campaign, session.get(User, me.id), body.state, body.reason
        )

    await write(request, run)
    return _idea_answer(request, idea_id, 200)


@api(
    "POST",
    "/api/v1/ideas/ideas/{ideas_idea_id:int}/merge",
    summary="Merge a duplicate into another idea of its campaign (its reviewers)",
    operation_id="ideas.mergeIdea",
    path_schemas=REVIEWED_IDEA,
    body=MergeIn,
    responses={200: IdeaOut},
    errors=(403, 404, 409),
)
async def api_merge(request: Request, body: MergeIn) -> Response:
    """POST /api/v1/ideas/ideas/{id}/merge {"into"}: answers the kept idea."""
    me = current_user(request)

    def run(session: Session) -> int:
        idea, content, campaign = ideas.readable(
            session, request.path_params["ideas_idea_id"], principals(request)
        )
        must_review(request, session, campaign)
        kept = session.get(Idea, body.into)
        if kept is None or kept.campaign_id != campaign.id:
            raise ApiError(404, "not_found", "No such idea in this campaign.")
        ideas.merge(session, idea, content, kept, campaign, session.get(User, me.id))
        return kept.id

    return _idea_answer(request, await write(request, run), 200)


@api(
    "PUT",
    "/api/v1/ideas/ideas/{ideas_idea_id:int}/scores",
    summary="Score an idea on its campaign's criteria (its reviewers)",
    operation_id="ideas.scoreIdea",
    path_schemas=REVIEWED_IDEA,
    body=ScoresIn,
    responses={200: ScoresOut},
    errors=(403, 409),
)
async def api_score(request: Request, body: ScoresIn) -> Response:
    """PUT /api/v1/ideas/ideas/{id}/scores {"scores": [1-5 or 0, ...]}: one per criterion
    (409 for a campaign without criteria)."""
    me = current_user(request)

    def run(session: Session) -> dict[str, Any]:
        idea, _content, campaign = ideas.readable(
            session, request.path_params["ideas_idea_id"], principals(request)
        )
        must_review(request, session, campaign)
        reviewer = session.get(User, me.id)
        given = dict(enumerate(body.scores))
        score = ideas.set_scores(session, idea, campaign, reviewer, given)
        mine = ideas.my_scores(session, idea.id, me.id)
        count = len(campaigns.criteria(campaign))
        return {"idea_id": idea.id, "mine": [mine.get(i, 0) for i in range(count)], "score": score}

    return JSONResponse(await write(request, run))


API_ROUTES = api_routes(
    api_launch,
    api_get_campaign,
    api_edit_campaign,
    api_close_campaign,
    api_delete_campaign,
    api_list_campaigns,
    api_propose,
    api_list_ideas,
    api_get_idea,
    api_edit_idea,
    api_delete_idea,
    api_vote,
    api_follow,
    api_move,
    api_merge,
    api_score,
)

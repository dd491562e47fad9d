"""Campaigns: launching, editing, reviewers, opening and closing (by a background job at the
close date), what a reader may see, and the figures its owner reads.

A campaign is published as a core item (``ideas.campaign``), company-wide or in a space: its
audience is the core's, and its ideas are its child items, so whoever may not see the
campaign sees none of its ideas, on any read path. Its dates are days in its owner's time
zone: it opens at the start of the first and closes at the midnight after the last.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Select, and_, bindparam, case, delete, func, select
from sqlalchemy.orm import Session

from rse_core import (
    Conflict,
    Content,
    JobContext,
    NotFound,
    ScopeParameter,
    Space,
    User,
    UTCDateTime,
    ValidationError,
    audience_size,
    cancel_job,
    clean_text,
    delete_content,
    enqueue_job,
    get_visible,
    notify,
    notify_mentions,
    principals_for,
    publish,
    update_content,
    utcnow,
    visible,
    within_spaces,
)

from . import workflow
from .i18n import N_
from .models import Campaign, Idea, Participant, Reviewer

CAMPAIGN = "ideas.campaign"
IDEA = "ideas.idea"
CLOSE_JOB = "ideas.close"
MAX_QUESTION = 200
MAX_DESCRIPTION = 20_000
MAX_CRITERIA = 5
MAX_CRITERION = 60
MAX_REVIEWERS = 20
MAX_DAYS = 366
USERNAME = re.compile(r"^[a-z0-9_.-]{1,40}$")

UPCOMING, OPEN, CLOSED = "upcoming", "open", "closed"


@dataclass
class CampaignFields:
    """Checked input for a campaign; ``None``: not given (an edit keeps the old value)."""

    question: str | None = None
    description: str | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    steps: str | None = None
    criteria: list[str] | None = None
    reviewers: list[str] | None = None


def _day(value: object, field: str) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({field: "Give a day as YYYY-MM-DD."}) from None


def _start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(ZoneInfo("UTC"))


def clean(
    data: Mapping[str, Any],
    *,
    zone: ZoneInfo,
    now: datetime,
    campaign: Campaign | None = None,
) -> CampaignFields:
    """Check a campaign's fields (a form's or the API's): ``opens_on`` and ``closes_on`` are
    days in the owner's ``zone``; ``steps`` the optional workflow steps kept; ``criteria``
    names (or one per line); ``reviewers`` usernames. Malformed input is a ValidationError
    (422), dates the present rules out a Conflict (409)."""
    creating = campaign is None
    fields = CampaignFields()
    if creating or "question" in data:
        fields.question = clean_text(
            data.get("question"),
            "question",
            max_length=MAX_QUESTION,
            required="Ask the question the campaign puts to people.",
        )
    if creating or "description" in data:
        fields.description = clean_text(
            data.get("description") or "", "description", max_length=MAX_DESCRIPTION
        )
    today = now.astimezone(zone).date()
    if data.get("opens_on") not in (None, ""):
        opens = _day(data["opens_on"], "opens_on")
        if campaign is None or _start(opens, zone) != campaign.opens_at:
            if opens < today:
                raise Conflict({"opens_on": "A campaign cannot open in the past."})
            if campaign is not None and campaign.opens_at <= now:
                raise Conflict({"opens_on": "This campaign is already open."})
        fields.opens_at = _start(opens, zone)
    elif creating:
        fields.opens_at = _start(today, zone)
    if data.get("closes_on") not in (None, ""):
        last = _day(data["closes_on"], "closes_on")
        fields.closes_at = _start(last + timedelta(days=1), zone)
        opens_at = fields.opens_at or (campaign.opens_at if campaign else now)
        if fields.closes_at <= opens_at:
            raise Conflict({"closes_on": "The last day comes after the first."})
        if last < today:
            raise Conflict({"closes_on": "The last day cannot be in the past."})
        if fields.closes_at - opens_at > timedelta(days=MAX_DAYS):
            raise Conflict({"closes_on": "A campaign lasts a year at most."})
    elif creating:
        raise ValidationError({"closes_on": "Choose the campaign's last day."})
    if data.get("steps") is not None:
        try:
            fields.steps = workflow.clean_steps(data["steps"])
        except (TypeError, ValueError):
            raise ValidationError(
                {"steps": "Choose steps among under_review, selected and in_progress."}
            ) from None
    elif creating:
        fields.steps = " ".join(workflow.OPTIONAL)
    if data.get("criteria") is not None:
        fields.criteria = _criteria(data["criteria"])
    if data.get("reviewers") is not None:
        fields.reviewers = _usernames(data["reviewers"])
    return fields


def _criteria(value: object) -> list[str]:
    names = value.splitlines() if isinstance(value, str) else value
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise ValidationError({"criteria": "Give the criteria as names."})
    if any("\x00" in n for n in names):
        raise ValidationError({"criteria": "Criteria cannot contain NUL characters."})
    kept = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if len(kept) > MAX_CRITERIA:
        raise ValidationError({"criteria": "Five criteria at most."})
    if any(len(n) > MAX_CRITERION for n in kept):
        raise ValidationError({"criteria": "A criterion's name is 60 characters at most."})
    return kept


def _usernames(value: object) -> list[str]:
    names = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise ValidationError({"reviewers": "Give the reviewers' usernames."})
    kept = list(dict.fromkeys(n.strip().lstrip("@").lower() for n in names if n.strip()))
    if not all(USERNAME.match(n) for n in kept):
        raise ValidationError(
            {"reviewers": "Give the reviewers' usernames (letters, digits, . _ -)."}
        )
    if len(kept) > MAX_REVIEWERS:
        raise ValidationError({"reviewers": "Twenty reviewers at most."})
    return kept


def space_of(session: Session, campaign: Campaign) -> Space | None:
    """The campaign's space, or None for a company-wide one."""
    return session.get(Space, campaign.space_id) if campaign.space_id else None


def campaign_url(campaign: Campaign) -> str:
    """A campaign's page."""
    return f"/ideas/campaigns/{campaign.id}"


def _job_key(campaign: Campaign) -> str:
    return f"{CLOSE_JOB}:{campaign.id}"


def status(campaign: Campaign, now: datetime) -> str:
    """``upcoming``, ``open`` or ``closed`` at ``now`` (the dates rule even before the
    closing job has run)."""
    if campaign.closed_at is not None or now >= campaign.closes_at:
        return CLOSED
    return OPEN if now >= campaign.opens_at else UPCOMING


def must_be_open(campaign: Campaign, now: datetime) -> None:
    """Refuse (409) what only an open campaign takes: ideas and votes."""
    state = status(campaign, now)
    if state == CLOSED:
        raise Conflict({"campaign": "This campaign is closed."})
    if state == UPCOMING:
        raise Conflict({"campaign": "This campaign is not open yet."})


def criteria(campaign: Campaign) -> list[str]:
    """The campaign's evaluation criteria, in order."""
    return [line for line in campaign.criteria.splitlines() if line]


def launch(session: Session, owner: User, space: Space | None, fields: CampaignFields) -> Campaign:
    """A new campaign, company-wide or in a space the owner belongs to (``publish`` checks);
    its closing is queued for its last day's end."""
    now = utcnow()
    campaign = Campaign(
        owner_id=owner.id,
        space_id=space.id if space else None,
        question=fields.question or "",
        description=fields.description or "",
        opens_at=fields.opens_at,
        closes_at=fields.closes_at,
        steps=fields.steps or "",
        criteria="\n".join(fields.criteria or []),
        idea_count=0,
        created_at=now,
        updated_at=now,
        content_id=0,
    )
    content = publish(
        session,
        plugin="ideas",
        type=CAMPAIGN,
        author=owner,
        url="/ideas",  # set below, once the campaign has its id
        title=campaign.question,
        summary=campaign.description,
        space=space,
    )
    campaign.content_id = content.id
    session.add(campaign)
    session.flush()
    content.url = campaign_url(campaign)
    set_reviewers(session, campaign, content, fields.reviewers or [])
    _schedule(session, campaign)
    notify_mentions(session, campaign.description, owner, content)
    return campaign


def edit(session: Session, campaign: Campaign, editor: User, fields: CampaignFields) -> None:
    """Change a campaign (its owner): moving its last day later reopens a closed one."""
    if fields.question is not None:
        campaign.question = fields.question
    if fields.description is not None:
        campaign.description = fields.description
    if fields.opens_at is not None:
        campaign.opens_at = fields.opens_at
    if fields.closes_at is not None:
        campaign.closes_at = fields.closes_at
        campaign.closed_at = None
    if fields.steps is not None:
        campaign.steps = fields.steps
    if fields.criteria is not None:
        campaign.criteria = "\n".join(fields.criteria)
    campaign.updated_at = utcnow()
    content = session.get(Content, campaign.content_id)
    if fields.reviewers is not None:
        set_reviewers(session, campaign, content, fields.reviewers)
    update_content(session, content, editor, title=campaign.question, summary=campaign.description)
    _schedule(session, campaign)
    notify_mentions(session, campaign.description, editor, content)


def _schedule(session: Session, campaign: Campaign) -> None:
    # One queued job per campaign: a new last day replaces its time.
    if campaign.closed_at is None:
        enqueue_job(
            session,
            CLOSE_JOB,
            {"campaign": campaign.id},
            run_at=campaign.closes_at,
            key=_job_key(campaign),
        )
    else:
        cancel_job(session, _job_key(campaign))


def set_reviewers(
    session: Session, campaign: Campaign, content: Content, usernames: Sequence[str]
) -> None:
    """Make these people the campaign's reviewers (besides its owner): each must be an
    active employee who may see the campaign."""
    users = {
        u.username: u
        for u in session.scalars(select(User).where(User.username.in_(list(usernames))))
    }
    # Well-formed names the directory rules out conflict with it (409 in the API).
    unknown = [name for name in usernames if name not in users or not users[name].is_active]
    if unknown:
        raise Conflict({"reviewers": f"No such colleague: {', '.join(unknown)}."})
    for user in users.values():
        if get_visible(session, content.id, principals_for(session, user)) is None:
            raise Conflict({"reviewers": f"{user.display_name} cannot see this campaign's space."})
    session.execute(delete(Reviewer).where(Reviewer.campaign_id == campaign.id))
    for user in users.values():
        if user.id != campaign.owner_id:
            session.add(Reviewer(campaign_id=campaign.id, user_id=user.id))
    session.flush()


def reviewers(session: Session, campaign: Campaign) -> list[User]:
    """The campaign's reviewers (its owner first), by name."""
    named = session.scalars(
        select(User)
        .join(Reviewer, Reviewer.user_id == User.id)
        .where(Reviewer.campaign_id == campaign.id)
        .order_by(User.display_name)
    )
    owner = session.get(User, campaign.owner_id)
    return [owner, *named]


def is_reviewer(session: Session, campaign: Campaign, user_id: int) -> bool:
    """Does this person review the campaign (its owner does)?"""
    if campaign.owner_id == user_id:
        return True
    return session.get(Reviewer, (campaign.id, user_id)) is not None


def close(session: Session, campaign: Campaign, now: datetime) -> None:
    """Close a campaign now (its owner, or the job at its last day's end): no more ideas or
    votes; its reviewers are told ("Alice closed <campaign>": its ideas wait for them)."""
    campaign.closed_at = now
    campaign.updated_at = now
    cancel_job(session, _job_key(campaign))
    content = session.get(Content, campaign.content_id)
    owner = session.get(User, campaign.owner_id)
    for person in reviewers(session, campaign):
        notify(session, person, "watch", actor=owner, content=content, note=N_("closed"))


def close_due(ctx: JobContext) -> None:
    """Job ``ideas.close``: a campaign whose last day has ended closes. One closed already,
    deleted, or given a later day since is left alone."""
    with ctx.runtime.db.write() as session:
        campaign = session.get(Campaign, int(ctx.payload["campaign"]))
        if campaign is None or campaign.closed_at is not None:
            return
        if campaign.closes_at > ctx.now:
            return
        content = session.get(Content, campaign.content_id)
        if content is None or content.deleted_at is not None:
            return
        close(session, campaign, campaign.closes_at)


def remove(session: Session, campaign: Campaign) -> None:
    """Delete a campaign: it and its ideas disappear from every read path at once."""
    cancel_job(session, _job_key(campaign))
    content = session.get(Content, campaign.content_id)
    if content is not None and content.deleted_at is None:
        delete_content(session, content)


def readable(
    session: Session, campaign_id: int, principals: frozenset[str]
) -> tuple[Campaign, Content]:
    """The campaign and its item if the reader may see it; else NotFound (a 404)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is not None:
        content = get_visible(session, campaign.content_id, principals)
        if content is not None:
            return campaign, content
    raise NotFound("No such campaign.")


def listing(
    session: Session,
    principals: frozenset[str],
    *,
    now: datetime,
    state: str | None = None,
    space_ids: Sequence[int] | None = None,
    before: int | None = None,
    limit: int = 20,
) -> list[Campaign]:
    """A page of the campaigns the reader may see, newest first: all, or the ``open``,
    ``upcoming`` or ``closed`` ones, in some spaces; ``before``: the previous page's last."""
    if space_ids is not None:  # their campaigns carry their principals: compare only those
        principals = within_spaces(principals, space_ids)
    scope = ScopeParameter.of(principals)
    statement = _listing(scope, state, space_ids is not None, before is not None)
    values = {
        **scope.values(principals),
        "now": now,
        "spaces": list(space_ids or ()),
        "before": before,
        "limit": limit,
    }
    return list(session.scalars(statement, values))


@lru_cache(maxsize=64)
def _listing(
    scope: ScopeParameter, state: str | None, in_spaces: bool, before: bool
) -> Select[tuple[Campaign]]:
    """:func:`listing`'s statement, built once per form (the home widget's, on every home
    page: building it cost as much as running it)."""
    readable_item = (
        select(Content.id)
        .where(
            Content.id == Campaign.content_id,
            visible(Content.audience, scope),
            Content.deleted_at.is_(None),
        )
        .exists()
    )
    query = select(Campaign).where(readable_item).order_by(Campaign.id.desc())
    now = bindparam("now", type_=UTCDateTime)
    if state == OPEN:
        query = query.where(
            Campaign.closed_at.is_(None), Campaign.opens_at <= now, Campaign.closes_at > now
        )
    elif state == UPCOMING:
        query = query.where(Campaign.closed_at.is_(None), Campaign.opens_at > now)
    elif state == CLOSED:
        query = query.where((Campaign.closed_at.is_not(None)) | (Campaign.closes_at <= now))
    if in_spaces:
        query = query.where(Campaign.space_id.in_(bindparam("spaces", expanding=True)))
    if before:
        query = query.where(Campaign.id < bindparam("before"))
    return query.limit(bindparam("limit", type_=Integer))


@dataclass(frozen=True)
class Figures:
    """What a campaign's owner reads of it."""

    ideas: int
    participants: int
    audience: int
    days_to_decision: float | None
    decided: int
    implemented: int

    @property
    def participation(self) -> float:
        """Participants as a share of the audience (0-1)."""
        return self.participants / self.audience if self.audience else 0.0

    @property
    def implemented_share(self) -> float:
        """Implemented ideas as a share of the ideas (0-1)."""
        return self.implemented / self.ideas if self.ideas else 0.0


def figures(session: Session, campaign: Campaign, audience: int | None = None) -> Figures:
    """Ideas (duplicates merged away not counted), participants (who proposed or voted) as
    a share of the audience (the space's members, or every active employee; ``audience``
    when the caller counted it already), the median time from submission to decision, and
    how many were implemented."""
    live = and_(
        Idea.campaign_id == campaign.id,
        Idea.state != workflow.MERGED,
        select(Content.id)
        .where(Content.id == Idea.content_id, Content.deleted_at.is_(None))
        .exists(),
    )
    implemented = func.sum(case((Idea.state == workflow.IMPLEMENTED, 1), else_=0))
    count, done = session.execute(select(func.count(), implemented).where(live)).one()
    # Only the decided ideas' two times leave the database (the median is not portable SQL).
    decided = session.execute(
        select(Idea.created_at, Idea.decided_at).where(live, Idea.decided_at.is_not(None))
    )
    waits = [(end - start).total_seconds() / 86400 for start, end in decided]
    participants = session.execute(
        select(func.count()).where(Participant.campaign_id == campaign.id)
    ).scalar_one()
    return Figures(
        ideas=int(count),
        participants=int(participants),
        audience=audience if audience is not None else audience_size(session, campaign.space_id),
        days_to_decision=median(waits) if waits else None,
        decided=len(waits),
        implemented=int(done or 0),
    )

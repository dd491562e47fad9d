"""Ideas: proposing, voting, following, scoring, moving through the campaign's workflow and
merging duplicates.

An idea is published as a child item of its campaign (``ideas.idea``): it has the campaign's
audience and is hidden with it. Votes, followers, scores and moves are this plugin's rows,
reached only through their idea. ``vote_count`` changes by SQL increments with the vote rows
in the writing transaction, so concurrent votes never lose or double one; a merge moves votes
and followers with one INSERT ... SELECT that skips who already holds one on the kept idea.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    and_,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rse_core import (
    Conflict,
    Content,
    ContentTag,
    NotFound,
    User,
    ValidationError,
    announce_status,
    clean_tags,
    clean_text,
    delete_content,
    get_visible,
    in_set,
    notify,
    notify_mentions,
    publish,
    update_content,
    utcnow,
)

from . import campaigns, workflow
from .i18n import N_
from .models import Campaign, Follower, Idea, Move, Participant, Score, Vote

MAX_TITLE = 200
MAX_BODY = 50_000
MAX_TAGS = 10
MAX_REASON = 500
SORTS = ("votes", "score", "newest")


@dataclass
class IdeaFields:
    """Checked input for an idea; ``None``: not given (an edit keeps the old value)."""

    title: str | None = None
    body: str | None = None
    tags: list[str] | None = None


def clean(data: Mapping[str, Any], *, creating: bool) -> IdeaFields:
    """Check an idea's fields (a form's or the API's); every error names its field."""
    fields = IdeaFields()
    if creating or "title" in data:
        fields.title = clean_text(
            data.get("title"), "title", max_length=MAX_TITLE, required="Give your idea a title."
        )
    if creating or "body" in data:
        fields.body = clean_text(data.get("body") or "", "body", max_length=MAX_BODY)
    if data.get("tags") is not None:
        fields.tags = clean_tags(data["tags"], max_tags=MAX_TAGS)
    return fields


def idea_url(idea: Idea) -> str:
    """An idea's page."""
    return f"/ideas/{idea.id}"


def propose(
    session: Session,
    campaign: Campaign,
    campaign_content: Content,
    author: User,
    fields: IdeaFields,
    now: datetime,
) -> Idea:
    """A new idea in an open campaign (the caller checked the author is in its audience);
    its owner is told."""
    campaigns.must_be_open(campaign, now)
    idea = Idea(
        campaign_id=campaign.id,
        author_id=author.id,
        title=fields.title or "",
        body=fields.body or "",
        tags=" ".join(fields.tags or []),
        state=workflow.SUBMITTED,
        vote_count=0,
        created_at=now,
        updated_at=now,
        content_id=0,
    )
    content = publish(
        session,
        plugin="ideas",
        type=campaigns.IDEA,
        author=author,
        url="/ideas",  # set below, once the idea has its id
        title=idea.title,
        summary=idea.body,
        parent=campaign_content,
        tags=fields.tags or [],
    )
    idea.content_id = content.id
    session.add(idea)
    session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id)
        .values(idea_count=Campaign.idea_count + 1)
    )
    session.flush()
    content.url = idea_url(idea)
    took_part(session, campaign.id, author.id)
    owner = session.get(User, campaign.owner_id)
    notify(session, owner, "watch", actor=author, content=content, note=N_("proposed an idea"))
    notify_mentions(session, idea.body, author, content)
    return idea


def edit(session: Session, idea: Idea, editor: User, fields: IdeaFields) -> None:
    """Change an idea (its author, while it waits for review)."""
    if idea.state != workflow.SUBMITTED:
        raise Conflict({"idea": "An idea can be edited only before its review starts."})
    if fields.title is not None:
        idea.title = fields.title
    if fields.body is not None:
        idea.body = fields.body
    if fields.tags is not None:
        idea.tags = " ".join(fields.tags)
    idea.updated_at = utcnow()
    content = session.get(Content, idea.content_id)
    update_content(
        session, content, editor, title=idea.title, summary=idea.body, tags=idea.tags.split()
    )
    notify_mentions(session, idea.body, editor, content)


def remove(session: Session, idea: Idea) -> None:
    """Delete an idea (its author or a moderator): gone from every read path at once."""
    content = session.get(Content, idea.content_id)
    if content is not None and content.deleted_at is None:
        delete_content(session, content)
        session.execute(
            update(Campaign)
            .where(Campaign.id == idea.campaign_id)
            .values(idea_count=Campaign.idea_count - 1)
        )


def readable(
    session: Session, idea_id: int, principals: frozenset[str]
) -> tuple[Idea, Content, Campaign]:
    """The idea, its item and its campaign if the reader may see it; else NotFound (404)."""
    idea = session.get(Idea, idea_id)
    if idea is not None:
        content = get_visible(session, idea.content_id, principals)
        if content is not None:
            return idea, content, session.get(Campaign, idea.campaign_id)
    raise NotFound("No such idea.")


def _locked_state(session: Session, idea: Idea) -> str:
    """The idea's state read under a row lock (PostgreSQL; SQLite writes one at a time), so a
    vote and a merge of the same idea never interleave."""
    return session.execute(
        select(Idea.state).where(Idea.id == idea.id).with_for_update()
    ).scalar_one()


def vote(session: Session, idea: Idea, campaign: Campaign, voter: User, value: int) -> int:
    """Set ``voter``'s vote on an idea (1: for it, 0: none) and return its count. Voting
    twice counts once: the key refuses a second row, and the count moves only with a row.
    Only while the campaign is open, and not on a merged idea (vote for the kept one)."""
    if value not in (0, 1):
        raise ValidationError({"value": "Vote 1 (for the idea) or 0 (no vote)."})
    campaigns.must_be_open(campaign, utcnow())
    if _locked_state(session, idea) == workflow.MERGED:
        raise Conflict({"idea": "This idea was merged into another: vote for that one."})
    if value == 1:
        # Already voted (a double click, or another worker at the same time): no new row.
        if _insert_once(session, Vote, idea_id=idea.id, user_id=voter.id):
            _add_votes(session, idea.id, 1)
            took_part(session, campaign.id, voter.id)
    else:
        removed = session.execute(
            delete(Vote).where(Vote.idea_id == idea.id, Vote.user_id == voter.id)
        ).rowcount
        if removed:
            _add_votes(session, idea.id, -1)
    return session.execute(select(Idea.vote_count).where(Idea.id == idea.id)).scalar_one()


def took_part(session: Session, campaign_id: int, user_id: int) -> None:
    """Count ``user_id`` among the campaign's participants (once)."""
    if session.get(Participant, (campaign_id, user_id)) is not None:
        return
    _insert_once(session, Participant, campaign_id=campaign_id, user_id=user_id)


def _insert_once(session: Session, table: type, **key: int) -> bool:
    """Insert the row with this primary key unless it exists, even when another worker
    inserts it at the same instant (a savepoint absorbs the refused insert); True if this
    call wrote it."""
    try:
        with session.begin_nested():
            session.execute(insert(table).values(**key))
    except IntegrityError:
        return False
    return True


def _add_votes(session: Session, idea_id: int, delta: int) -> None:
    session.execute(
        update(Idea).where(Idea.id == idea_id).values(vote_count=Idea.vote_count + delta)
    )


def follow(session: Session, idea: Idea, user: User, on: bool) -> None:
    """Follow an idea (be told of its moves) or stop following it."""
    if on:
        _insert_once(session, Follower, idea_id=idea.id, user_id=user.id)
    else:
        session.execute(
            delete(Follower).where(Follower.idea_id == idea.id, Follower.user_id == user.id)
        )


def mine(session: Session, user_id: int, idea_ids: Sequence[int]) -> tuple[set[int], set[int]]:
    """Which of these ideas the user voted for, and which they follow."""
    if not idea_ids:
        return set(), set()
    voted = session.scalars(
        select(Vote.idea_id).where(Vote.user_id == user_id, Vote.idea_id.in_(idea_ids))
    )
    followed = session.scalars(
        select(Follower.idea_id).where(Follower.user_id == user_id, Follower.idea_id.in_(idea_ids))
    )
    return set(voted), set(followed)


def move(
    session: Session,
    idea: Idea,
    content: Content,
    campaign: Campaign,
    actor: User,
    to_state: str,
    reason: str | None = None,
) -> Move:
    """Move an idea along its campaign's workflow (the caller checked ``actor`` reviews
    it). Only an allowed move (409 otherwise); declining needs a reason. The move is an
    activity, a line of the idea's history, and a notification to its author, voters and
    followers."""
    if to_state not in workflow.LABELS or to_state == workflow.MERGED:
        raise ValidationError({"state": "No such state."})
    current = _locked_state(session, idea)
    if to_state not in workflow.allowed(campaign.steps, current):
        raise Conflict({"state": f"An idea cannot move from {current} to {to_state}."})
    reason = clean_text(reason or "", "reason", max_length=MAX_REASON) or None
    if to_state == workflow.DECLINED and not reason:
        raise ValidationError({"reason": "Say why the idea is declined."})
    now = utcnow()
    step = Move(
        idea_id=idea.id,
        actor_id=actor.id,
        from_state=current,
        to_state=to_state,
        reason=reason,
        created_at=now,
    )
    session.add(step)
    idea.state = to_state
    idea.reason = reason if to_state == workflow.DECLINED else None
    idea.updated_at = now
    if to_state in workflow.DECISIONS and idea.decided_at is None:
        idea.decided_at = now
    session.flush()
    announce_status(session, content, actor)
    _tell(session, idea, content, actor, workflow.NOTES[to_state])
    return step


def _tell(session: Session, idea: Idea, content: Content, actor: User, note: str) -> None:
    """Notify the idea's author, voters and followers, once each (``notify`` skips the
    actor, people who turned such notices off, and anyone who may no longer see it)."""
    _notify_all(session, _audience_of(session, idea), content, actor, note)


def _audience_of(session: Session, idea: Idea) -> set[int]:
    """Who hears of an idea's moves: its author, voters and followers."""
    ids = {idea.author_id}
    ids.update(session.scalars(select(Vote.user_id).where(Vote.idea_id == idea.id)))
    ids.update(session.scalars(select(Follower.user_id).where(Follower.idea_id == idea.id)))
    return ids


def _notify_all(session: Session, ids: set[int], content: Content, actor: User, note: str) -> None:
    for person in session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)):
        notify(session, person, "watch", actor=actor, content=content, note=note)


def merge(
    session: Session,
    duplicate: Idea,
    duplicate_content: Content,
    kept: Idea,
    campaign: Campaign,
    actor: User,
) -> None:
    """Merge ``duplicate`` into ``kept`` (same campaign; the caller checked ``actor``
    reviews it): its votes and followers move to the kept idea, without counting twice who
    holds one on both; its author follows the kept idea; it becomes ``merged`` (its page
    points to the kept one) and its people are told."""
    if duplicate.id == kept.id or duplicate.campaign_id != kept.campaign_id:
        raise Conflict({"into": "Merge into another idea of the same campaign."})
    # Lock both rows (PostgreSQL), the lower id first so two merges cannot deadlock.
    states = {
        i.id: _locked_state(session, i) for i in sorted((duplicate, kept), key=lambda i: i.id)
    }
    if states[kept.id] == workflow.MERGED:
        raise Conflict({"into": "That idea was itself merged into another."})
    if states[duplicate.id] in (workflow.MERGED, workflow.IMPLEMENTED):
        raise Conflict({"idea": "A merged or implemented idea cannot be merged."})
    kept_content = session.get(Content, kept.content_id)
    if kept_content is None or kept_content.deleted_at is not None:
        raise NotFound("No such idea.")
    told = _audience_of(session, duplicate)  # before its votes and followers move
    for table in (Vote, Follower):
        held = select(table.user_id).where(table.idea_id == kept.id)
        session.execute(
            insert(table).from_select(
                ["idea_id", "user_id"],
                select(literal(kept.id, Integer), table.user_id).where(
                    table.idea_id == duplicate.id, table.user_id.not_in(held)
                ),
            )
        )
        session.execute(delete(table).where(table.idea_id == duplicate.id))
    follow(session, kept, session.get(User, duplicate.author_id), True)
    count = select(func.count()).where(Vote.idea_id == kept.id).scalar_subquery()
    session.execute(update(Idea).where(Idea.id == kept.id).values(vote_count=count))
    now = utcnow()
    session.add(
        Move(
            idea_id=duplicate.id,
            actor_id=actor.id,
            from_state=states[duplicate.id],
            to_state=workflow.MERGED,
            reason=None,
            created_at=now,
        )
    )
    duplicate.state, duplicate.merged_into_id = workflow.MERGED, kept.id
    session.execute(  # the campaign counts its ideas, not their duplicates
        update(Campaign)
        .where(Campaign.id == campaign.id)
        .values(idea_count=Campaign.idea_count - 1)
    )
    duplicate.vote_count, duplicate.updated_at = 0, now
    session.flush()
    announce_status(session, duplicate_content, actor)
    _notify_all(session, told, duplicate_content, actor, workflow.NOTES[workflow.MERGED])
    session.refresh(kept)


def set_scores(
    session: Session, idea: Idea, campaign: Campaign, reviewer: User, values: Mapping[int, int]
) -> float | None:
    """Record ``reviewer``'s scores (criterion position -> 1..5; 0 takes one back) and
    return the idea's new score: the mean of every reviewer's scores."""
    names = campaigns.criteria(campaign)
    if not names:
        raise Conflict({"scores": "This campaign has no evaluation criteria."})
    for position, value in values.items():
        if not 0 <= position < len(names):  # the campaign's criteria rule it out: 409
            raise Conflict({"scores": f"This campaign has {len(names)} criteria."})
        if value not in range(6):
            raise ValidationError({"scores": "Score each criterion from 1 to 5."})
    for position, value in values.items():
        key = (idea.id, reviewer.id, position)
        row = session.get(Score, key)
        if value == 0:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(
                Score(idea_id=idea.id, reviewer_id=reviewer.id, criterion=position, value=value)
            )
        else:
            row.value = value
    session.flush()
    mean = session.execute(select(func.avg(Score.value)).where(Score.idea_id == idea.id))
    found = mean.scalar_one()  # PostgreSQL answers a Decimal, SQLite a float
    idea.score = None if found is None else float(found)
    return idea.score


def my_scores(session: Session, idea_id: int, reviewer_id: int) -> dict[int, int]:
    """A reviewer's scores of an idea, by criterion position."""
    rows = session.execute(
        select(Score.criterion, Score.value).where(
            Score.idea_id == idea_id, Score.reviewer_id == reviewer_id
        )
    )
    return {position: value for position, value in rows}


def criterion_means(session: Session, idea_id: int) -> dict[int, float]:
    """The mean score on each criterion (by position), over the reviewers who scored it."""
    rows = session.execute(
        select(Score.criterion, func.avg(Score.value))
        .where(Score.idea_id == idea_id)
        .group_by(Score.criterion)
    )
    return {position: float(mean) for position, mean in rows}


def history(session: Session, idea: Idea) -> list[Move]:
    """The idea's moves, oldest first."""
    return list(session.scalars(select(Move).where(Move.idea_id == idea.id).order_by(Move.id)))


def in_campaign(
    campaign: Campaign,
    *,
    states: Sequence[str] | None = None,
    tag: str | None = None,
    sort: str = "votes",
) -> Select[tuple[Idea]]:
    """The campaign's live ideas (not deleted; duplicates merged away left out unless
    ``states`` asks for them), sorted by votes, by score, or newest first. Whoever may see
    the campaign may see them all: they share its audience."""
    live = (
        select(Content.id)
        .where(Content.id == Idea.content_id, Content.deleted_at.is_(None))
        .exists()
    )
    query = select(Idea).where(Idea.campaign_id == campaign.id, live)
    if states is not None:
        query = query.where(Idea.state.in_(list(states)))
    else:
        query = query.where(Idea.state != workflow.MERGED)
    if tag:
        query = query.where(
            select(ContentTag.content_id)
            .where(ContentTag.content_id == Idea.content_id, in_set(ContentTag.tag, {tag}))
            .exists()
        )
    if sort == "score":
        return query.order_by(Idea.score.desc().nulls_last(), Idea.id)
    if sort == "newest":
        return query.order_by(Idea.id.desc())
    return query.order_by(Idea.vote_count.desc(), Idea.id)


def after(
    session: Session,
    campaign: Campaign,
    query: Select[tuple[Idea]],
    sort: str,
    idea_id: int | None,
) -> Select[tuple[Idea]]:
    """The ideas of ``query`` (``campaign``'s) that come after idea ``idea_id`` (the last of
    the previous page) in the ``sort`` order: a keyset page on its votes or score as they
    are now, never an OFFSET. An id of no idea of this campaign ends the list (another
    campaign's idea says nothing of its votes)."""
    if idea_id is None:
        return query
    last = session.get(Idea, idea_id)
    if last is None or last.campaign_id != campaign.id:
        return query.where(false())
    if sort == "newest":
        return query.where(Idea.id < last.id)
    if sort == "votes":
        votes = last.vote_count
        return query.where(
            or_(Idea.vote_count < votes, and_(Idea.vote_count == votes, Idea.id > last.id))
        )
    if last.score is None:  # past the scored ideas: the unscored ones, by id
        return query.where(Idea.score.is_(None), Idea.id > last.id)
    return query.where(
        or_(
            Idea.score < last.score,
            Idea.score.is_(None),
            and_(Idea.score == last.score, Idea.id > last.id),
        )
    )


BOARD_COLUMN = 20


@dataclass
class Column:
    """A column of the reviewers' board: its first ideas and how many it holds."""

    state: str
    ideas: list[Idea]
    total: int


def board(
    session: Session,
    campaign: Campaign,
    *,
    tag: str | None = None,
    sort: str = "votes",
    per_column: int = BOARD_COLUMN,
) -> list[Column]:
    """The reviewers' board: the campaign's ideas by state, in its columns' order (a state
    the owner dropped while ideas stood in it keeps a column where it stood), each column its
    first ``per_column`` ideas and its count: a query per column, on the index by campaign
    and state, so a campaign of 5,000 ideas costs what one of 50 does."""
    live = in_campaign(campaign, tag=tag, sort=sort).order_by(None).subquery()
    counted = session.execute(select(live.c.state, func.count()).group_by(live.c.state))
    totals = {state: count for state, count in counted}
    states = workflow.columns(campaign.steps)
    states += [s for s in workflow.CHAIN if s in totals and s not in states]
    states.sort(key=(*workflow.CHAIN, workflow.DECLINED).index)
    return [
        Column(
            state,
            list(
                session.scalars(
                    in_campaign(campaign, states=[state], tag=tag, sort=sort).limit(per_column)
                )
            )
            if totals.get(state)
            else [],
            totals.get(state, 0),
        )
        for state in states
    ]

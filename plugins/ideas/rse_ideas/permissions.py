"""Who may launch campaigns, take part in them and review their ideas.

Reading follows the core's audience rule (a campaign's item, and its ideas as child items).
Taking part (proposing, voting) is for the campaign's audience: every employee who holds
``ideas.propose`` for a company-wide campaign, the members of its space for a space's. Moving,
scoring and merging ideas is for its reviewers (its owner is one); editing, closing and
deleting it for its owner and the space's moderators (or site admins).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request

from rse_core import (
    Conflict,
    Content,
    Forbidden,
    Space,
    access,
    can,
    current_user,
    may_moderate,
)

from . import campaigns, workflow
from .models import Campaign, Idea, Vote

LAUNCH = "ideas.launch"
PROPOSE = "ideas.propose"


def may_launch_in(request: Request, space: Space | None) -> bool:
    """Company-wide: site admins, or whoever the site grants ``ideas.launch``; in a space:
    its moderators and owners (a space may grant it to its members)."""
    if space is not None and space.id not in access(request).roles:
        return False
    return can(request, LAUNCH, space)


def in_audience(request: Request, campaign: Campaign, space: Space | None) -> bool:
    """May the reader take part (propose, vote)? Company-wide: holders of ``ideas.propose``;
    in a space: its members who hold it."""
    if campaign.space_id is not None and campaign.space_id not in access(request).roles:
        return False
    return can(request, PROPOSE, space)


def must_take_part(request: Request, campaign: Campaign, space: Space | None) -> None:
    """403 for a reader who sees the campaign but is not in its audience."""
    if not in_audience(request, campaign, space):
        raise Forbidden("Only the campaign's audience takes part: join its space.")


def may_manage(request: Request, session: Session, campaign: Campaign, content: Content) -> bool:
    """Its owner, the moderators of its space, and site admins edit, close and delete it."""
    if campaign.owner_id == current_user(request).id:
        return True
    return may_moderate(session, request, content, campaign.owner_id)


def must_review(request: Request, session: Session, campaign: Campaign) -> None:
    """403 for a reader who does not review the campaign."""
    if not campaigns.is_reviewer(session, campaign, current_user(request).id):
        raise Forbidden("Only the campaign's reviewers do this.")


def may_delete_idea(request: Request, session: Session, idea: Idea, content: Content) -> bool:
    """A moderator of the idea's space (site admins company-wide) at any time; its author
    while it waits for review and nobody else voted for it (a reviewed idea's history stays
    with the campaign, and colleagues' votes are not the author's to throw away)."""
    if idea.author_id == current_user(request).id and _withdrawable(session, idea):
        return True
    return may_moderate(session, request, content, None)


def _withdrawable(session: Session, idea: Idea) -> bool:
    others = select(Vote.user_id).where(Vote.idea_id == idea.id, Vote.user_id != idea.author_id)
    return idea.state == workflow.SUBMITTED and session.scalar(others.limit(1)) is None


def must_delete_idea(request: Request, session: Session, idea: Idea, content: Content) -> None:
    """409 for its author once its review started or colleagues voted for it, 403 for anyone
    else who may not."""
    if may_delete_idea(request, session, idea, content):
        return
    if idea.author_id == current_user(request).id:
        raise Conflict(
            {"idea": "An idea can be withdrawn only before its review and others' votes."}
        )
    raise Forbidden("Only its author or a moderator deletes an idea.")

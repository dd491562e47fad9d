"""A campaign's workflow: the states an idea goes through and the moves allowed between them.

Every campaign follows one chain, submitted -> under review -> selected -> in progress ->
implemented, from which its owner drops the optional middle steps they do not need; any idea
still open may be declined (with a reason), a declined one reopened. An idea moves one step
forward or back along the campaign's chain: reviewers cannot jump from "submitted" to
"implemented", and "implemented" is final. A merged idea (a duplicate) moves no more.
"""

from __future__ import annotations

from collections.abc import Iterable

from .i18n import N_

SUBMITTED = "submitted"
UNDER_REVIEW = "under_review"
SELECTED = "selected"
IN_PROGRESS = "in_progress"
IMPLEMENTED = "implemented"
DECLINED = "declined"
MERGED = "merged"

CHAIN = (SUBMITTED, UNDER_REVIEW, SELECTED, IN_PROGRESS, IMPLEMENTED)
OPTIONAL = (UNDER_REVIEW, SELECTED, IN_PROGRESS)
#: A decision, for the campaign's "time from submission to decision".
DECISIONS = (SELECTED, IN_PROGRESS, IMPLEMENTED, DECLINED)

LABELS = {
    SUBMITTED: N_("Submitted"),
    UNDER_REVIEW: N_("Under review"),
    SELECTED: N_("Selected"),
    IN_PROGRESS: N_("In progress"),
    IMPLEMENTED: N_("Implemented"),
    DECLINED: N_("Declined"),
    MERGED: N_("Merged"),
}

#: What an idea's author, voters and followers are told of a move: the notification reads
#: "<reviewer> <note> <idea>" ("Bruno selected “Coffee on every floor”").
NOTES = {
    SUBMITTED: N_("reopened"),
    UNDER_REVIEW: N_("started reviewing"),
    SELECTED: N_("selected"),
    IN_PROGRESS: N_("started work on"),
    IMPLEMENTED: N_("marked as implemented"),
    DECLINED: N_("declined"),
    MERGED: N_("marked as a duplicate"),
}


def clean_steps(steps: Iterable[str]) -> str:
    """The optional steps kept, in chain order, as stored (unknown names are refused)."""
    chosen = set(steps)
    unknown = chosen - set(OPTIONAL)
    if unknown:
        raise ValueError(sorted(unknown))
    return " ".join(step for step in OPTIONAL if step in chosen)


def chain(steps: str) -> list[str]:
    """The campaign's states from submission to implementation."""
    kept = set(steps.split())
    return [state for state in CHAIN if state not in OPTIONAL or state in kept]


def columns(steps: str) -> list[str]:
    """The reviewers' board's columns: the chain, then declined."""
    return [*chain(steps), DECLINED]


def allowed(steps: str, state: str) -> list[str]:
    """Where an idea in ``state`` may move: the next and previous states of the chain (a
    state the owner dropped since counts where it stood), declined while open; a declined
    idea may be reopened; implemented and merged ideas stay."""
    if state in (IMPLEMENTED, MERGED):
        return []
    if state == DECLINED:
        return [SUBMITTED]
    states = chain(steps)
    position = CHAIN.index(state)
    forward = [s for s in states if CHAIN.index(s) > position][:1]
    back = [s for s in states if CHAIN.index(s) < position][-1:]
    return [*forward, *back, DECLINED]

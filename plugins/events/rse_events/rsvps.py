"""RSVPs, the waiting list, reminders and messages to attendees.

Capacity holds under concurrent answers: an answer locks its occurrence's row first
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every write transaction already holds the
database's write lock), then counts who is going, so two answers for the last place are
decided one after the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rse_core import (
    Conflict,
    Content,
    JobContext,
    User,
    ValidationError,
    cancel_job,
    clean_text,
    enqueue_job,
    notify,
)

from .i18n import N_
from .models import (
    ANSWERS,
    DEFAULT_REMINDER,
    MAYBE,
    NO,
    REMINDERS,
    YES,
    Event,
    Occurrence,
    ReminderChoice,
    Rsvp,
)

REMIND_JOB = "events.remind"
MAX_MESSAGE = 280
REMINDER_NOTES = {
    15: N_("Reminder: it starts in 15 minutes."),
    60: N_("Reminder: it starts in an hour."),
    1440: N_("Reminder: it starts tomorrow."),
}


def going_count(session: Session, occurrence_id: int) -> int:
    """How many have a place (said yes and are not waiting)."""
    return session.execute(
        select(func.count()).where(
            Rsvp.occurrence_id == occurrence_id, Rsvp.status == YES, Rsvp.waitlisted.is_(False)
        )
    ).scalar_one()


def attendees_of(session: Session, occurrence_ids: Sequence[int]) -> set[int]:
    """Who answered yes or maybe (waiting list included) for any of these occurrences."""
    if not occurrence_ids:
        return set()
    return set(
        session.execute(
            select(Rsvp.user_id).where(
                Rsvp.occurrence_id.in_(occurrence_ids), Rsvp.status.in_((YES, MAYBE))
            )
        ).scalars()
    )


def tell(
    session: Session, user_ids: Iterable[int], actor: User | None, event: Event, note: str
) -> None:
    """Notify each of these people about ``event`` (not the actor; only who may still see
    it: the core checks)."""
    content = session.get(Content, event.content_id)
    for user_id in sorted(set(user_ids)):
        notify(
            session, session.get(User, user_id), "event", actor=actor, content=content, note=note
        )


def _key(occurrence_id: int, user_id: int) -> str:
    return f"{REMIND_JOB}:{occurrence_id}:{user_id}"


def reminder_minutes(session: Session, user_id: int) -> int:
    """How long before an event the person is reminded (0: never)."""
    row = session.get(ReminderChoice, user_id)
    return row.minutes if row is not None else DEFAULT_REMINDER


def _schedule(session: Session, occurrence: Occurrence, rsvp: Rsvp, now: datetime) -> None:
    key = _key(occurrence.id, rsvp.user_id)
    minutes = reminder_minutes(session, rsvp.user_id)
    run_at = occurrence.starts_at - timedelta(minutes=minutes)
    attending = rsvp.status in (YES, MAYBE) and not rsvp.waitlisted and not occurrence.cancelled
    if not attending or minutes == 0 or run_at <= now:
        cancel_job(session, key)
        return
    enqueue_job(
        session,
        REMIND_JOB,
        {"occurrence": occurrence.id, "user": rsvp.user_id},
        run_at=run_at,
        key=key,
    )


def _answers(session: Session, occurrence_id: int) -> list[Rsvp]:
    return list(session.execute(select(Rsvp).where(Rsvp.occurrence_id == occurrence_id)).scalars())


def reschedule(session: Session, occurrence: Occurrence, now: datetime) -> None:
    """Move the reminders of an occurrence whose time changed."""
    for rsvp in _answers(session, occurrence.id):
        _schedule(session, occurrence, rsvp, now)


def forget(session: Session, occurrence: Occurrence, *, keep_answers: bool = False) -> None:
    """Drop an occurrence's reminders (it is cancelled or removed); its answers too unless
    ``keep_answers`` (a cancelled occurrence still shows who was coming)."""
    for rsvp in _answers(session, occurrence.id):
        cancel_job(session, _key(occurrence.id, rsvp.user_id))
        if not keep_answers:
            session.delete(rsvp)


def move_answers(session: Session, old: Occurrence, new: Occurrence, now: datetime) -> None:
    """Carry an occurrence's answers over to its successor (a split series)."""
    for rsvp in _answers(session, old.id):
        cancel_job(session, _key(old.id, rsvp.user_id))
        rsvp.occurrence_id = new.id
        session.flush()
        _schedule(session, new, rsvp, now)


def set_reminder(session: Session, user: User, minutes: int, now: datetime) -> None:
    """Choose how long before events to be reminded; moves the person's coming reminders."""
    if minutes not in REMINDERS:
        raise ValidationError({"reminder": "Choose none, 15 minutes, 1 hour or 1 day."})
    row = session.get(ReminderChoice, user.id)
    if row is None:
        session.add(ReminderChoice(user_id=user.id, minutes=minutes))
    else:
        row.minutes = minutes
    session.flush()
    coming = session.execute(
        select(Rsvp, Occurrence)
        .join(Occurrence, Occurrence.id == Rsvp.occurrence_id)
        .where(Rsvp.user_id == user.id, Occurrence.starts_at > now)
    ).all()
    for rsvp, occurrence in coming:
        _schedule(session, occurrence, rsvp, now)


def answer(
    session: Session, occurrence_id: int, event: Event, user: User, status: str, now: datetime
) -> Rsvp:
    """Answer yes, maybe or no for one occurrence. A yes when every place is taken joins the
    waiting list; a yes given up lets the first one waiting in (who is told)."""
    if status not in ANSWERS:
        raise ValidationError({"status": "Answer yes, maybe or no."})
    occurrence = session.execute(
        select(Occurrence)
        .where(Occurrence.id == occurrence_id, Occurrence.event_id == event.id)
        .with_for_update()
    ).scalar_one_or_none()
    if occurrence is None:  # the event exists: the answer names an occurrence it lacks
        raise Conflict({"occurrence": "No such occurrence of this event."})
    if occurrence.cancelled or event.cancelled_at is not None:
        raise Conflict({"occurrence": "This occurrence is cancelled."})
    if occurrence.ends_at <= now:
        raise Conflict({"occurrence": "This occurrence is over."})
    rsvp = session.execute(
        select(Rsvp).where(Rsvp.occurrence_id == occurrence.id, Rsvp.user_id == user.id)
    ).scalar_one_or_none()
    previous = rsvp.status if rsvp is not None else None
    had_place = previous == YES and not rsvp.waitlisted
    needs_place = status == YES and previous != YES
    # Counted before this answer's row exists (a flush would count it among the going).
    full = (
        needs_place
        and event.capacity is not None
        and going_count(session, occurrence.id) >= event.capacity
    )
    if rsvp is None:
        rsvp = Rsvp(occurrence_id=occurrence.id, user_id=user.id, status=status, queued_at=now)
        session.add(rsvp)
    if needs_place:
        rsvp.waitlisted, rsvp.queued_at = full, now
    elif status != YES:
        rsvp.waitlisted = False
    rsvp.status = status
    session.flush()
    _schedule(session, occurrence, rsvp, now)
    if had_place and status != YES:
        promote(session, occurrence, event, user, now)
    return rsvp


def promote(
    session: Session, occurrence: Occurrence, event: Event, actor: User | None, now: datetime
) -> list[int]:
    """Let the waiting list in while places are free, first come first served; each person
    let in is told. Returns their ids."""
    let_in = []
    while True:
        if event.capacity is not None and going_count(session, occurrence.id) >= event.capacity:
            break
        first = session.execute(
            select(Rsvp)
            .where(Rsvp.occurrence_id == occurrence.id, Rsvp.waitlisted.is_(True))
            .order_by(Rsvp.queued_at, Rsvp.id)
            .limit(1)
        ).scalar_one_or_none()
        if first is None:
            break
        first.waitlisted = False
        session.flush()
        _schedule(session, occurrence, first, now)
        let_in.append(first.user_id)
    tell(session, let_in, actor, event, N_("A place opened up: you are going."))
    return let_in


def clean_message(text: object) -> str:
    """An organiser's message to attendees (one line, at most 280 characters)."""
    return clean_text(text, "message", max_length=MAX_MESSAGE, required="Write the message.")


def message_attendees(
    session: Session, event: Event, sender: User, text: str, occurrence_ids: Sequence[int]
) -> int:
    """Send an organiser's message (a notification) to the attendees of these occurrences;
    returns how many were told."""
    people = attendees_of(session, occurrence_ids) - {sender.id}
    tell(session, people, sender, event, clean_message(text))
    return len(people)


def remind(ctx: JobContext) -> None:
    """Job ``events.remind``: remind one attendee before an occurrence, unless it was
    cancelled or moved since, or they no longer come."""
    with ctx.runtime.db.write() as session:
        occurrence = session.get(Occurrence, int(ctx.payload["occurrence"]))
        user = session.get(User, int(ctx.payload["user"]))
        if occurrence is None or user is None or occurrence.cancelled:
            return
        event = session.get(Event, occurrence.event_id)
        rsvp = session.execute(
            select(Rsvp).where(Rsvp.occurrence_id == occurrence.id, Rsvp.user_id == user.id)
        ).scalar_one_or_none()
        if event.cancelled_at is not None or rsvp is None or rsvp.waitlisted:
            return
        if rsvp.status == NO or occurrence.starts_at <= ctx.now:
            return
        minutes = reminder_minutes(session, user.id)
        if minutes == 0 or occurrence.starts_at - timedelta(minutes=minutes) > ctx.now:
            return  # moved later since: its new reminder is queued
        content = session.get(Content, event.content_id)
        notify(session, user, "event", content=content, note=REMINDER_NOTES[minutes])


def next_occurrence(session: Session, event: Event, now: datetime) -> Occurrence | None:
    """The event's next occurrence not cancelled nor over (else its last one)."""
    coming = session.execute(
        select(Occurrence)
        .where(
            Occurrence.event_id == event.id,
            Occurrence.ends_at > now,
            Occurrence.cancelled.is_(False),
        )
        .order_by(Occurrence.starts_at)
        .limit(1)
    ).scalar_one_or_none()
    if coming is not None:
        return coming
    return session.execute(
        select(Occurrence)
        .where(Occurrence.event_id == event.id)
        .order_by(Occurrence.starts_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def only_occurrence(session: Session, event: Event) -> int:
    """The occurrence of a one-off event (a series needs one named: 422 on ``occurrence``)."""
    if event.rrule:
        raise Conflict({"occurrence": "Choose which occurrence of the series."})
    found = session.execute(
        select(Occurrence.id).where(Occurrence.event_id == event.id).limit(1)
    ).scalar_one_or_none()
    if found is None:
        raise Conflict({"occurrence": "This event has no occurrence left."})
    return found


def counts(session: Session, occurrence_id: int) -> dict[str, int]:
    """How many are going, might come, and wait for a place."""
    rows = session.execute(
        select(Rsvp.status, Rsvp.waitlisted, func.count())
        .where(Rsvp.occurrence_id == occurrence_id)
        .group_by(Rsvp.status, Rsvp.waitlisted)
    ).all()
    found = {"going": 0, "maybe": 0, "waiting": 0}
    for status, waitlisted, number in rows:
        if status == YES:
            found["waiting" if waitlisted else "going"] += number
        elif status == MAYBE:
            found["maybe"] += number
    return found


def answers_of(session: Session, occurrence_id: int) -> list[tuple[Rsvp, User]]:
    """Every answer for an occurrence with its person: going first, then the waiting list
    in its order, then maybe and no."""
    rows = session.execute(
        select(Rsvp, User)
        .join(User, User.id == Rsvp.user_id)
        .where(Rsvp.occurrence_id == occurrence_id)
        .order_by(Rsvp.queued_at, Rsvp.id)
    ).all()
    rank = {(YES, False): 0, (YES, True): 1, (MAYBE, False): 2, (NO, False): 3}
    return sorted(
        ((r, u) for r, u in rows), key=lambda p: rank.get((p[0].status, p[0].waitlisted), 4)
    )


def mine(session: Session, user_id: int, occurrence_ids: Sequence[int]) -> dict[int, Rsvp]:
    """The person's answers for these occurrences, by occurrence."""
    if not occurrence_ids:
        return {}
    rows = session.execute(
        select(Rsvp).where(Rsvp.user_id == user_id, Rsvp.occurrence_id.in_(occurrence_ids))
    ).scalars()
    return {r.occurrence_id: r for r in rows}

"""The events plugin's tables.

An event (a one-off or a recurring series) is registered with the core's content registry, so
its audience, streams, search, comments and likes are the core's. Its occurrences are expanded
once, when it is written (a rule has at most 1,000), into ``event_occurrence``: every calendar
reads a range of that table by time, never expands rules per request. RSVPs belong to an
occurrence.
"""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from rse_core import Base, UTCDateTime, utcnow

YES, MAYBE, NO = "yes", "maybe", "no"
ANSWERS = (YES, MAYBE, NO)
REMINDERS = (0, 15, 60, 1440)  # minutes before: none, 15 minutes, 1 hour, 1 day
DEFAULT_REMINDER = 60


class Event(Base):
    """An event, or a series of them when ``rrule`` is set (RFC 5545 ``RRULE``, UNTIL in UTC).

    ``starts_at``/``ends_at`` are the first occurrence's, in UTC; ``time_zone`` is the zone it
    was planned in (a weekly 10:00 stays 10:00 there across daylight-saving changes). An
    all-day event's times are midnights (UTC) of its first and its day after."""

    __tablename__ = "event_event"
    __table_args__ = (Index("ix_event_event_space", "space_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_content.id", ondelete="CASCADE"), unique=True, nullable=True
    )
    creator_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_space.id", ondelete="CASCADE"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    location: Mapped[str] = mapped_column(String(200), default="")
    online_url: Mapped[str] = mapped_column(String(1000), default="")
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rrule: Mapped[str | None] = mapped_column(String(500), nullable=True)
    #: The iCalendar UID: ours, or the one of the file an event was imported from.
    uid: Mapped[str] = mapped_column(String(255), unique=True)
    #: iCalendar SEQUENCE: moves on with each change a calendar client must notice.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Organiser(Base):
    """Someone who runs an event: edits it, cancels it, messages its attendees."""

    __tablename__ = "event_organiser"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event_event.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )


#: "Longer than a day", as the partial index and the calendars' query both spell it.
LONG_SQLITE = "ends_at > datetime(starts_at, '+1 day')"
LONG_POSTGRESQL = "ends_at > starts_at + interval '1 day'"


class Occurrence(Base):
    """One occurrence of an event. ``original_start`` is where its rule put it (iCalendar's
    RECURRENCE-ID); ``starts_at``/``ends_at`` differ from the rule's when it was moved."""

    __tablename__ = "event_occurrence"
    __table_args__ = (
        UniqueConstraint("event_id", "original_start", name="uq_event_occurrence_start"),
        # Every calendar: the occurrences of a range of time; those of the 62 days before it
        # that are over are skipped in the index (events_0002).
        Index("ix_event_occurrence_window", "starts_at", "ends_at", "cancelled", "event_id"),
        # The few occurrences longer than a day, apart: a calendar reads back 62 days only
        # among them, and a day among the rest (events_0003).
        Index(
            "ix_event_occurrence_long",
            "starts_at",
            "ends_at",
            sqlite_where=text(LONG_SQLITE),
            postgresql_where=text(LONG_POSTGRESQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event_event.id", ondelete="CASCADE"))
    original_start: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    moved: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class Rsvp(Base):
    """A person's answer for one occurrence. ``waitlisted``: said yes when it was full; the
    waiting list moves up in ``queued_at`` order."""

    __tablename__ = "event_rsvp"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "user_id", name="uq_event_rsvp_person"),
        Index("ix_event_rsvp_user", "user_id", "occurrence_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("event_occurrence.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10))
    waitlisted: Mapped[bool] = mapped_column(Boolean, default=False)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderChoice(Base):
    """How long before an event a person wants to be reminded (0: never)."""

    __tablename__ = "event_reminder"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )
    minutes: Mapped[int] = mapped_column(Integer, default=DEFAULT_REMINDER)

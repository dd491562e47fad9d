"""The plugin's tables. A campaign and each idea are core content items (streams, search,
comments, likes, attachments and the audience rule follow from them; an idea is a child item
of its campaign, so it has the campaign's audience and is hidden with it). Votes, followers,
scores and the history of moves are the plugin's own rows, read only through their idea."""

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rse_core import Base, UTCDateTime, utcnow


class Campaign(Base):
    """A challenge put to the company or a space: a question, open between two dates."""

    __tablename__ = "ideas_campaign"
    __table_args__ = (
        Index("ix_ideas_campaign_space", "space_id", "id"),
        Index("ix_ideas_campaign_closes", "closes_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int] = mapped_column(
        ForeignKey("rse_content.id", ondelete="CASCADE"), unique=True
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_space.id", ondelete="CASCADE"), nullable=True
    )
    question: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set when the campaign closed (the closing job at ``closes_at``, or its owner earlier).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The optional workflow steps in use, space-separated (see ``workflow.OPTIONAL``).
    steps: Mapped[str] = mapped_column(String(100))
    #: Evaluation criteria reviewers score 1-5, one per line (none: no scoring).
    criteria: Mapped[str] = mapped_column(Text, default="")
    idea_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reviewer(Base):
    """Someone who moves a campaign's ideas through its workflow (its owner is one too)."""

    __tablename__ = "ideas_reviewer"
    __table_args__ = (Index("ix_ideas_reviewer_user", "user_id"),)

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("ideas_campaign.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )


class Idea(Base):
    """An answer to a campaign. ``vote_count`` moves by SQL increments with vote rows;
    ``score`` is the mean of the reviewers' scores (None: not scored)."""

    __tablename__ = "ideas_idea"
    __table_args__ = (
        Index("ix_ideas_idea_campaign", "campaign_id", "state", "vote_count"),
        Index("ix_ideas_idea_author", "author_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int] = mapped_column(
        ForeignKey("rse_content.id", ondelete="CASCADE"), unique=True
    )
    campaign_id: Mapped[int] = mapped_column(ForeignKey("ideas_campaign.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(String(500), default="")  # space-separated, lower-case
    state: Mapped[str] = mapped_column(String(20))
    #: Why it was declined (shown on its page and in its history).
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    vote_count: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When it was first selected or declined: the campaign's "time to a decision".
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Vote(Base):
    """One person's vote for an idea (at most one: the key)."""

    __tablename__ = "ideas_vote"
    __table_args__ = (Index("ix_ideas_vote_user", "user_id"),)

    idea_id: Mapped[int] = mapped_column(
        ForeignKey("ideas_idea.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Participant(Base):
    """Someone who took part in a campaign: proposed an idea or voted, at least once (kept
    when the vote is taken back). The campaign's participation is a count of these rows,
    not a pass over every vote."""

    __tablename__ = "ideas_participant"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("ideas_campaign.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )


class Follower(Base):
    """Someone told of an idea's moves (besides its author and voters)."""

    __tablename__ = "ideas_follower"
    __table_args__ = (Index("ix_ideas_follower_user", "user_id"),)

    idea_id: Mapped[int] = mapped_column(
        ForeignKey("ideas_idea.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )


class Score(Base):
    """A reviewer's score (1-5) of an idea on one of its campaign's criteria (by position)."""

    __tablename__ = "ideas_score"

    idea_id: Mapped[int] = mapped_column(
        ForeignKey("ideas_idea.id", ondelete="CASCADE"), primary_key=True
    )
    reviewer_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )
    criterion: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Move(Base):
    """One step of an idea's history: who moved it from which state to which, and why."""

    __tablename__ = "ideas_move"
    __table_args__ = (Index("ix_ideas_move_idea", "idea_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas_idea.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""The plugin's tables. A question is a core content item (streams, search, comments, likes,
notifications follow from it); its answers and their votes are the plugin's own rows, read
only through their question, so an answer is visible exactly when its question is."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rse_core import Base, UTCDateTime, utcnow


class Question(Base):
    """A question, company-wide or in a space (``content_id``: its core item)."""

    __tablename__ = "qa_question"
    __table_args__ = (
        # Newest first, and the unanswered ones, overall and in a space.
        Index("ix_qa_question_unanswered", "answer_count", "content_id"),
        Index("ix_qa_question_space", "space_id", "content_id"),
        Index("ix_qa_question_author", "author_id", "content_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int] = mapped_column(
        ForeignKey("rse_content.id", ondelete="CASCADE"), unique=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_space.id", ondelete="CASCADE"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(String(500), default="")  # space-separated, lower-case
    answer_count: Mapped[int] = mapped_column(Integer, default=0)
    accepted_answer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Answer(Base):
    """An answer to a question; ``score`` is the number of votes it holds."""

    __tablename__ = "qa_answer"
    __table_args__ = (Index("ix_qa_answer_question", "question_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("qa_question.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Vote(Base):
    """One person's vote for an answer (at most one: the key)."""

    __tablename__ = "qa_vote"

    answer_id: Mapped[int] = mapped_column(
        ForeignKey("qa_answer.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExpertRequest(Base):
    """An asker asked a colleague to look at a question ("ask an expert"): once per question
    and colleague; the week's count throttles how often anyone is asked."""

    __tablename__ = "qa_expert_request"
    __table_args__ = (Index("ix_qa_expert_request_expert", "expert_id", "created_at"),)

    question_id: Mapped[int] = mapped_column(
        ForeignKey("qa_question.id", ondelete="CASCADE"), primary_key=True
    )
    expert_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )
    asker_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Site-wide key/value facts kept in the database (for example: demo data loaded)."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base


class MetaRow(Base):
    """One fact about the installation."""

    __tablename__ = "rse_meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def get_meta(session: Session, key: str) -> str | None:
    """The value stored under ``key``, or None."""
    row = session.get(MetaRow, key)
    return None if row is None else row.value


def set_meta(session: Session, key: str, value: str) -> None:
    """Store ``value`` under ``key``."""
    row = session.get(MetaRow, key)
    if row is None:
        session.add(MetaRow(key=key, value=value))
    else:
        row.value = value

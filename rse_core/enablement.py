"""Which installed plugins are enabled, for which audience, and the log of every change.

The state lives in the database, so every worker sees a change on its next request: no
restart. An audience is a list of principal strings (see ``permissions.principals_for``):
``["everyone"]`` or ``["space:3", "space:7"]`` for a pilot.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base, UTCDateTime, utcnow

EVERYONE = "everyone"


class PluginStateRow(Base):
    """The current enablement of one plugin (absent row: never enabled)."""

    __tablename__ = "rse_plugin_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    audience: Mapped[str] = mapped_column(Text, default='["everyone"]')
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(200), default="")


class PluginLogRow(Base):
    """One change of a plugin's enablement: who, when, what."""

    __tablename__ = "rse_plugin_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(20))
    audience: Mapped[str] = mapped_column(Text, default="[]")
    #: The audience before the change (JSON list; [] when the plugin was disabled), so the
    #: log can say "pilot kubernetes-guild -> everyone".
    previous: Mapped[str] = mapped_column(Text, default="[]")
    actor: Mapped[str] = mapped_column(String(200))
    # Deliberately no foreign key: the log outlives the accounts it names.
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


@dataclass(frozen=True)
class PluginState:
    """Enablement of one plugin as the app uses it."""

    name: str
    enabled: bool
    audience: tuple[str, ...]
    changed_at: datetime | None = None
    changed_by: str = ""

    def visible_to(self, principals: Iterable[str]) -> bool:
        """True when the plugin is enabled and one of ``principals`` is in its audience."""
        return self.enabled and not set(self.audience).isdisjoint(principals)

    def as_json(self) -> dict[str, object]:
        """The JSON shape used by the CLI and the admin API."""
        return {
            "enabled": self.enabled,
            "audience": list(self.audience),
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
            "changed_by": self.changed_by,
        }


def load_states(session: Session) -> dict[str, PluginState]:
    """Every plugin's stored state, by name (one small query)."""
    rows = session.execute(select(PluginStateRow)).scalars()
    return {
        row.name: PluginState(
            row.name, row.enabled, tuple(json.loads(row.audience)), row.changed_at, row.changed_by
        )
        for row in rows
    }


def active_names(states: Mapping[str, PluginState], principals: Iterable[str]) -> frozenset[str]:
    """Names of the plugins visible to someone holding ``principals``."""
    held = frozenset(principals)
    return frozenset(name for name, state in states.items() if state.visible_to(held))


def set_enablement(
    session: Session,
    name: str,
    *,
    enabled: bool,
    audience: Iterable[str] = (EVERYONE,),
    actor: str,
    user_id: int | None = None,
) -> PluginState:
    """Enable (for ``audience``) or disable plugin ``name`` and log the change."""
    audience_list = sorted(set(audience)) if enabled else []
    if enabled and not audience_list:
        raise ValueError("an enabled plugin needs an audience")
    row = session.get(PluginStateRow, name)
    if row is None:
        row = PluginStateRow(name=name, enabled=False)
        session.add(row)
    previous = row.audience if row.enabled else "[]"
    now = utcnow()
    row.enabled = enabled
    if enabled:
        row.audience = json.dumps(audience_list)
    row.changed_at = now
    row.changed_by = actor
    session.add(
        PluginLogRow(
            name=name,
            action="enable" if enabled else "disable",
            audience=json.dumps(audience_list),
            previous=previous,
            actor=actor,
            user_id=user_id,
            at=now,
        )
    )
    return PluginState(name, enabled, tuple(json.loads(row.audience)), now, actor)


def recent_log(session: Session, limit: int = 50) -> list[PluginLogRow]:
    """The latest enablement changes, newest first."""
    query = select(PluginLogRow).order_by(PluginLogRow.id.desc()).limit(limit)
    return list(session.execute(query).scalars())


def audience_of(row: PluginLogRow) -> tuple[list[str], list[str]]:
    """A logged change's audience before and after (each [] for disabled)."""
    return json.loads(row.previous or "[]"), json.loads(row.audience or "[]")

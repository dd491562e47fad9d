"""Principals and permissions: the one mechanism every surface filters through.

A user's **principals** are ``everyone``, ``user:<id>``, and ``space:<id>`` for each space they
belong to or that is public. Content carries an audience of principals; a user may read it when
the two sets meet **and** the plugin that owns it is active for them (the rollout rule). Both
travel together as a :class:`ReadScope`, the value every read path filters with.

``can()`` answers "may this user do this here" from the permission registry (declared by
plugins through ``rse_permissions``), the user's role in the space, and the space's or site's
overrides.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

from sqlalchemy import Boolean, column, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from . import sql_sets
from .enablement import EVERYONE, PluginState, active_names, load_states
from .hooktypes import Permission
from .i18n import N_
from .identity.models import ROLES, Membership, PermissionOverride, Space, User
from .validation import ValidationError

CORE_PERMISSIONS = [
    Permission("core.space.create", N_("Create spaces"), default_roles=(EVERYONE,)),
    # Site-wide only; site admins always may (the way back in when the provider is down).
    Permission("core.sign_in.password", N_("Sign in with a password"), default_roles=(EVERYONE,)),
    Permission(
        "core.space.manage",
        N_("Change a space's name, description, visibility, join policy and permissions"),
        default_roles=("owner",),
        admins=True,
    ),
    Permission(
        "core.space.members",
        N_("Add and remove members, change roles, approve join requests"),
        default_roles=("moderator", "owner"),
        admins=True,
    ),
    Permission("core.space.invite", N_("Invite people to the space"), ("moderator", "owner")),
    Permission(
        "core.space.moderate",
        N_("Edit or delete others' content in the space"),
        ("moderator", "owner"),
    ),
]

GRANTABLE_ROLES = (EVERYONE, *ROLES)
N_("everyone")  # how the permission table names EVERYONE (translated there)
#: The principal of every public space, one a row, kept equal to the spaces by triggers
#: (migration core_0026): what SQL compares audiences with for a :class:`ReadScope` with ``own``.
PUBLIC_AUDIENCES = table("rse_public_audience", column("principal"))
#: The owner of items no plugin owns; always active.
CORE_OWNER = "core"


class ReadScope(sql_sets.KeptSet):
    """What a reader may see: the audience principals they hold (the set itself) and
    ``plugins``, the owners whose items they may see (the plugins active for them, and
    ``core``). An item is visible when its audience is in the set and its plugin in
    ``plugins``: :meth:`shows`, and ``rse_core.visible()`` in SQL.

    ``plugins`` None means no rollout rule (maintenance tools that see every plugin's items).
    Equal principals with other plugins compare equal as sets: cache on :attr:`cache_key`.

    ``own``, when given, says the set is those principals plus every public space's: SQL then
    compares audiences with ``own`` and with the table of public spaces' principals rather
    than with thousands of values (``rse_core.visible()``). None: the set names them all.
    """

    plugins: frozenset[str] | None
    own: frozenset[str] | None

    def __new__(
        cls,
        principals: Iterable[str] = (),
        plugins: Iterable[str] | None = None,
        *,
        own: Iterable[str] | None = None,
    ):
        scope = super().__new__(cls, principals)
        scope.plugins = None if plugins is None else sql_sets.KeptSet({*plugins, CORE_OWNER})
        scope.own = None if own is None else sql_sets.KeptSet(own)
        return scope

    def shows(self, audience: str, plugin: str) -> bool:
        """May this reader see an item with this audience, owned by this plugin?"""
        return audience in self and (self.plugins is None or plugin in self.plugins)

    @cached_property
    def unplaced(self) -> frozenset[str]:
        """The principals naming no space, kept with the scope (which the worker keeps per
        reader) for :func:`within_spaces`."""
        return _unplaced(self)

    @property
    def cache_key(self) -> tuple[frozenset[str], frozenset[str] | None]:
        """Principals and plugins together, for caches keyed by what a reader may see."""
        return frozenset(self), self.plugins


class AudienceIn(ColumnElement[bool]):
    """An audience among a reader's principals (see :func:`audience_in`)."""

    __visit_name__ = "audience_in"
    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("audience", InternalTraversal.dp_clauseelement),
        ("own", InternalTraversal.dp_clauseelement),
        ("public", InternalTraversal.dp_clauseelement),
    ]

    def __init__(
        self,
        audience: ColumnElement[Any],
        own: sql_sets.InSet,
        public: ColumnElement[bool] | None = None,
    ) -> None:
        self.audience = audience
        self.own = own
        self.public = audience.in_(_PUBLIC_PRINCIPALS) if public is None else public
        self.flag = public is not None  # a column's value, cheaper to test than ``own``


_PUBLIC_PRINCIPALS = select(PUBLIC_AUDIENCES.c.principal).scalar_subquery()


@compiles(AudienceIn, "sqlite")
def _audience_in_sqlite(element: AudienceIn, compiler: Any, **kw: Any) -> str:
    own = compiler.process(element.own, **kw)
    public = compiler.process(element.public, **kw)
    return f"({public} OR {own})" if element.flag else f"({own} OR {public})"


@compiles(AudienceIn)
def _audience_in_probe(element: AudienceIn, compiler: Any, **kw: Any) -> str:
    # PostgreSQL: a correlated EXISTS, one probe of the table's key per row read (or one hash
    # of the table for a walk the planner expects to be long, as it chooses). Not the
    # ``public`` flag: under READ COMMITTED, evidence written while its space's visibility
    # changes could be flagged by the old state (each trigger misses the other transaction's
    # uncommitted rows). Not ``IN (SELECT ...)`` either: PostgreSQL hashes the whole table in
    # every statement (0.90 ms of the blog widget's execution, against 0.14 probing).
    own = compiler.process(element.own, **kw)
    audience = compiler.process(element.audience, **kw)
    table = PUBLIC_AUDIENCES.name
    return f"({own} OR EXISTS (SELECT 1 FROM {table} WHERE {table}.principal = {audience}))"


@dataclass(frozen=True)
class ScopeParameter:
    """A reader's scope as named parameters, for a statement built once and run many times:
    ``visible(column, parameter)`` compares with it, and the statement runs with
    ``parameter.values(scope)``. Building a statement (SQLAlchemy's constructs and their cache
    key) cost as much as running it: the home stream's 0.67 ms of 1.37 (docs/performance.md).

    Statements differ by the scope's form (whether it carries ``own``, a rollout rule, a set
    large enough for PostgreSQL to plan differently), so a statement is built per
    :meth:`of`'s value: keep them in a dict or ``functools.cache`` keyed by it."""

    name: str
    own: bool
    large: bool  # of the set the statements compare: ``own`` when there is one
    plugins: bool

    @classmethod
    def of(cls, principals: frozenset[str], name: str = "scope") -> ScopeParameter:
        """The parameter of ``principals``' form."""
        own = getattr(principals, "own", None)
        compared = principals if own is None else own
        return cls(
            name, own is not None, sql_sets.large_set(compared), plugins_of(principals) is not None
        )

    def values(self, principals: frozenset[str]) -> dict[str, Any]:
        """The statement's parameter values for ``principals`` (of this form)."""
        values: dict[str, Any] = {}
        if self.own:  # the public spaces are read from their table (audience_in)
            values[f"{self.name}_own"] = principals.own  # type: ignore[attr-defined]
        else:
            values[self.name] = principals
        if self.plugins:
            values[f"{self.name}_plugins"] = plugins_of(principals)
        return values


def audience_in(
    audience: ColumnElement[Any],
    principals: frozenset[str] | ScopeParameter,
    *,
    public: ColumnElement[bool] | None = None,
) -> ColumnElement[bool]:
    """``audience`` (a column, or an expression of one) among ``principals`` (or the scope a
    :class:`ScopeParameter` stands for).

    For a scope that carries ``own`` (a signed-in reader's), the audience is compared with
    those few and the public spaces' principals are read from their table through its key,
    one probe a row, instead of a ~2,280-value set in each statement: on SQLite the set cost
    ~0.35 ms a statement to build at the seeds' 5,000 spaces; on PostgreSQL ~1 ms to parse
    and plan (its planner estimates ``= ANY(array)`` value by value), the home page at 100,000
    activities 58.0 -> 49.7 ms (docs/performance.md, 2026-12-07).

    ``public``, a column of the same rows that the database keeps equal to "the audience is
    a public space's" (``rse_expertise.public``, core_0029), is read on SQLite instead of the
    probe; PostgreSQL probes (see ``_audience_in_probe``)."""
    if isinstance(principals, ScopeParameter):
        name = principals.name
        if not principals.own:
            return sql_sets.in_set(audience, sql_sets.set_parameter(name), large=principals.large)
        own_set = sql_sets.set_parameter(f"{name}_own")
        own_in = sql_sets.in_set(audience, own_set, large=principals.large)
        return AudienceIn(audience, own_in, public)
    own = getattr(principals, "own", None)
    if own is None:
        return sql_sets.in_set(audience, principals)
    return AudienceIn(audience, sql_sets.in_set(audience, own), public)


def plugin_in(
    column: ColumnElement[Any], principals: frozenset[str] | ScopeParameter
) -> ColumnElement[bool] | None:
    """``column`` (an item's plugin) among the plugins the reader may see, from a scope or the
    :class:`ScopeParameter` standing for it; None when there is no rollout rule."""
    if isinstance(principals, ScopeParameter):
        if not principals.plugins:
            return None
        return sql_sets.in_set(column, sql_sets.set_parameter(f"{principals.name}_plugins"))
    plugins = plugins_of(principals)
    return None if plugins is None else sql_sets.in_set(column, plugins)


def within_spaces(principals: frozenset[str], space_ids: Iterable[int]) -> frozenset[str]:
    """The principals that can match an item of these spaces: theirs (those held) and those
    naming no space (everyone, the reader), with the same plugins. A subset, so it never shows
    more; for a read limited to these spaces, whose items all carry their space's principal,
    it shows the same rows, with a handful of values instead of every public space (what the
    database builds or plans for each statement: docs/performance.md)."""
    unplaced = getattr(principals, "unplaced", None) or _unplaced(principals)
    held = {own for own in (f"space:{space_id}" for space_id in space_ids) if own in principals}
    return ReadScope(unplaced | held, plugins_of(principals))


def _unplaced(principals: Iterable[str]) -> frozenset[str]:
    """The principals naming no space (everyone, the reader)."""
    return frozenset(p for p in principals if not p.startswith("space:"))


def plugins_of(principals: frozenset[str]) -> frozenset[str] | None:
    """The plugins whose items ``principals`` may see (None: every plugin's)."""
    return getattr(principals, "plugins", None)


@dataclass(frozen=True)
class UserAccess:
    """What one request needs to answer permission questions about its user, loaded once."""

    user: User | None
    roles: Mapping[int, str]  # space id -> role
    public_space_ids: frozenset[int]
    #: The plugins active for the user (enabled for an audience they belong to).
    plugins: frozenset[str] = frozenset()

    @cached_property
    def principals(self) -> ReadScope:
        """Read principals (everyone, the user, member spaces and public spaces), with the
        plugins whose items the user may see."""
        if self.user is None:
            return ReadScope((), ())
        own = self.member_principals
        public = (f"space:{space}" for space in self.public_space_ids)
        return ReadScope({*own, *public}, self.plugins, own=own)

    @property
    def member_principals(self) -> frozenset[str]:
        """Principals from membership only: who belongs to a rollout audience."""
        if self.user is None:
            return frozenset()
        return frozenset(
            {EVERYONE, f"user:{self.user.id}", *(f"space:{space}" for space in self.roles)}
        )


def load_access(
    session: Session, user: User | None, states: Mapping[str, PluginState] | None = None
) -> UserAccess:
    """Load a user's memberships, the public spaces and the plugins active for them (three
    small indexed queries; ``states``, the installed plugins' enablement, saves the third).
    Web requests use the worker's copy of these instead (``web.context.access``)."""
    if user is None:
        return UserAccess(None, {}, frozenset())
    roles = dict(
        session.execute(
            select(Membership.space_id, Membership.role).where(Membership.user_id == user.id)
        ).all()
    )
    states = load_states(session) if states is None else states
    return access_of(user, roles, public_space_ids(session), states)


def public_space_ids(session: Session) -> frozenset[int]:
    """The ids of the public spaces (every employee reads them)."""
    query = select(Space.id).where(Space.visibility == "public")
    return frozenset(session.execute(query).scalars())


def access_of(
    user: User | None,
    roles: Mapping[int, str],
    public: frozenset[int],
    states: Mapping[str, PluginState],
) -> UserAccess:
    """A user's access from their roles, the public spaces and the plugins' enablement."""
    if user is None:
        return UserAccess(None, {}, frozenset())
    access = UserAccess(user, roles, public)
    return UserAccess(user, roles, public, active_names(states, access.member_principals))


def principals_for(session: Session, user: User | None) -> frozenset[str]:
    """The read principals of ``user`` (empty for an anonymous visitor)."""
    return load_access(session, user).principals


def can_read_space(access: UserAccess, space: Space) -> bool:
    """Public spaces are read by every employee; private and secret ones by members only."""
    if access.user is None:
        return False
    return space.visibility == "public" or space.id in access.roles


def can_see_space_exists(access: UserAccess, space: Space) -> bool:
    """Secret spaces exist only for their members and site admins."""
    if access.user is None:
        return False
    return space.visibility != "secret" or space.id in access.roles or bool(access.user.is_admin)


def overrides(session: Session, space_id: int | None) -> dict[str, tuple[str, ...]]:
    """Permission -> roles overridden for one space (or site-wide when ``space_id`` is None)."""
    condition = (
        PermissionOverride.space_id.is_(None)
        if space_id is None
        else PermissionOverride.space_id == space_id
    )
    rows = session.execute(select(PermissionOverride).where(condition)).scalars()
    return {row.permission: tuple(json.loads(row.roles)) for row in rows}


def set_override(
    session: Session,
    registry: Mapping[str, Permission],
    space_id: int | None,
    permission: str,
    roles: tuple[str, ...] | None,
) -> None:
    """Set (or with ``roles=None`` reset to the default) the roles holding a permission."""
    if permission not in registry:
        raise ValidationError({"permission": "Unknown permission."})
    if roles is not None and not set(roles) <= set(GRANTABLE_ROLES):
        raise ValidationError({"roles": f"Roles are among {', '.join(GRANTABLE_ROLES)}."})
    condition = (
        PermissionOverride.space_id.is_(None)
        if space_id is None
        else PermissionOverride.space_id == space_id
    )
    row = session.execute(
        select(PermissionOverride).where(condition, PermissionOverride.permission == permission)
    ).scalar_one_or_none()
    if roles is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        row = PermissionOverride(space_id=space_id, permission=permission)
        session.add(row)
    row.roles = json.dumps(sorted(set(roles)))


def user_can(
    session: Session | None,
    registry: Mapping[str, Permission],
    access: UserAccess,
    permission: str,
    space: Space | None = None,
    *,
    overrides_of: Callable[[int | None], Mapping[str, tuple[str, ...]]] | None = None,
) -> bool:
    """The one permission check. Unknown permissions are refused (fail closed).

    ``overrides_of(space_id)`` gives the overrides (a worker's copy, for web requests);
    without it they are read in ``session``."""
    user = access.user
    declared = registry.get(permission)
    if user is None or not user.is_active or declared is None:
        return False
    if overrides_of is None:
        if session is None:
            raise TypeError("user_can needs a session or overrides_of")
        overrides_of = partial(overrides, session)
    if space is None:
        if user.is_admin:
            return True
        roles = overrides_of(None).get(permission, declared.default_roles)
        return EVERYONE in roles
    if declared.admins and user.is_admin:
        return True
    if not can_read_space(access, space):
        return False
    roles = overrides_of(space.id).get(permission, declared.default_roles)
    role = access.roles.get(space.id)
    return EVERYONE in roles or (role is not None and role in roles)

"""Small value types that hooks return: what a plugin hands to the core."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    """An entry in the site header's navigation.

    ``label`` is plain text (escaped when rendered); ``href`` a local path;
    ``order`` sorts entries (lower first).
    """

    label: str
    href: str
    order: int = 100


@dataclass(frozen=True)
class Permission:
    """A named permission a plugin declares.

    ``name`` is dotted and starts with the plugin name (``blog.post``); ``default_roles`` are
    the space roles that hold it unless a space owner changes that (``member``,
    ``moderator``, ``owner``); ``everyone`` grants it to every signed-in employee who can
    read the space. ``admins`` gives it to site admins on every space (for management
    permissions only: it never lets an admin read a private space).
    """

    name: str
    description: str
    default_roles: tuple[str, ...] = ("member", "moderator", "owner")
    admins: bool = False


@dataclass(frozen=True)
class SpaceTab:
    """A tab on a space's pages: ``label`` (plain text), ``href`` (local path), ``order``."""

    label: str
    href: str
    order: int = 100

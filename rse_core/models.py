"""Every core table, imported together so ``Base.metadata`` is complete (for alembic's
autogenerate and the schema drift test)."""

from .enablement import PluginLogRow, PluginStateRow
from .identity.models import (
    ApiToken,
    AuthSession,
    LoginFailure,
    Membership,
    PermissionOverride,
    Space,
    SpaceRequest,
    User,
    UserSkill,
)
from .meta import MetaRow

__all__ = [
    "ApiToken",
    "AuthSession",
    "LoginFailure",
    "Membership",
    "MetaRow",
    "PermissionOverride",
    "PluginLogRow",
    "PluginStateRow",
    "Space",
    "SpaceRequest",
    "User",
    "UserSkill",
]

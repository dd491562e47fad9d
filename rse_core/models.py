"""Every core table, imported together so ``Base.metadata`` is complete (for alembic's
autogenerate and the schema drift test)."""

from .adoption import (
    AdoptionActive,
    AdoptionPhase,
    AdoptionSpaceActive,
    AdoptionSpacePlugin,
    AdoptionSpaceTotal,
    AdoptionSpaceWeek,
    AdoptionTop,
    AdoptionWeek,
    UserDay,
)
from .community import Announcement
from .content import Activity, Content, ContentTag, SearchOutbox
from .digests import DigestSubscription
from .enablement import PluginLogRow, PluginStateRow
from .identity.models import (
    ApiToken,
    AuthSession,
    FeedToken,
    LoginFailure,
    Membership,
    PermissionOverride,
    Space,
    SpaceRequest,
    User,
    UserSkill,
)
from .jobs.models import JobRow, JobScheduleRow
from .meta import MetaRow
from .moderation import Decision, Report
from .notifications import Notification, NotificationPreference
from .social import Comment, Follow, Reaction
from .webhooks import Delivery, Webhook

__all__ = [
    "Activity",
    "AdoptionActive",
    "AdoptionPhase",
    "AdoptionSpaceActive",
    "AdoptionSpacePlugin",
    "AdoptionSpaceTotal",
    "AdoptionSpaceWeek",
    "AdoptionTop",
    "AdoptionWeek",
    "Announcement",
    "ApiToken",
    "AuthSession",
    "Comment",
    "Content",
    "ContentTag",
    "Decision",
    "Delivery",
    "DigestSubscription",
    "FeedToken",
    "Follow",
    "JobRow",
    "JobScheduleRow",
    "LoginFailure",
    "Membership",
    "MetaRow",
    "Notification",
    "NotificationPreference",
    "PermissionOverride",
    "PluginLogRow",
    "PluginStateRow",
    "Reaction",
    "Report",
    "SearchOutbox",
    "Space",
    "SpaceRequest",
    "User",
    "UserDay",
    "UserSkill",
    "Webhook",
]

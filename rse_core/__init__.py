"""rse core: identity, permissions, activity, search and the plugin framework.

Plugins import only what this module exports (``__all__``) and implement the hooks in
:mod:`rse_core.hookspecs`.
"""

from ._version import __version__
from .activity import StreamEntry
from .app import create_app, create_runtime
from .content import (
    Content,
    ContentTag,
    announce_status,
    carries_tag,
    get_visible,
    publish,
    set_search_text,
    tag_tally,
    tagged,
    trending_tags,
    visible,
)
from .content import delete as delete_content
from .content import restore as restore_content
from .content import update as update_content
from .db import Base, UTCDateTime, utcnow
from .enablement import EVERYONE
from .expertise import experts as find_experts
from .expertise import explain as explain_evidence
from .expertise import refresh_expertise
from .hookspecs import hookimpl, hookspec
from .hooktypes import (
    BlobSource,
    Evidence,
    EvidenceKind,
    ExportTable,
    Job,
    JobContext,
    NavItem,
    Permission,
    SpaceTab,
)
from .i18n import N_, language, translate
from .identity.accounts import deactivate_user
from .identity.lookup import audience_size, people_and_spaces
from .identity.models import Space, User
from .identity.spaces import Forbidden, NotFound
from .identity.spaces import get_space as find_space
from .identity.sso import (
    ClaimNames,
    SignInRefused,
    linked_user_ids,
    user_for_claims,
)
from .jobs.queue import cancel as cancel_job
from .jobs.queue import enqueue as enqueue_job
from .markdown import HASHTAG, excerpt, hashtags, render_markdown
from .net import (
    FETCH_SCHEMES,
    Resolver,
    UnsafeURL,
    checked_address,
    is_public_address,
    pinned_request,
    system_resolver,
)
from .notifications import notify, notify_mentions
from .permissions import ScopeParameter, principals_for, within_spaces
from .runtime import Runtime
from .search.documents import Document as SearchDocument
from .settings import Settings
from .social import find_comment, followed
from .sql_sets import in_set, large_set, set_form, set_parameter
from .validation import Conflict, ValidationError, clean_tags, clean_text, slugify
from .web import parse_id
from .web.atom import AtomEntry, atom_response, feed_key, feed_reader
from .web.auth import signed_in_response
from .web.content_pages import may_moderate, render_social
from .web.context import (
    access,
    active_plugins,
    call_hook,
    can,
    current_user,
    member_spaces,
    principals,
    public_base,
    reading_page,
    runtime,
    write,
)
from .web.contract import FILE_PART as API_FILE_PART
from .web.contract import MAX_ID, api, api_routes
from .web.contract import Binary as ApiBinary
from .web.contract import Body as ApiBody
from .web.contract import Id as ApiId
from .web.contract import Int as ApiInt
from .web.contract import Link as ApiLink
from .web.contract import Query as ApiQuery
from .web.contract import Shape as ApiShape
from .web.contract import Text as ApiText
from .web.errors import ApiError
from .web.flash import flash
from .web.search_pages import search_visible
from .web.tally import most_common, most_first, shared_tally, shared_top, sum_counters
from .web.templating import render, render_fragment, static_url
from .web.times import time_zone

__all__ = [
    "API_FILE_PART",
    "EVERYONE",
    "FETCH_SCHEMES",
    "HASHTAG",
    "MAX_ID",
    "N_",
    "ApiBinary",
    "ApiBody",
    "ApiError",
    "ApiId",
    "ApiInt",
    "ApiLink",
    "ApiQuery",
    "ApiShape",
    "ApiText",
    "AtomEntry",
    "Base",
    "BlobSource",
    "ClaimNames",
    "Conflict",
    "Content",
    "ContentTag",
    "Evidence",
    "EvidenceKind",
    "ExportTable",
    "Forbidden",
    "Job",
    "JobContext",
    "NavItem",
    "NotFound",
    "Permission",
    "Resolver",
    "Runtime",
    "ScopeParameter",
    "SearchDocument",
    "Settings",
    "SignInRefused",
    "Space",
    "SpaceTab",
    "StreamEntry",
    "UTCDateTime",
    "UnsafeURL",
    "User",
    "ValidationError",
    "__version__",
    "access",
    "active_plugins",
    "announce_status",
    "api",
    "api_routes",
    "atom_response",
    "audience_size",
    "call_hook",
    "can",
    "cancel_job",
    "carries_tag",
    "checked_address",
    "clean_tags",
    "clean_text",
    "create_app",
    "create_runtime",
    "current_user",
    "deactivate_user",
    "delete_content",
    "enqueue_job",
    "excerpt",
    "explain_evidence",
    "feed_key",
    "feed_reader",
    "find_comment",
    "find_experts",
    "find_space",
    "flash",
    "followed",
    "get_visible",
    "hashtags",
    "hookimpl",
    "hookspec",
    "in_set",
    "is_public_address",
    "language",
    "large_set",
    "linked_user_ids",
    "may_moderate",
    "member_spaces",
    "most_common",
    "most_first",
    "notify",
    "notify_mentions",
    "parse_id",
    "people_and_spaces",
    "pinned_request",
    "principals",
    "principals_for",
    "public_base",
    "publish",
    "reading_page",
    "refresh_expertise",
    "render",
    "render_fragment",
    "render_markdown",
    "render_social",
    "restore_content",
    "runtime",
    "search_visible",
    "set_form",
    "set_parameter",
    "set_search_text",
    "shared_tally",
    "shared_top",
    "signed_in_response",
    "slugify",
    "static_url",
    "sum_counters",
    "system_resolver",
    "tag_tally",
    "tagged",
    "time_zone",
    "translate",
    "trending_tags",
    "update_content",
    "user_for_claims",
    "utcnow",
    "visible",
    "within_spaces",
    "write",
]

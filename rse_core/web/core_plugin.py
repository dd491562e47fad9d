"""The core's own hook implementations: it uses the same contract as every plugin."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.routing import BaseRoute

from ..adoption import ADOPTION
from ..digests import DIGEST
from ..expertise import CORE_KINDS, REBUILD_JOB
from ..hookspecs import hookimpl
from ..hooktypes import EvidenceKind, ExportTable, Job, NavItem, Permission
from ..identity.accounts import authenticate_local
from ..identity.demo import load_core_demo
from ..identity.models import User
from ..mail import MAIL
from ..permissions import CORE_PERMISSIONS
from ..search.documents import Document, core_documents
from ..settings import Settings
from ..webhooks import WEBHOOKS
from . import (
    admin,
    adoption_pages,
    api,
    auth,
    community_pages,
    content_pages,
    digest_pages,
    expertise_pages,
    jobs_admin,
    moderation_pages,
    notifications_pages,
    openapi,
    pages,
    password_reset,
    people,
    scim,
    search_pages,
    spaces,
    sso,
    stream,
    users_admin,
    webhook_pages,
)
from .context import current_user


@hookimpl
def rse_routes(settings: Settings) -> list[BaseRoute]:
    """Core pages: home, sign-in, people, spaces and administration."""
    return [
        *pages.ROUTES,
        *auth.ROUTES,
        *sso.ROUTES,
        *scim.ROUTES,
        *password_reset.ROUTES,
        *people.ROUTES,
        *expertise_pages.ROUTES,
        *spaces.ROUTES,
        *stream.ROUTES,
        *content_pages.ROUTES,
        *notifications_pages.ROUTES,
        *search_pages.ROUTES,
        *admin.PAGE_ROUTES,
        *jobs_admin.PAGE_ROUTES,
        *webhook_pages.PAGE_ROUTES,
        *users_admin.ROUTES,
        *moderation_pages.PAGE_ROUTES,
        *adoption_pages.ROUTES,
        *community_pages.PAGE_ROUTES,
        *digest_pages.ROUTES,
    ]


@hookimpl
def rse_api_routes(settings: Settings) -> list[BaseRoute]:
    """Core API routes and the OpenAPI document."""
    return [
        *api.ROUTES,
        *stream.API_ROUTES,
        *content_pages.API_ROUTES,
        *expertise_pages.API_ROUTES,
        *notifications_pages.API_ROUTES,
        *moderation_pages.API_ROUTES,
        *community_pages.API_ROUTES,
        *digest_pages.API_ROUTES,
        *search_pages.API_ROUTES,
        *admin.API_ROUTES,
        *jobs_admin.API_ROUTES,
        *openapi.ROUTES,
    ]


@hookimpl
def rse_jobs() -> list[Job]:
    """The core's background jobs: sending mail and digests, the adoption figures,
    rebuilding expertise, delivering webhooks."""
    return [MAIL, DIGEST, ADOPTION, REBUILD_JOB, WEBHOOKS]


@hookimpl
def rse_permissions() -> list[Permission]:
    """The core's permissions (spaces)."""
    return list(CORE_PERMISSIONS)


@hookimpl
def rse_export_tables() -> list[ExportTable]:
    """The core's tables: people, spaces, content and its activity, the rollout, figures;
    no password hashes, sessions, tokens or queues."""
    carried = [
        "rse_user_skill", "rse_space", "rse_membership", "rse_space_request",
        "rse_permission_override", "rse_external_identity", "rse_content", "rse_content_tag",
        "rse_activity", "rse_comment", "rse_reaction", "rse_follow", "rse_notification",
        "rse_notification_pref", "rse_hidden_topic", "rse_digest", "rse_moderation",
        "rse_report", "rse_announcement", "rse_plugin_state", "rse_plugin_log",
        "rse_job", "rse_job_schedule", "rse_expertise", "rse_expertise_total",
        "rse_item_evidence", "rse_user_day", "rse_adoption_week", "rse_adoption_space_week",
        "rse_adoption_space_total", "rse_adoption_space_plugin", "rse_adoption_space_active",
        "rse_adoption_active", "rse_adoption_top", "rse_adoption_phase",
    ]  # fmt: skip
    secret = "a secret of this installation: people make new ones"
    return [
        ExportTable("rse_user", leave_out=("password_hash",)),
        *(ExportTable(name) for name in carried),
        ExportTable("rse_session", skip=True, why="signed-in browsers: people sign in again"),
        ExportTable("rse_api_token", skip=True, why=secret),
        ExportTable("rse_feed_token", skip=True, why=secret),
        ExportTable("rse_login_failure", skip=True, why="sign-in throttling of the last minutes"),
        ExportTable("rse_search_outbox", skip=True, why="the index is rebuilt from the rest"),
        ExportTable("rse_generation", skip=True, why="a counter of this installation's caches"),
        ExportTable("rse_meta", skip=True, why="this installation's own markers"),
        ExportTable("rse_webhook", skip=True, why="integrations and their secrets: register again"),
        ExportTable("rse_webhook_delivery", skip=True, why="the delivery log of those"),
    ]


@hookimpl(trylast=True)
def rse_authenticate(session: Session, username: str, password: str) -> User | None:
    """Local accounts with argon2id password hashes (runs after directory plugins)."""
    return authenticate_local(session, username, password)


@hookimpl(tryfirst=True)
def rse_demo_data(session: Session, settings: Settings) -> None:
    """Employees, departments, skills and spaces, before plugins add their content."""
    load_core_demo(session)


@hookimpl
def rse_evidence_kinds() -> list[EvidenceKind]:
    """The core's evidence of expertise: declared skills and likes received."""
    return list(CORE_KINDS)


@hookimpl
def rse_content_types() -> dict[str, str]:
    """People and spaces are found by search beside the plugins' items."""
    return {"person": "Person", "space": "Space"}


@hookimpl
def rse_index_documents(session: Session) -> Iterator[Document]:
    """The content registry's items, with their comments, and the people."""
    return core_documents(session)


@hookimpl
def rse_nav_items(request: Request) -> list[NavItem]:
    """Home, People and Spaces for everyone signed in; Administration for admins."""
    user = current_user(request)
    if user is None:
        return []
    items = [
        NavItem("Home", "/", 0),
        NavItem("People", "/people", 10),
        NavItem("Spaces", "/spaces", 20),
    ]
    if user.is_community_manager:
        items.append(NavItem("Moderation", "/moderation", 990))
        if not user.is_admin:  # admins reach it from the administration's tabs
            items.append(NavItem("Adoption", "/admin/adoption", 995))
    if user.is_admin:
        items.append(NavItem("Administration", "/admin/plugins", 1000))
    return items

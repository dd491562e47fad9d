"""Hook implementations of the LDAP plugin: sign-in with the directory password, the hourly
directory sync (while the plugin is enabled), and ``rse ldap sync``/``rse ldap check``."""

from __future__ import annotations

import logging
from datetime import timedelta

import click
from sqlalchemy.orm import Session
from starlette.requests import Request

from rse_core import (
    ExportTable,
    Job,
    JobContext,
    Settings,
    SignInRefused,
    User,
    create_runtime,
    hookimpl,
    runtime,
    user_for_claims,
)

from .directory import Directory, DirectoryError
from .sync import NAMES, sync

log = logging.getLogger(__name__)


@hookimpl(tryfirst=True)
def rse_authenticate(
    request: Request, session: Session, username: str, password: str
) -> User | None:
    """The directory checks the password (a bind as the person); their account is created
    or updated from the directory. Unreachable directory: None, so local passwords (site
    admins') still work."""
    directory = Directory.from_settings(runtime(request).settings)
    if directory is None:
        return None
    try:
        claims = directory.authenticate(username, password)
    except DirectoryError:
        log.warning("the directory could not be reached for a sign-in", exc_info=True)
        return None
    if claims is None:
        return None
    try:
        return user_for_claims(
            session, directory.source, claims, create=directory.create_accounts, names=NAMES
        )
    except SignInRefused as refused:
        log.info("directory sign-in refused for %s: %s", username, refused.message)
        return None


def _sync_job(ctx: JobContext) -> None:
    directory = Directory.from_settings(ctx.runtime.settings)
    if directory is not None:
        report = sync(ctx.runtime, directory)
        log.info("directory sync: %s", report)


@hookimpl
def rse_jobs() -> list[Job]:
    """The hourly directory sync (runs while the plugin is enabled)."""
    return [Job("ldap.sync", _sync_job, every=timedelta(hours=1), lease=timedelta(minutes=10))]


@hookimpl
def rse_cli(cli: click.Group) -> None:
    """``rse ldap check`` and ``rse ldap sync``."""

    @cli.group()
    def ldap() -> None:
        """The company directory (LDAP, Active Directory)."""

    def _directory() -> tuple[object, Directory]:
        rt = create_runtime(Settings.load().ensure_secret_key())
        directory = Directory.from_settings(rt.settings)
        if directory is None:
            raise click.ClickException("Set ldap_url and ldap_base_dn first (rse.toml).")
        return rt, directory

    @ldap.command("check")
    def check() -> None:
        """Count the people the directory's filter finds (nothing is changed)."""
        _rt, directory = _directory()
        try:
            count = sum(1 for _ in directory.people())
        except DirectoryError as exc:
            raise click.ClickException(f"the directory answered: {exc}") from None
        click.echo(f"{directory.url}: {count} people under {directory.base_dn}")

    @ldap.command("sync")
    def sync_now() -> None:
        """Create and update accounts from the directory; deactivate those who left it."""
        rt, directory = _directory()
        try:
            report = sync(rt, directory)
        except DirectoryError as exc:
            raise click.ClickException(f"the directory answered: {exc}") from None
        click.echo(
            f"{report.seen} people in the directory, {report.linked} new to rse,"
            f" {report.deactivated} deactivated (left it), {report.refused} left as they are"
        )


@hookimpl
def rse_export_tables() -> list[ExportTable]:
    """None: the plugin keeps its links in the core's table."""
    return []

"""The ``rse`` command line: set up, serve, load demo data and manage plugins."""

from __future__ import annotations

import getpass
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import inspect

from . import migrate as migrations
from .app import CORE_PLUGINS, create_runtime
from .demo import load_demo
from .enablement import EVERYONE
from .identity.accounts import create_user, get_user, set_password
from .identity.spaces import audience_for_slugs, describe_audience
from .identity.tokens import create_token
from .plugins import make_plugin_registry
from .runtime import PluginUnavailable, Runtime, UnknownPlugin, change_plugin
from .search.documents import count_documents
from .settings import Settings
from .validation import ValidationError
from .web.admin import plugin_rows

T = TypeVar("T")

console = Console()


def _runtime() -> Runtime:
    return create_runtime(Settings.load().ensure_secret_key())


def _cli_actor() -> str:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return f"cli:{who}"


@click.group()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Data directory (default ./var; also RSE_DATA_DIR).",
)
def cli(data_dir: str | None) -> None:
    """rse: an enterprise social network built from plugins."""
    if data_dir:
        os.environ["RSE_DATA_DIR"] = data_dir  # seen by uvicorn workers too


@cli.command()
def init() -> None:
    """Create the data dir, the database and run every migration (safe to run again)."""
    rt = _runtime()
    heads = migrations.upgrade(rt.db, rt.plugins)
    console.print(f"[green]ready[/] data dir {rt.settings.data_dir}")
    for component, revisions in heads.items():
        console.print(f"  {component}: {', '.join(revisions) or '-'}")


@cli.command()
def migrate() -> None:
    """Upgrade the database of the core and every installed plugin to the latest revision."""
    rt = _runtime()
    for component, revisions in migrations.upgrade(rt.db, rt.plugins).items():
        console.print(f"{component}: {', '.join(revisions) or '-'}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Migrate, then serve the intranet with uvicorn."""
    import uvicorn

    rt = _runtime()
    migrations.upgrade(rt.db, rt.plugins)
    rt.db.dispose()
    console.print(f"serving on http://{host}:{port} ({workers} worker(s))")
    uvicorn.run(
        "rse_core.app:serving_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        log_level="info",
    )


@cli.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Back up the database and the data directory into the new folder PATH, while serving."""
    from .backup import BackupError
    from .backup import backup as take_backup

    started = time.perf_counter()
    try:
        manifest = take_backup(_runtime(), path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(
        f"[green]backed up[/] {manifest.users} people and {manifest.items} items"
        f" ({manifest.database}) into {path} in {time.perf_counter() - started:.1f} s"
    )


@cli.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite an installation that holds people.")
def restore(path: Path, replace: bool) -> None:
    """Restore the backup in PATH into this (stopped) installation, then migrate it."""
    from .backup import BackupError
    from .backup import restore as put_back

    try:
        manifest = put_back(Settings.load(), path, replace=replace)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rt = _runtime()
    migrations.upgrade(rt.db, rt.plugins)
    console.print(
        f"[green]restored[/] {manifest.users} people and {manifest.items} items from"
        f" {manifest.created_at} (rse {manifest.rse_version}); the search index is rebuilt at"
        " the next start"
    )


@cli.command("export")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
def export_command(path: Path) -> None:
    """Write all the data (JSON Lines and blobs, docs/export.md) into the new folder PATH."""
    from .export import ExportError, export

    started = time.perf_counter()
    try:
        summary = export(_runtime(), path)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(
        f"[green]exported[/] {summary.people} people, {summary.rows} rows of {summary.tables}"
        f" tables and {summary.blobs} blobs into {path} in {time.perf_counter() - started:.1f} s"
    )
    if summary.undeclared:
        console.print(
            "[yellow]exported whole, no plugin names them:[/] " + ", ".join(summary.undeclared)
        )


@cli.command("import")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Load the export in PATH into this empty installation (migrated first)."""
    from .export import ExportError, import_

    started = time.perf_counter()
    rt = _runtime()
    migrations.upgrade(rt.db, rt.plugins)
    try:
        summary = import_(rt, path)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(
        f"[green]imported[/] {summary.people} people, {summary.rows} rows of {summary.tables}"
        f" tables and {summary.blobs} blobs in {time.perf_counter() - started:.1f} s; the"
        " search index is built at the next start. Passwords are not carried: people sign"
        " in through single sign-on or ask for a new password; `rse users set-password"
        " USERNAME` lets a first admin in."
    )


@cli.command()
def demo() -> None:
    """Load demo data once and enable every installed plugin for everyone."""
    rt = _runtime()
    migrations.upgrade(rt.db, rt.plugins)
    loaded, logins = load_demo(rt, actor=_cli_actor())
    console.print("demo data loaded" if loaded else "demo data was already loaded")
    for line in logins:
        console.print(line)


@cli.group()
def plugins() -> None:
    """List, enable and disable plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins_list(as_json: bool) -> None:
    """Installed plugins with their version, state and audience."""
    rt = _runtime()
    # Before the first migration there is no state to read (pending migrations of a plugin
    # installed since, or of a newer core, do not hide the states already recorded).
    with rt.db.engine.connect() as connection:
        states = None if inspect(connection).has_table("rse_plugin_state") else {}
    rows = plugin_rows(rt, states)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("name", "version", "enabled", "audience", "distribution")
    for row in rows:
        if row["loaded"]:
            enabled = "yes" if row["enabled"] else "no"
            audience = ", ".join(row["audience_names"]) if row["enabled"] else ""
        else:
            enabled, audience = f"[red]{row['status']}[/]", row["error"]
        table.add_row(row["name"], row["version"], enabled, audience, row["distribution"])
    console.print(table)


def _change(name: str, enabled: bool, audience: tuple[str, ...]) -> None:
    rt = _runtime()
    before = rt.plugin_states().get(name)
    try:
        state = change_plugin(rt, name, enabled=enabled, audience=audience, actor=_cli_actor())
    except UnknownPlugin:
        raise click.ClickException(
            f"no installed plugin is named {name!r} (see: rse plugins list)"
        ) from None
    except PluginUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    with rt.db.read() as session:
        was = describe_audience(session, before.audience if before and before.enabled else ())
        now = describe_audience(session, state.audience if state.enabled else ())
    console.print(f"{name}: {was} -> {now}", highlight=False)


@plugins.command("enable")
@click.argument("name")
@click.option("--spaces", default="", help="Comma-separated space slugs: a pilot audience.")
def plugins_enable(name: str, spaces: str) -> None:
    """Enable plugin NAME for everyone, or only for the members of --spaces."""
    audience: tuple[str, ...] = (EVERYONE,)
    if spaces:
        rt = _runtime()
        with rt.db.read() as session:
            try:
                audience = tuple(audience_for_slugs(session, spaces.split(",")))
            except ValidationError as exc:
                raise click.ClickException(exc.fields["spaces"]) from None
    _change(name, True, audience)


@plugins.command("disable")
@click.argument("name")
def plugins_disable(name: str) -> None:
    """Disable plugin NAME (its data stays)."""
    _change(name, False, ())


@cli.group()
def users() -> None:
    """Manage accounts."""


@users.command("create")
@click.argument("username")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Make the account a site admin.")
@click.option("--name", "display_name", default="", help='Full name, e.g. "Alice Martin".')
def users_create(username: str, email: str, password: str, admin: bool, display_name: str) -> None:
    """Create an account (the password is prompted for when not given)."""
    rt = _runtime()
    try:
        with rt.db.write() as session:
            user = create_user(
                session,
                username,
                email=email,
                password=password,
                display_name=display_name,
                is_admin=admin,
            )
            created = user.username
    except ValidationError as exc:
        raise click.ClickException(
            "; ".join(f"{field}: {message}" for field, message in exc.fields.items())
        ) from None
    console.print(f"created {'admin' if admin else 'user'} {created}")


@users.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_set_password(username: str, password: str) -> None:
    """Set USERNAME's password (prompted for when not given) and end their sessions: the way
    in after `rse import`, which carries no passwords, or for an admin locked out."""
    _change_user(username, lambda session, user: set_password(session, user, password))
    console.print(f"[green]password set[/] for {username}")


@users.command("erase")
@click.argument("username")
@click.option(
    "--remove-contributions",
    is_flag=True,
    help="Remove what they wrote too (items, comments, likes); else it stays, unsigned.",
)
@click.confirmation_option(prompt="Erase this person's personal data for good?")
def users_erase(username: str, remove_contributions: bool) -> None:
    """Erase a person's personal data (GDPR); their account remains as a former employee's."""
    from .erasure import erase

    def erase_them(session: Any, user: Any) -> str:
        erase(session, user, remove_contributions=remove_contributions)
        return user.username

    former = _change_user(username, erase_them)
    console.print(f"[green]erased[/] {username}: now {former}")


def _change_user(username: str, change: Callable[[Any, Any], T]) -> T:
    """Run ``change(session, user)`` for USERNAME in one write; a missing account or a refused
    change ends the command with its message."""
    rt = _runtime()
    try:
        with rt.db.write() as session:
            user = get_user(session, username)
            if user is None:
                raise click.ClickException(f"no such user: {username}")
            return change(session, user)
    except ValidationError as exc:
        raise click.ClickException(next(iter(exc.fields.values()))) from None


@cli.group()
def tokens() -> None:
    """Manage personal access tokens."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
def tokens_create(username: str, name: str) -> None:
    """Create a token for USERNAME; the token is printed as the last line."""
    rt = _runtime()
    with rt.db.write() as session:
        user = get_user(session, username)
        if user is None or not user.is_active:
            raise click.ClickException(f"no active user is named {username!r}")
        _row, secret = create_token(session, user, name)
    click.echo(f"token {name!r} for {user.username} (shown once):", err=True)
    click.echo(secret)


@cli.group()
def search() -> None:
    """Rebuild, check and feed the search index."""


def _search_runtime() -> Runtime:
    rt = _runtime()
    if rt.search is None:
        raise click.ClickException("search is turned off (RSE_SEARCH_BACKEND=none)")
    return rt


@search.command("reindex")
@click.option(
    "--background",
    is_flag=True,
    help="As a web worker starts it: at a lower priority, quietly, one process.",
)
def search_reindex(background: bool) -> None:
    """Rebuild the whole index from the database (a progress bar shows how far)."""
    from rich.progress import Progress

    from .search.documents import all_documents
    from .search.indexer import mark_rebuild
    from .search.whoosh_backend import IndexIncomplete

    rt = _search_runtime()
    if background:
        os.nice(10)  # the web workers first
        # Stopped with the worker that started it: end cleanly, so the mark is cleared.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        with rt.db.read() as session:
            total = count_documents(session)
            with (
                rt.search.writer_lock(wait=True),
                Progress(console=console, disable=background) as bar,
            ):
                task = bar.add_task("indexing", total=total)
                started = time.perf_counter()
                # whoosh indexes in two processes here (never in a web worker, which must not
                # fork), unless in the background, where one is kinder to the web workers.
                parallel = (
                    {"procs": 2, "limitmb": 1024}
                    if rt.settings.search_backend == "whoosh" and not background
                    else {}
                )
                try:
                    count = rt.search.rebuild(
                        all_documents(session, rt.plugins),
                        progress=lambda n: bar.advance(task, n),
                        **parallel,
                    )
                except IndexIncomplete as lost:
                    if not parallel:
                        raise
                    console.print(f"{lost}: indexing again in one process")
                    bar.reset(task)
                    count = rt.search.rebuild(
                        all_documents(session, rt.plugins),
                        progress=lambda n: bar.advance(task, n),
                    )
    finally:
        if background:
            mark_rebuild(rt.db, None)
    elapsed = time.perf_counter() - started
    console.print(
        f"indexed {count} documents in {elapsed:.1f} s "
        f"({count / max(elapsed, 1e-9):.0f} documents/s)"
    )


@search.command("check")
@click.option("--fix", is_flag=True, help="Write what is missing or stale, drop what is extra.")
def search_check(fix: bool) -> None:
    """Compare the index with the database: missing, stale and extra documents."""
    from .search.check import find_drift, repair

    rt = _search_runtime()
    drift = find_drift(rt.db, rt.search, rt.plugins)
    console.print(
        f"missing {len(drift.missing)}, stale {len(drift.stale)}, extra {len(drift.extra)}"
    )
    if fix and drift:
        with rt.search.writer_lock(wait=True):
            repair(rt.db, rt.search, drift, rt.plugins)
        console.print("[green]repaired[/]")
    elif drift and not fix:
        sys.exit(1)


@search.command("indexer")
@click.option("--interval", default=0.5, show_default=True, help="Seconds between drains.")
def search_indexer(interval: float) -> None:
    """Run the indexer as its own process (with RSE_SEARCH_INDEXER=external for the web)."""
    from .search.indexer import drain

    rt = _search_runtime()
    console.print("waiting for the index writer lock...")
    with rt.search.writer_lock(wait=True):
        console.print("indexing (Ctrl-C to stop)")
        try:
            while True:
                drain(rt.db, rt.search)
                time.sleep(interval)
        except KeyboardInterrupt:
            pass


@cli.group()
def expertise() -> None:
    """The evidence behind "who knows": rebuild it from the database."""


@expertise.command("rebuild")
def expertise_rebuild() -> None:
    """Recompute everyone's expertise from every tagged item and declared skill."""
    from rich.progress import Progress

    from .expertise import rebuild

    rt = _runtime()
    started = time.perf_counter()
    with Progress(console=console) as bar:
        task = bar.add_task("reading items", total=None)
        count = rebuild(
            rt.db,
            rt.evaluator,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    elapsed = time.perf_counter() - started
    console.print(f"read {count} tagged items in {elapsed:.1f} s")


@cli.command("new-plugin")
@click.argument("name")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to write the rse-NAME folder.",
)
def new_plugin(name: str, directory: Path) -> None:
    """Write a working plugin distribution rse-NAME to start from."""
    from .scaffold import ScaffoldError
    from .scaffold import new_plugin as write_plugin

    try:
        target = write_plugin(name, directory)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"[green]wrote[/] {target}")
    console.print("next steps (docs/plugin-tutorial.md):")
    console.print(f"  pip install -e {target}")
    console.print(f"  cd {target} && pytest        # its tests pass already")
    console.print(f"  rse plugins enable {name} --spaces SPACE   # a pilot space first")
    console.print(f"  rse serve                    # then open /{name}/ (restart to find it)")


@cli.command()
@click.option(
    "--threads",
    default=1,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Jobs run at the same time by this process.",
)
@click.option("--once", is_flag=True, help="Run what is due now, then exit.")
def worker(threads: int, once: bool) -> None:
    """Run background jobs (with RSE_JOBS_WORKER=external for the web processes)."""
    from .jobs.worker import JobWorker

    rt = _runtime()
    migrations.upgrade(rt.db, rt.plugins)
    if once:
        ran = JobWorker(rt).run_pending()
        console.print(f"ran {ran} job(s)")
        return
    workers = [JobWorker(rt) for _ in range(threads)]
    console.print(f"running jobs: {', '.join(sorted(rt.jobs)) or 'none declared'} (Ctrl-C to stop)")
    for job_worker in workers:
        job_worker.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for job_worker in workers:
            job_worker.stop()


@cli.group()
def jobs() -> None:
    """See and retry background jobs."""


@jobs.command("list")
@click.option("--status", type=click.Choice(["queued", "running", "failed"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def jobs_list(status: str | None, as_json: bool) -> None:
    """Counts, then the jobs: failed ones first (with their last error), then what waits."""
    from .web.jobs_admin import jobs_overview

    rt = _runtime()
    with rt.db.read() as session:
        overview = jobs_overview(rt, session, status)
    if as_json:
        click.echo(json.dumps(overview, indent=2))
        return
    console.print(" · ".join(f"{name} {count}" for name, count in overview["counts"].items()))
    table = Table("id", "job", "status", "attempts", "run at", "last error")
    for job in overview["items"]:
        error = job["last_error"].strip().splitlines()
        table.add_row(
            str(job["id"]),
            job["name"],
            job["status"] if job["handled"] else f"{job['status']} (no handler)",
            f"{job['attempts']}/{job['max_attempts'] or '?'}",
            job["run_at"][:19],
            error[-1] if error else "",
        )
    console.print(table)


@cli.group()
def adoption() -> None:
    """The adoption figures of /admin/adoption."""


@adoption.command("rollup")
def adoption_rollup() -> None:
    """Compute the adoption figures now (the nightly job core.adoption does it)."""
    from .adoption import rollup

    summary = rollup(_runtime())
    click.echo(
        f"{summary['weeks']} week(s) computed; {summary['contributors_ever']} of "
        f"{summary['employees']} people contributed at least once"
    )


@cli.group()
def digests() -> None:
    """The e-mail digests employees chose."""


@digests.command("send")
@click.option("--all", "everyone", is_flag=True, help="Send to every subscriber now, due or not.")
def digests_send(everyone: bool) -> None:
    """Queue the digests due now (the job core.digest does it at each send time; this is
    for a trial or a catch-up); a worker or the web process then mails them."""
    from .db import utcnow
    from .digests import send_due

    rt = _runtime()
    sent = send_due(rt, utcnow(), everyone=everyone)
    click.echo(f"{sent} digest(s) queued")


@jobs.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Retry every failed job.")
def jobs_retry(ids: tuple[int, ...], all_failed: bool) -> None:
    """Queue failed jobs IDS (or --all-failed) again now, with fresh attempts."""
    from .jobs import queue

    if not ids and not all_failed:
        raise click.UsageError("name job ids, or --all-failed")
    rt = _runtime()
    with rt.db.write() as session:
        count = queue.retry(session, None if all_failed else ids)
    if not count:
        raise click.ClickException("no failed job has these numbers (see: rse jobs list)")
    console.print(f"{count} job(s) queued again")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``rse`` command: core commands plus those plugins add."""
    registry = make_plugin_registry(
        load_entry_points=Settings.load().load_entry_points, core_plugins=CORE_PLUGINS
    )
    registry.hook.rse_cli(cli=cli)
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="rse")


if __name__ == "__main__":  # ``python -m rse_core.cli``: how a web worker starts a rebuild
    main()

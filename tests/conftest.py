"""Shared helpers for rse's own tests (plugin-author fixtures come from rse_core.testing)."""

from __future__ import annotations

import os
import socket
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from starlette.testclient import TestClient

from rse_core.settings import Settings
from rse_core.testing import (
    TEST_DATABASE_ENV,
    add_user,
    fresh_postgres_schema,
    on_postgres,
    sign_in,
)

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def cli_env(where: Settings | Path) -> dict[str, str]:
    """Environment variables for an ``rse`` subprocess: the installation of ``where`` (an
    app's settings), or a new one in the data dir ``where`` (on PostgreSQL when the tests run
    there, in a fresh schema)."""
    if isinstance(where, Settings):
        return {
            "RSE_DATA_DIR": str(where.data_dir),
            "RSE_DATABASE_URL": where.database_url,
            "RSE_SEARCH_BACKEND": where.search_backend,
        }
    env = {"RSE_DATA_DIR": str(where)}
    if on_postgres():
        env["RSE_DATABASE_URL"] = fresh_postgres_schema(os.environ[TEST_DATABASE_ENV])
        env["RSE_SEARCH_BACKEND"] = "postgres"
    return env


@pytest.fixture
def rse_bin() -> Path:
    """The ``rse`` executable of the environment running the tests."""
    return VENV_BIN / "rse"


@pytest.fixture
def client(rse_app, rse_user, rse_client_for):
    """A client signed in as erin, an ordinary employee."""
    rse_user("erin")
    return rse_client_for("erin")


@contextmanager
def signed_in(app, username: str = "erin", *, admin: bool = False, **client_options):
    """A client on ``app`` signed in as a new account ``username``."""
    add_user(app, username, admin=admin)
    with TestClient(app, **client_options) as test_client:
        yield sign_in(test_client, username)


def share(
    app, username: str, text: str, *, space: str | None = None, audience: str | None = None, tags=()
) -> int:
    """Publish an item as ``username`` (in the space with slug ``space``); return its id."""
    from sqlalchemy import select

    from rse_core.content import publish
    from rse_core.identity.accounts import get_user
    from rse_core.identity.models import Space

    with app.state.rse.db.write() as session:
        author = get_user(session, username)
        found = (
            session.execute(select(Space).where(Space.slug == space)).scalar_one()
            if space
            else None
        )
        content = publish(
            session,
            plugin="example",
            type="example.greeting",
            author=author,
            url="/example/",
            title=text,
            summary=text,
            space=found,
            audience=audience,
            tags=list(tags),
        )
        return content.id


class Inbox:
    """An SMTP server on loopback that keeps what it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # the name aiosmtpd calls
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """An SMTP server on loopback (its controller, with ``port``, and its inbox)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    if not controller.loop.is_closed():  # a test may have stopped it already
        controller.stop()

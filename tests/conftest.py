"""Shared helpers for rse's own tests (plugin-author fixtures come from rse_core.testing)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rse_core.testing import add_user, login

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


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
        yield login(test_client, username)


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

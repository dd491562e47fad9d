"""pytest fixtures for rse and its plugins (registered as the ``rse`` pytest11 plugin).

* ``rse_settings``: settings on a fresh temporary data dir.
* ``rse_app_factory``: ``rse_app_factory(extra_plugins=[("name", module)], **settings)``
  builds a migrated app; call it as often as a test needs.
* ``rse_app``: one migrated app with the installed plugins.
* ``rse_client``: a ``starlette.testclient.TestClient`` on ``rse_app`` (lifespan run).
* ``enable_plugin``: ``enable_plugin("blog")`` or ``enable_plugin("blog", audience=[...])``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from . import migrate
from .app import create_app
from .enablement import EVERYONE
from .runtime import change_plugin
from .settings import Settings

AppFactory = Callable[..., Starlette]


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test: a data dir of its own, a fixed secret, no rse.toml, no env."""
    return Settings.load(
        env={}, data_dir=data_dir, secret_key="test-secret-key-" + "x" * 32, **overrides
    )


def build_app(settings: Settings, extra_plugins: Sequence[tuple[str, object]] = ()) -> Starlette:
    """Create an app and migrate its database to the latest revision."""
    app = create_app(settings, extra_plugins=extra_plugins)
    rt = app.state.rse
    migrate.upgrade(rt.db, rt.plugins)
    return app


@pytest.fixture
def rse_settings(tmp_path: Path) -> Settings:
    """Settings on a fresh temporary data dir."""
    return make_settings(tmp_path / "var")


@pytest.fixture
def rse_app_factory(tmp_path: Path) -> Iterator[AppFactory]:
    """Build migrated apps, each on its own data dir; their engines are disposed after."""
    apps: list[Starlette] = []

    def factory(extra_plugins: Sequence[tuple[str, object]] = (), **overrides: Any) -> Starlette:
        settings = make_settings(tmp_path / f"var{len(apps)}", **overrides)
        app = build_app(settings, extra_plugins)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.state.rse.db.dispose()


@pytest.fixture
def rse_app(rse_settings: Settings) -> Iterator[Starlette]:
    """A migrated app with every installed plugin (none enabled)."""
    app = build_app(rse_settings)
    yield app
    app.state.rse.db.dispose()


@pytest.fixture
def rse_client(rse_app: Starlette) -> Iterator[TestClient]:
    """An HTTP client on ``rse_app``, with the app's lifespan running."""
    with TestClient(rse_app) as client:
        yield client


@pytest.fixture
def enable_plugin(rse_app: Starlette) -> Callable[..., None]:
    """Enable a plugin on ``rse_app``: ``enable_plugin(name, audience=("everyone",))``."""

    def enable(name: str, audience: Sequence[str] = (EVERYONE,)) -> None:
        change_plugin(rse_app.state.rse, name, enabled=True, audience=audience, actor="test")

    return enable

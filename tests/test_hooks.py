"""One test per hook of the contract (``test_hook_<name>``), and a test that demands them."""

from __future__ import annotations

import inspect
import sys

import jinja2
import pytest
from click.testing import CliRunner
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from starlette.testclient import TestClient

from rse_core import Permission, hookimpl, hookspecs
from rse_core.runtime import change_plugin

HOOK_NAMES = sorted(
    name
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("rse_")
)


def test_every_hook_has_a_test():
    tests = {name for name in dir(sys.modules[__name__]) if name.startswith("test_hook_")}
    missing = [hook for hook in HOOK_NAMES if f"test_hook_{hook}" not in tests]
    assert not missing, f"hooks without a test_hook_<name>: {missing}"


@pytest.fixture
def example_client(rse_app, enable_plugin):
    enable_plugin("example")
    with TestClient(rse_app) as client:
        yield client


def test_hook_rse_routes(example_client):
    page = example_client.get("/example/")
    assert page.status_code == 200
    assert "No greeting yet." in page.text


def test_hook_rse_api_routes(example_client):
    assert example_client.get("/api/v1/example/greetings").json() == {"items": []}


def test_hook_rse_templates_dir(rse_app, example_client):
    env = rse_app.state.templates
    # Namespaced: the plugin's hello.html is example/hello.html, never a bare hello.html.
    assert env.get_template("example/hello.html") is not None
    with pytest.raises(jinja2.TemplateNotFound, match=r"hello\.html"):
        env.get_template("hello.html")


def test_hook_rse_static_dir(example_client):
    response = example_client.get("/static/plugins/example/example.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


def test_hook_rse_migrations_dir(rse_app):
    with rse_app.state.rse.db.engine.connect() as connection:
        tables = set(sa_inspect(connection).get_table_names())
    assert {"example_greeting", "alembic_version_example", "alembic_version_core"} <= tables


def test_hook_rse_permissions(rse_app, rse_app_factory):
    assert rse_app.state.rse.permissions["example.greet"].description

    class Foreign:
        @hookimpl
        def rse_permissions(self):
            return [Permission("blog.post", "not mine to declare")]

    with pytest.raises(ValueError, match=r"must start with 'foreign\.'"):
        rse_app_factory(extra_plugins=[("foreign", Foreign())], load_entry_points=False)

    class Twice:
        @hookimpl
        def rse_permissions(self):
            return [Permission("twice.x", "a"), Permission("twice.x", "b")]

    with pytest.raises(ValueError, match="declared twice"):
        rse_app_factory(extra_plugins=[("twice", Twice())], load_entry_points=False)


def test_hook_rse_startup(rse_app):
    from rse_example import hooks as example_hooks

    before = len(example_hooks.STARTED)
    with TestClient(rse_app):
        pass
    assert len(example_hooks.STARTED) == before + 1


def test_hook_rse_cli(monkeypatch, tmp_path):
    from rse_core import cli as cli_module

    monkeypatch.setenv("RSE_DATA_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(_main_as_command(cli_module), ["example-hello"])
    assert result.exit_code == 0, result.output
    assert "hello from the example plugin" in result.output


def _main_as_command(cli_module):
    """The CLI group after plugins added their commands, as ``main()`` builds it."""
    registry = cli_module.make_plugin_registry()
    registry.hook.rse_cli(cli=cli_module.cli)
    return cli_module.cli


def test_hook_rse_demo_data(rse_app):
    from rse_example.models import Greeting

    from rse_core.demo import load_demo

    rt = rse_app.state.rse
    loaded, _ = load_demo(rt, actor="test")
    assert loaded
    again, _ = load_demo(rt, actor="test")
    assert not again  # demo data is loaded once
    with rt.db.read() as session:
        texts = list(session.execute(select(Greeting.text)).scalars())
    assert texts == ["Bonjour from the demo"]
    assert rt.plugin_states()["example"].enabled


def test_hook_rse_nav_items(rse_app, example_client):
    assert 'href="/example/"' in example_client.get("/").text
    change_plugin(rse_app.state.rse, "example", enabled=False, actor="t")
    assert 'href="/example/"' not in example_client.get("/").text


def test_hook_rse_home_widgets(example_client):
    page = example_client.get("/").text
    assert '<section class="widget" data-plugin="example"><p class="example-widget">' in page

"""Discovery, enablement at run time, gating, and failure isolation."""

from __future__ import annotations

import logging

import pytest
from markupsafe import Markup
from starlette.responses import PlainTextResponse, Response

import rse_core
from rse_core import NavItem, api, api_routes, hookimpl
from rse_core.plugins import make_plugin_registry
from rse_core.runtime import change_plugin
from tests.conftest import signed_in


def test_example_plugin_is_discovered_through_its_entry_point():
    registry = make_plugin_registry()
    info = registry.installed["example"]
    assert info.loaded
    assert info.distribution == "rse-example"
    assert info.version == "0.3.0"


def test_installed_is_not_enabled(client):
    assert client.get("/example/").status_code == 404
    assert client.get("/api/v1/example/greetings").status_code == 404
    assert client.get("/static/plugins/example/example.css").status_code == 404
    assert "Example" not in client.get("/").text


def test_enable_and_disable_at_run_time_without_restart(rse_app, client):
    rt = rse_app.state.rse
    change_plugin(rt, "example", enabled=True, actor="test")
    page = client.get("/example/")
    assert page.status_code == 200
    assert '<h1 class="example-title">Example plugin</h1>' in page.text
    assert client.get("/api/v1/example/greetings").json() == {"items": []}
    css = client.get("/static/plugins/example/example.css")
    assert css.status_code == 200 and ".example-title" in css.text
    home = client.get("/").text
    assert 'href="/example/"' in home and "Hello from example" in home

    change_plugin(rt, "example", enabled=False, actor="test")
    assert client.get("/example/").status_code == 404
    assert client.get("/api/v1/example/greetings").status_code == 404
    home = client.get("/").text
    assert 'href="/example/"' not in home and "Hello from example" not in home


def test_audience_limits_visibility(rse_app, client):
    change_plugin(rse_app.state.rse, "example", enabled=True, audience=["space:42"], actor="t")
    # erin is in no space: the pilot space's plugin stays invisible to her.
    assert client.get("/example/").status_code == 404


def test_enablement_is_logged(rse_app):
    from rse_core.enablement import recent_log

    rt = rse_app.state.rse
    change_plugin(rt, "example", enabled=True, actor="alice")
    change_plugin(rt, "example", enabled=False, actor="bob")
    with rt.db.read() as session:
        log = [(row.actor, row.action, row.name) for row in recent_log(session)]
    assert log == [("bob", "disable", "example"), ("alice", "enable", "example")]


def test_unknown_plugin_cannot_be_enabled(rse_app):
    from rse_core.runtime import UnknownPlugin

    with pytest.raises(UnknownPlugin):
        change_plugin(rse_app.state.rse, "nope", enabled=True, actor="t")


class Misspelt:
    @hookimpl
    def rse_rotues(self, settings):  # the typo the contract must catch
        return []


def test_misspelt_hook_is_an_error_at_start_up():
    from pluggy import PluginValidationError

    with pytest.raises(PluginValidationError):
        make_plugin_registry(load_entry_points=False, extra_plugins=[("typo", Misspelt())])


def test_plugin_failing_to_load_does_not_take_the_app_down(monkeypatch, rse_app_factory):
    import importlib.metadata

    class FakeEntryPoint(importlib.metadata.EntryPoint):
        def load(self):
            raise ImportError("boom")

    real = importlib.metadata.entry_points

    def entry_points(**kw):
        found = list(real(**kw))
        if kw.get("group") == "rse.plugins":
            found.append(FakeEntryPoint("broken", "rse_broken:hooks", "rse.plugins"))
        return found

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    app = rse_app_factory()
    info = app.state.rse.plugins.installed["broken"]
    assert not info.loaded and "boom" in info.error
    with signed_in(app) as client:
        assert client.get("/").status_code == 200


class RaisingWidgets:
    @hookimpl
    def rse_home_widgets(self, request):
        raise RuntimeError("widget exploded")

    @hookimpl
    def rse_nav_items(self, request):
        raise RuntimeError("nav exploded")


class GoodWidgets:
    @hookimpl
    def rse_home_widgets(self, request):
        return [Markup("<p>good widget</p>"), "<b>plain text is escaped</b>"]

    @hookimpl
    def rse_nav_items(self, request):
        return [NavItem("Good", "/good")]


def test_rendering_hook_that_raises_costs_only_its_part(rse_app_factory, caplog):
    app = rse_app_factory(
        extra_plugins=[("bad", RaisingWidgets()), ("good", GoodWidgets())],
        load_entry_points=False,
    )
    for name in ("bad", "good"):
        change_plugin(app.state.rse, name, enabled=True, actor="t")
    with caplog.at_level(logging.ERROR), signed_in(app) as client:
        page = client.get("/")
    assert page.status_code == 200
    assert "<p>good widget</p>" in page.text and 'href="/good"' in page.text
    assert "&lt;b&gt;plain text is escaped&lt;/b&gt;" in page.text
    assert "widget exploded" in caplog.text and "nav exploded" in caplog.text


@api("GET", "/api/v1/someone-else/x", summary="x", operation_id="x", responses={204: None})
async def _declared_elsewhere(request):
    return Response(status_code=204)


async def _ok(request):
    return PlainTextResponse("ok")


class WrongApiPath:
    @hookimpl
    def rse_api_routes(self, settings):
        return api_routes(_declared_elsewhere)


def test_plugin_api_routes_must_live_under_their_prefix(rse_app_factory):
    with pytest.raises(ValueError, match="must live under /api/v1/wrong"):
        rse_app_factory(extra_plugins=[("wrong", WrongApiPath())], load_entry_points=False)


def test_each_app_builds_its_own_plugin_manager(rse_app_factory):
    first = rse_app_factory(extra_plugins=[("good", GoodWidgets())], load_entry_points=False)
    second = rse_app_factory(load_entry_points=False)
    assert "good" in first.state.rse.plugins.installed
    assert "good" not in second.state.rse.plugins.installed
    assert first.state.rse.plugins.pm is not second.state.rse.plugins.pm


def test_trace_hooks_prints_hook_calls(rse_app_factory, capsys):
    app = rse_app_factory(
        extra_plugins=[("good", GoodWidgets())], load_entry_points=False, trace_hooks=True
    )
    change_plugin(app.state.rse, "good", enabled=True, actor="t")
    with signed_in(app) as client:
        client.get("/")
    assert "rse_nav_items -> good" in capsys.readouterr().err


def test_plugin_directories_are_found_by_convention(rse_app):
    from rse_example import hooks as example_hooks

    registry = rse_app.state.rse.plugins
    here = __import__("pathlib").Path(example_hooks.__file__).parent
    for kind in ("templates", "static", "migrations"):
        assert ("example", here / kind) in registry.directories(kind)
    # The example plugin ships no translations: no locale directory is invented.
    assert "example" not in dict(registry.directories("locale"))
    assert not hasattr(example_hooks, "rse_templates_dir")  # no hook needed


def test_a_directory_hook_overrides_the_convention(tmp_path, rse_app_factory):
    import types

    package = tmp_path / "oddpkg"
    (package / "templates").mkdir(parents=True)
    (package / "templates" / "page.html").write_text("by convention")
    (package / "elsewhere").mkdir()
    (package / "elsewhere" / "page.html").write_text("from the hook")

    conventional = types.ModuleType("oddpkg.hooks")
    conventional.__file__ = str(package / "hooks.py")
    app = rse_app_factory(extra_plugins=[("odd", conventional)], load_entry_points=False)
    assert app.state.templates.get_template("odd/page.html").render() == "by convention"

    overriding = types.ModuleType("oddpkg.hooks")
    overriding.__file__ = str(package / "hooks.py")

    @hookimpl
    def rse_templates_dir():
        return package / "elsewhere"

    overriding.rse_templates_dir = rse_templates_dir
    app = rse_app_factory(extra_plugins=[("odd", overriding)], load_entry_points=False)
    assert app.state.templates.get_template("odd/page.html").render() == "from the hook"


def fake_distribution(where, name, requires, entry_point):
    """Write an installed distribution's metadata (dist-info) into ``where``."""
    info = where / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", "Version: 1.0", "Summary: A test plugin"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n")
    (info / "entry_points.txt").write_text(f"[rse.plugins]\n{entry_point}\n")


def test_a_plugin_built_for_another_core_is_listed_not_loaded(tmp_path, monkeypatch):
    from rse_core.plugins import compatibility_problem

    fake_distribution(tmp_path, "rse-old", ["rse-core<0.2"], "old = rse_old_never_imported.hooks")
    fake_distribution(tmp_path, "rse-any", ["rse-core"], "anyver = rse_example.hooks")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = make_plugin_registry()
    old = registry.installed["old"]
    assert not old.loaded and old.status == "incompatible"
    assert old.error.startswith(
        f"built for rse-core <0.2; this installation runs rse-core {rse_core.__version__}"
    )
    assert old.summary == "A test plugin" and old.distribution == "rse-old"
    assert "old" not in registry.plugin_names()
    assert registry.installed["anyver"].loaded  # no range: no constraint
    # The installed plugins state their range; this core is in it.
    import importlib.metadata

    for dist in ("rse-feed", "rse-bookmarks", "rse-blog", "rse-wiki", "rse-example"):
        assert compatibility_problem(importlib.metadata.distribution(dist)) is None
    assert "0.4.0" in compatibility_problem(importlib.metadata.distribution("rse-feed"), "0.4.0")


@pytest.mark.slow  # spawns rse processes
def test_an_incompatible_plugin_cannot_be_enabled_and_says_why(
    tmp_path, monkeypatch, rse_app_factory, rse_bin
):
    import subprocess

    from rse_core.runtime import PluginUnavailable
    from tests.conftest import cli_env

    fake_distribution(tmp_path, "rse-old", ["rse-core>=9"], "old = rse_old_never_imported.hooks")
    monkeypatch.syspath_prepend(str(tmp_path))
    app = rse_app_factory()
    with pytest.raises(PluginUnavailable, match="built for rse-core >=9"):
        change_plugin(app.state.rse, "old", enabled=True, actor="t")
    with signed_in(app, "alice", admin=True) as admin:
        page = admin.get("/admin/plugins").text
        assert "incompatible" in page and "built for rse-core &gt;=9" in page
        refused = admin.post("/admin/plugins/old", data={"action": "enable"})
        assert refused.status_code == 409 and "built for rse-core" in refused.text
        assert client_get_json(admin, "/api/v1/admin/plugins")["old"]["status"] == "incompatible"
        assert admin.get("/").status_code == 200  # the app still serves
    env = {
        **cli_env(app.state.rse.settings),
        "PYTHONPATH": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    listed = subprocess.run([rse_bin, "plugins", "list"], env=env, capture_output=True, text=True)
    assert "incompatible" in listed.stdout and "built for rse-core >=9" in listed.stdout
    enabled = subprocess.run(
        [rse_bin, "plugins", "enable", "old"], env=env, capture_output=True, text=True
    )
    assert enabled.returncode == 1
    assert "old cannot be enabled: built for rse-core >=9" in enabled.stderr


def client_get_json(client, path):
    return {row["name"]: row for row in client.get(path).json()["items"]}

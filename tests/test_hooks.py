"""One test per hook of the contract (``test_hook_<name>``), and a test that demands them."""

from __future__ import annotations

import inspect
import sys
from contextlib import contextmanager

import jinja2
import pytest
from click.testing import CliRunner
from markupsafe import Markup
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from starlette.testclient import TestClient

from rse_core import Permission, hookimpl, hookspecs
from rse_core.runtime import change_plugin
from rse_core.testing import login

pytestmark = pytest.mark.portable

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
def example_client(rse_app, enable_plugin, client):
    enable_plugin("example")
    return client


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


def test_hook_rse_authenticate(rse_app_factory):
    from rse_core.identity.accounts import get_user
    from tests.conftest import signed_in

    class Directory:
        """Stands for an LDAP plugin: accepts "ldap-*" accounts, creating them locally."""

        @hookimpl
        def rse_authenticate(self, session, username, password):
            if not username.startswith("ldap-") or password != "directory secret":
                return None
            from rse_core.identity.accounts import create_user

            return get_user(session, username) or create_user(
                session, username, email=f"{username}@corp.example", password=None
            )

    app = rse_app_factory(extra_plugins=[("directory", Directory())], load_entry_points=False)
    with TestClient(app) as client:
        login(client, "ldap-zoe", "directory secret")
        assert client.get("/api/v1/me").json()["username"] == "ldap-zoe"
    with signed_in(app, "local") as client:  # the core's local accounts still work after it
        assert client.get("/api/v1/me").json()["username"] == "local"


def test_declared_api_operations_make_the_document_and_validate(rse_app_factory):
    """The API contract is declared once, on the handler: it writes the plugin's part of
    /api/openapi.json (for readers it is active for) and validates requests."""
    from starlette.responses import JSONResponse

    from rse_core import ApiBody, ApiShape, ApiText, api, api_routes
    from tests.conftest import signed_in

    class ThingIn(ApiBody):
        name: ApiText(20, required=True)

    class ThingOut(ApiShape):
        """A thing"""

        name: str

    @api(
        "POST",
        "/api/v1/documented/things",
        summary="Make a thing",
        operation_id="documented.make",
        body=ThingIn,
        responses={201: ThingOut},
    )
    async def make(request, body: ThingIn):
        return JSONResponse({"name": body.name}, status_code=201)

    class Documented:
        @hookimpl
        def rse_api_routes(self, settings):
            return api_routes(make)

    app = rse_app_factory(extra_plugins=[("documented", Documented())], load_entry_points=False)
    with signed_in(app) as client:
        assert "/api/v1/documented/things" not in client.get("/api/openapi.json").json()["paths"]
        change_plugin(app.state.rse, "documented", enabled=True, actor="t")
        document = client.get("/api/openapi.json").json()
        made = client.post("/api/v1/documented/things", json={"name": "a"})
        assert made.status_code == 201 and made.json() == {"name": "a"}
        refused = client.post("/api/v1/documented/things", json={"name": "a", "extra": 1})
        assert refused.status_code == 422 and "extra" in refused.json()["error"]["fields"]
        assert client.post("/api/v1/documented/things", json={"name": 3}).status_code == 422
        wrong = client.get("/api/v1/documented/things")
        assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
    operation = document["paths"]["/api/v1/documented/things"]["post"]
    assert operation["summary"] == "Make a thing"
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    name = document["components"]["schemas"][body.rsplit("/", 1)[1]]["properties"]["name"]
    assert name["maxLength"] == 20
    assert {"201", "400", "401", "403", "422"} <= set(operation["responses"])
    assert "/api/v1/spaces" in document["paths"]


def test_an_undeclared_api_route_stops_the_start_up(rse_app_factory):
    from starlette.routing import Route

    class Undeclared:
        @hookimpl
        def rse_api_routes(self, settings):
            return [Route("/api/v1/undeclared/x", lambda request: None)]

    with pytest.raises(ValueError, match="is not declared"):
        rse_app_factory(extra_plugins=[("undeclared", Undeclared())], load_entry_points=False)


def test_hook_rse_profile_sections(rse_app_factory):
    from markupsafe import Markup

    from tests.conftest import signed_in

    class Sections:
        @hookimpl
        def rse_profile_sections(self, request, profile):
            return [Markup("<p class='latest'>Latest posts of {}</p>").format(profile.display_name)]

    app = rse_app_factory(extra_plugins=[("sections", Sections())], load_entry_points=False)
    change_plugin(app.state.rse, "sections", enabled=True, actor="t")
    with signed_in(app, "erin") as client:
        page = client.get("/people/erin").text
    assert "<p class='latest'>Latest posts of Erin</p>" in page


def test_hook_rse_adoption_sections(rse_app_factory):
    from markupsafe import Markup

    from tests.conftest import signed_in

    class Figures:
        @hookimpl
        def rse_adoption_sections(self, request):
            return [Markup("<h2>Campaigns</h2><p class='figure'>{}</p>").format(42)]

    app = rse_app_factory(extra_plugins=[("figures", Figures())], load_entry_points=False)
    with signed_in(app, "erin", admin=True) as client:
        assert "<p class='figure'>42</p>" not in client.get("/admin/adoption").text  # not on
        change_plugin(app.state.rse, "figures", enabled=True, actor="t")
        page = client.get("/admin/adoption").text
    assert '<section class="card adoption-section" data-plugin="figures">' in page
    assert "<p class='figure'>42</p>" in page


def test_hook_rse_personal_data(rse_app_factory):
    import json

    from tests.conftest import signed_in

    class Kept:
        @hookimpl
        def rse_personal_data(self, session, user):
            return {"greeting": f"hello {user.username}"}

    class Broken:
        @hookimpl
        def rse_personal_data(self, session, user):
            raise RuntimeError("boom")

    app = rse_app_factory(
        extra_plugins=[("kept", Kept()), ("broken", Broken())], load_entry_points=False
    )
    with signed_in(app, "erin") as client:
        response = client.get("/profile/data.json")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith('attachment; filename="rse-erin-')
    document = json.loads(response.text)
    assert document["plugins"] == {"kept": {"greeting": "hello erin"}}  # enabled or not
    assert document["missing"] == ["broken"] and document["profile"]["username"] == "erin"


def test_hook_rse_space_tabs(rse_app_factory):
    from rse_core import SpaceTab
    from rse_core.testing import add_user, enable
    from tests.conftest import signed_in

    class Tabs:
        @hookimpl
        def rse_space_tabs(self, request, space):
            return [SpaceTab("Wiki", f"/wiki/{space.slug}/")]

    app = rse_app_factory(extra_plugins=[("tabs", Tabs())], load_entry_points=False)
    add_user(app, "olga")
    with signed_in(app, "erin") as client:
        for slug in ("pilot", "other"):
            client.post("/api/v1/spaces", json={"name": slug, "visibility": "public"})
        enable(app, "tabs", spaces=["pilot"])
        assert 'href="/wiki/pilot/"' in client.get("/spaces/pilot").text
        # Enabled for the pilot only: no tab in another space, even for the same member.
        assert "/wiki/" not in client.get("/spaces/other").text
    with TestClient(app) as outsider:
        login(outsider, "olga")  # not a member of the pilot space: no tab anywhere
        assert "/wiki/" not in outsider.get("/spaces/pilot").text


@contextmanager
def example_plugin_with(app, **implementations):
    """The example plugin with these hook implementations added, for the block's length."""
    from rse_example import hooks as example_hooks

    pm = app.state.rse.plugins.pm
    for name, implementation in implementations.items():
        setattr(example_hooks, name, implementation)
    pm.unregister(name="example")
    pm.register(example_hooks, name="example")
    try:
        yield
    finally:
        pm.unregister(name="example")
        for name in implementations:
            delattr(example_hooks, name)
        pm.register(example_hooks, name="example")


def test_hook_rse_render_activity(rse_app, rse_user, rse_client_for, enable_plugin):

    rse_user("erin")
    enable_plugin("example")
    client = rse_client_for("erin")
    client.post("/api/v1/example/greetings", json={"text": "Rendered by the plugin"})
    default = client.get("/").text
    assert "shared" in default and "Rendered by the plugin" in default

    calls = []

    @hookimpl
    def rse_render_activity(request, entry):
        calls.append(entry.content.type)
        return Markup("<p class='custom'>{}</p>").format(entry.content.title)

    with example_plugin_with(rse_app, rse_render_activity=rse_render_activity):
        page = client.get("/").text
    assert "<p class='custom'>Rendered by the plugin</p>" in page and calls == ["example.greeting"]


def test_hook_rse_prepare_entries(rse_app, rse_user, rse_client_for, enable_plugin):
    """Called once per page with the plugin's entries; each rendering gets its item's value."""

    rse_user("erin")
    enable_plugin("example")
    client = rse_client_for("erin")
    for text in ("one", "two", "three"):
        client.post("/api/v1/example/greetings", json={"text": text})
    calls = []

    @hookimpl
    def rse_prepare_entries(request, entries):
        calls.append(len(entries))
        return {e.content.id: f"prepared {e.content.title}" for e in entries}

    @hookimpl
    def rse_render_activity(request, entry, prepared):
        return Markup("<p class='custom'>{}</p>").format(prepared)

    with example_plugin_with(
        rse_app, rse_prepare_entries=rse_prepare_entries, rse_render_activity=rse_render_activity
    ):
        page = client.get("/").text
    assert calls == [3]
    for text in ("one", "two", "three"):
        assert f"<p class='custom'>prepared {text}</p>" in page


def test_hook_rse_stream_composer(rse_app_factory):
    from tests.conftest import signed_in

    class Composer:
        @hookimpl
        def rse_stream_composer(self, request, space):
            where = space.slug if space else "home"
            return Markup("<form class='composer-{}'></form>").format(where)

    app = rse_app_factory(extra_plugins=[("composer", Composer())], load_entry_points=False)
    change_plugin(app.state.rse, "composer", enabled=True, actor="t")
    with signed_in(app) as client:
        assert "<form class='composer-home'></form>" in client.get("/").text
        client.post("/api/v1/spaces", json={"name": "Team", "slug": "team"})
        assert "<form class='composer-team'></form>" in client.get("/spaces/team").text


def test_hook_rse_item_actions(rse_app_factory):
    from tests.conftest import share, signed_in

    class Actions:
        @hookimpl
        def rse_item_actions(self, request, content):
            return [Markup("<a class='save' href='/save/{}'>Save</a>").format(content.id)]

    app = rse_app_factory(extra_plugins=[("actions", Actions())])
    change_plugin(app.state.rse, "example", enabled=True, actor="t")  # the item's owner
    with signed_in(app) as client:
        item = share(app, "erin", "Something")
        assert "class='save'" not in client.get("/").text
        change_plugin(app.state.rse, "actions", enabled=True, actor="t")
        assert f"<a class='save' href='/save/{item}'>Save</a>" in client.get("/").text
        assert f"href='/save/{item}'" in client.get(f"/content/{item}").text


def test_hook_rse_item_attachments(rse_app_factory):
    from tests.conftest import share, signed_in

    class Attachments:
        @hookimpl
        def rse_item_attachments(self, request, content):
            return Markup("<ul class='attached'><li>plan-{}.pdf</li></ul>").format(content.id)

    class Broken:
        @hookimpl
        def rse_item_attachments(self, request, content):
            raise RuntimeError("a broken plugin costs its own section")

    app = rse_app_factory(extra_plugins=[("attach", Attachments()), ("broken", Broken())])
    change_plugin(app.state.rse, "example", enabled=True, actor="t")
    change_plugin(app.state.rse, "broken", enabled=True, actor="t")
    with signed_in(app) as client:
        item = share(app, "erin", "Something")
        assert "class='attached'" not in client.get(f"/content/{item}").text
        change_plugin(app.state.rse, "attach", enabled=True, actor="t")
        page = client.get(f"/content/{item}")
        assert page.status_code == 200 and f"<li>plan-{item}.pdf</li>" in page.text
        assert page.text.index("class='attached'") < page.text.index('id="comments"')


def test_hook_rse_comment_attachments(rse_app_factory):
    from tests.conftest import share, signed_in

    seen = []

    class Extras:
        @hookimpl
        def rse_comment_attachments(self, request, content, comments):
            seen.append([c.id for c in comments])
            return {c.id: Markup("<p class='under'>under {}</p>").format(c.id) for c in comments}

    app = rse_app_factory(extra_plugins=[("extras", Extras())])
    change_plugin(app.state.rse, "example", enabled=True, actor="t")
    change_plugin(app.state.rse, "extras", enabled=True, actor="t")
    with signed_in(app) as client:
        item = share(app, "erin", "Something")
        assert client.get(f"/content/{item}").status_code == 200 and seen == []  # no comment
        ids = [
            client.post(f"/api/v1/content/{item}/comments", json={"body": b}).json()["id"]
            for b in ("one", "two")
        ]
        page = client.get(f"/content/{item}").text
        assert seen == [ids]  # one call for the page's comments
        for comment_id in ids:
            at = page.index(f'id="comment-{comment_id}"')
            assert page.index(f"under {comment_id}", at) < page.index("</li>", at)


def test_hook_rse_locale_dir(rse_app, rse_user, rse_client_for, enable_plugin):
    rse_user("erin")
    enable_plugin("feed")
    client = rse_client_for("erin")
    client.post("/language", data={"lang": "fr"})
    page = client.get("/").text
    assert "Sur quoi travaillez-vous ?" in page  # the feed plugin's catalog
    assert "Seulement mes abonnements" in page  # the core's, still first


def test_hook_rse_index_documents(rse_app):
    """A plugin's own documents join a rebuild and the drift check; people and content still
    come from the core's implementation."""
    from rse_example.models import Greeting

    from rse_core.search.check import find_drift
    from rse_core.search.documents import all_documents

    rt = rse_app.state.rse
    with rt.db.write() as session:
        session.add(Greeting(text="Bonjour from the greetings board"))
    with rt.db.read() as session:
        keys = {d.key for d in all_documents(session, rt.plugins)}
    assert "example:board" in keys
    assert find_drift(rt.db, rt.search, rt.plugins).missing == ["example:board"]
    with rt.db.read() as session:
        rt.search.rebuild(all_documents(session, rt.plugins))
    assert not find_drift(rt.db, rt.search, rt.plugins)
    hits = rt.search.search("greetings board", frozenset({"everyone"})).hits
    assert [h.key for h in hits] == ["example:board"]


def test_hook_rse_content_types(rse_app, rse_app_factory, example_client):
    from rse_core.testing import wait_for_index

    assert rse_app.state.rse.content_types["example.greeting"] == "Greeting"
    example_client.post("/api/v1/example/greetings", json={"text": "Hello searchable world"})
    wait_for_index(rse_app)
    page = example_client.get("/search", params={"q": "searchable"}).text
    assert '<span class="badge off">Greeting</span>' in page
    assert '>Greeting</a> <span class="muted">1</span>' in page
    chosen = example_client.get("/search", params={"q": "searchable", "type": "example.greeting"})
    assert '<strong aria-current="true">Greeting</strong>' in chosen.text

    class Foreign:
        @hookimpl
        def rse_content_types(self):
            return {"blog.post": "not mine to name"}

    with pytest.raises(ValueError, match=r"must start with 'foreign\.'"):
        rse_app_factory(extra_plugins=[("foreign", Foreign())], load_entry_points=False)


class Shout:
    """Implements the hook the example plugin declares for others."""

    @hookimpl
    def example_greeting_suffixes(self, text):
        return ["!!"] if text.startswith("Hi") else None


def test_hook_rse_addhooks(rse_app_factory):
    import pluggy

    from rse_core.testing import enable
    from tests.conftest import signed_in

    app = rse_app_factory(extra_plugins=[("shout", Shout())])
    enable(app, "example")
    with signed_in(app, "erin") as client:
        client.post("/api/v1/example/greetings", json={"text": "Hi there"})
        client.post("/api/v1/example/greetings", json={"text": "Bye"})
        page = client.get("/example/").text
        assert 'Hi there <span class="suffix">!!</span>' not in page  # shout is not enabled
        enable(app, "shout")
        page = client.get("/example/").text
        assert 'Hi there <span class="suffix">!!</span>' in page
        assert 'Bye <span class="suffix">' not in page

    class Misargued:
        @hookimpl
        def example_greeting_suffixes(self, txt):  # not an argument of the spec
            return []

    with pytest.raises(pluggy.PluginValidationError, match="txt"):
        rse_app_factory(extra_plugins=[("misargued", Misargued())])

    class Squatter:
        @hookimpl
        def rse_addhooks(self, pluginmanager):
            pluginmanager.add_hookspecs(_SquatterSpecs)

    with pytest.raises(ValueError, match="rse_\\* names are the core's"):
        rse_app_factory(extra_plugins=[("squatter", Squatter())], load_entry_points=False)


class _SquatterSpecs:
    from rse_core import hookspec

    @staticmethod
    @hookspec
    def rse_my_own_hook(x):
        """A plugin may not take an rse_* name."""


def test_hook_rse_jobs(rse_app):
    from datetime import timedelta

    from rse_example.models import Greeting

    from rse_core import enqueue_job
    from rse_core.db import utcnow
    from rse_core.testing import run_jobs

    rt = rse_app.state.rse
    assert rt.jobs["example.deliver"].max_attempts == 5
    with rt.db.write() as session:
        greeting = Greeting(text="queued by hand")
        session.add(greeting)
        session.flush()
        enqueue_job(session, "example.deliver", {"greeting": greeting.id})
    later = utcnow() + timedelta(seconds=5)
    assert run_jobs(rse_app, now=later) == 1
    with rt.db.read() as session:
        delivered = session.execute(select(Greeting.delivered_at)).scalar_one()
    assert delivered == later.replace(microsecond=later.microsecond)


class Mentor:
    """Says who reviewed each example greeting: evidence the core does not see by itself."""

    reviewer_id = 0

    @hookimpl
    def rse_evidence_kinds(self):
        from rse_core import EvidenceKind

        return [EvidenceKind("mentor.review", "review", "reviews", 3.0)]

    @hookimpl
    def rse_evidence(self, session, items):
        from rse_core import Evidence

        return {
            item.id: [Evidence(self.reviewer_id, "mentor.review", item.created_at)]
            for item in items
            if item.plugin == "example"
        }


def _experts(app, viewer: str, topic: str):
    from rse_core.expertise import experts
    from rse_core.identity.accounts import get_user
    from rse_core.permissions import principals_for

    with app.state.rse.db.read() as session:
        scope = principals_for(session, get_user(session, viewer))
        return [(p.username, dict(s.counts)) for p, s in experts(session, scope, topic)]


def test_hook_rse_evidence_kinds(rse_app_factory):
    from rse_core.testing import add_user, enable
    from tests.conftest import share, signed_in

    app = rse_app_factory(extra_plugins=[("mentor", Mentor())])
    assert app.state.rse.evidence_kinds["mentor.review"].weight == 3.0
    assert app.state.rse.evidence_kinds["core.liked"].weight == 0.5  # the core's own
    Mentor.reviewer_id = add_user(app, "rita").id
    add_user(app, "ann")
    enable(app, "example")
    share(app, "ann", "a greeting", tags=["welcome"])
    with signed_in(app, "erin") as client:
        found = client.get("/api/v1/experts?topic=welcome").json()["items"]
    assert [(f["username"], f["explanation"]) for f in found] == [
        ("rita", ["1 review"]),  # 3.0 for a review against 1.0 for an item
        ("ann", ["1 item"]),
    ]

    class Foreign:
        @hookimpl
        def rse_evidence_kinds(self):
            from rse_core import EvidenceKind

            return [EvidenceKind("qa.accepted", "stolen", "stolen")]

    with pytest.raises(ValueError, match=r"must start with 'foreign\.'"):
        rse_app_factory(extra_plugins=[("foreign", Foreign())], load_entry_points=False)


def test_hook_rse_evidence(rse_app_factory):
    from rse_core import refresh_expertise
    from rse_core.content import Content
    from rse_core.testing import add_user, enable
    from tests.conftest import share

    app = rse_app_factory(extra_plugins=[("mentor", Mentor())])
    rita, ray = add_user(app, "rita"), add_user(app, "ray")
    add_user(app, "ann")
    enable(app, "example")
    Mentor.reviewer_id = rita.id
    item_id = share(app, "ann", "a greeting", tags=["welcome"])
    assert _experts(app, "ann", "welcome")[0] == ("rita", {"mentor.review": 1})
    # The plugin's own rows change (another reviewer): it says so, the core asks again.
    Mentor.reviewer_id = ray.id
    assert _experts(app, "ann", "welcome")[0][0] == "rita"  # not asked again yet
    with app.state.rse.db.write() as session:
        refresh_expertise(session, session.get(Content, item_id))
    assert [name for name, _ in _experts(app, "ann", "welcome")] == ["ray", "ann"]

    class Broken:
        @hookimpl
        def rse_evidence(self, session, items):
            raise RuntimeError("evidence store down")

    broken = rse_app_factory(extra_plugins=[("broken", Broken())])
    add_user(broken, "ann")
    enable(broken, "example")
    with pytest.raises(RuntimeError, match="evidence store down"):  # a write hook fails closed
        share(broken, "ann", "a greeting", tags=["welcome"])
    with broken.state.rse.db.read() as session:
        assert session.query(Content).count() == 0


def test_hook_rse_export_tables(rse_app, rse_app_factory, tmp_path):
    import json

    from rse_core import ExportTable
    from rse_core.export import ExportError, export

    export(rse_app.state.rse, tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    entry = next(e for e in manifest["tables"] if e["table"] == "example_greeting")
    assert entry["plugin"] == "example" and entry["declared"]
    skipped = {e["table"]: e["why"] for e in manifest["skipped"]}
    assert "sign in again" in skipped["rse_session"]

    class Twice:
        @hookimpl
        def rse_export_tables(self):
            return [ExportTable("example_greeting")]

    app = rse_app_factory(extra_plugins=[("twice", Twice())])
    with pytest.raises(ExportError, match="declared by"):
        export(app.state.rse, tmp_path / "again")


def test_hook_rse_export_blobs(rse_app_factory, tmp_path):
    from rse_core.export import ExportError, export, import_

    class Blobs:
        def __init__(self, stored):
            self.stored = stored

        def keys(self, session):
            return list(self.stored)

        def read(self, key):
            yield self.stored[key]

        def write(self, key, source):
            self.stored[key] = source.read_bytes()

    class Keeper:
        def __init__(self, stored):
            self.blobs = Blobs(stored)

        @hookimpl
        def rse_export_blobs(self, settings):
            return self.blobs

    source = rse_app_factory(extra_plugins=[("keeper", Keeper({"ab/cd.bin": b"\x00bytes"}))])
    export(source.state.rse, tmp_path / "out")
    assert (tmp_path / "out" / "blobs" / "keeper" / "ab" / "cd.bin").read_bytes() == b"\x00bytes"
    kept: dict[str, bytes] = {}
    target = rse_app_factory(extra_plugins=[("keeper", Keeper(kept))])
    assert import_(target.state.rse, tmp_path / "out").blobs == 1
    assert kept == {"ab/cd.bin": b"\x00bytes"}
    escaping = rse_app_factory(extra_plugins=[("keeper", Keeper({"../../etc/x": b"no"}))])
    with pytest.raises(ExportError, match="unsafe blob key"):
        export(escaping.state.rse, tmp_path / "bad")

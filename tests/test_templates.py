"""Template namespacing and site overrides that still extend the original."""

from __future__ import annotations

import pytest

from rse_core.runtime import change_plugin
from tests.conftest import signed_in

pytestmark = pytest.mark.portable


def test_site_template_overrides_and_extends_the_plugin_template(rse_app_factory, tmp_path):
    site = tmp_path / "site"
    (site / "example").mkdir(parents=True)
    (site / "example" / "hello.html").write_text(
        '{% extends "default:example/hello.html" %}'
        '{% block content %}<p class="site-banner">Our intranet</p>{{ super() }}{% endblock %}'
    )
    app = rse_app_factory(site_templates_dir=site)
    change_plugin(app.state.rse, "example", enabled=True, actor="t")
    with signed_in(app) as client:
        page = client.get("/example/").text
    assert '<p class="site-banner">Our intranet</p>' in page
    assert '<h1 class="example-title">Example plugin</h1>' in page  # the original still renders


def test_site_can_override_a_core_template(rse_app_factory, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "home.html").write_text(
        '{% extends "default:home.html" %}{% block stream %}<p id="custom">Hi</p>{% endblock %}'
    )
    app = rse_app_factory(site_templates_dir=site)
    with signed_in(app) as client:
        assert '<p id="custom">Hi</p>' in client.get("/").text


def test_templates_autoescape(rse_app):
    env = rse_app.state.templates
    html = env.from_string("{{ value }}").render(value="<script>alert(1)</script>")
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_base_layout_is_accessible_and_loads_htmx(client):
    page = client.get("/").text
    assert '<main id="main"' in page and "<header" in page and "<footer" in page
    assert '<nav aria-label="Main">' in page
    assert 'src="/static/core/htmx.min.js"' in page
    htmx = client.get("/static/core/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:2000]


def test_a_flash_message_is_signed_and_shown_once(rse_app, client):
    from starlette.responses import RedirectResponse

    from rse_core import flash
    from rse_core.web.flash import COOKIE

    client.cookies.set(COOKIE, "a-forged-value")
    assert 'id="flash"' not in client.get("/").text  # a forged cookie shows nothing

    class FakeRequest:  # what flash() needs: the app (for the secret) and the scheme
        app = rse_app
        url = type("U", (), {"scheme": "http"})()

    response = flash(FakeRequest(), RedirectResponse("/"), "Welcome <b>back</b>")
    signed = response.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    client.cookies.set(COOKIE, signed)
    shown = client.get("/")
    expected = '<p class="flash" role="status" id="flash">Welcome &lt;b&gt;back&lt;/b&gt;</p>'
    assert expected in shown.text  # escaped
    assert f'{COOKIE}=""' in shown.headers["set-cookie"]  # and cleared: shown once


def test_a_template_copies_the_globals_once_and_they_cannot_change_after(rse_app):
    env = rse_app.state.templates
    template = env.from_string("{{ static_url('core', 'x.css') }} {{ extra }}", {"extra": "own"})
    # A plain dict (Jinja2's ChainMap cost ~18 µs a render, copied key by key).
    assert type(template.globals) is dict
    assert template.render() == "/static/core/x.css own"
    assert "extra" not in env.globals  # a template's own globals stay its own
    with pytest.raises(TypeError):  # a global added now would miss the templates loaded
        env.globals["late"] = "value"

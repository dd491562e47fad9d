"""Error pages never echo the request, and the API answers with its JSON error shape."""

from __future__ import annotations

import pytest
from starlette.routing import Route

from rse_core import hookimpl
from tests.conftest import signed_in

pytestmark = pytest.mark.portable

PROBE = "<script>alert('x')</script>"


def test_404_page_does_not_echo_the_path(client):
    response = client.get(f"/missing/{PROBE}?q={PROBE}")
    assert response.status_code == 404
    assert "alert" not in response.text and "missing" not in response.text
    assert "There is nothing here" in response.text


def test_api_404_is_json(client):
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_405_is_clean(client):
    response = client.delete("/")
    assert response.status_code == 405
    assert "does not accept" in response.text


async def _explode(request):
    raise RuntimeError(f"secret internals {request.query_params}")


class Exploding:
    @hookimpl
    def rse_routes(self, settings):
        return [Route("/boom/", _explode)]


def test_500_page_reveals_nothing(rse_app_factory):
    from rse_core.runtime import change_plugin

    app = rse_app_factory(extra_plugins=[("boom", Exploding())], load_entry_points=False)
    change_plugin(app.state.rse, "boom", enabled=True, actor="t")
    with signed_in(app, raise_server_exceptions=False) as client:
        response = client.get(f"/boom/?x={PROBE}")
    assert response.status_code == 500
    assert "secret internals" not in response.text and "alert" not in response.text
    assert "Something went wrong" in response.text


def test_security_headers_on_every_response(rse_client):
    for path in ("/", "/missing", "/static/core/rse.css"):
        headers = rse_client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"]


def test_unknown_host_is_refused(rse_client):
    response = rse_client.get("/", headers={"host": "evil.example"})
    assert response.status_code == 400


def test_admin_pages_are_refused_to_employees(client, rse_client):
    assert client.get("/admin/plugins").status_code == 403
    assert client.get("/api/v1/admin/plugins").status_code == 403
    assert rse_client.get("/admin/plugins", follow_redirects=False).status_code == 303
    assert rse_client.get("/api/v1/admin/plugins").status_code == 401


def test_an_id_written_with_other_digits_is_a_4xx_not_a_500(rse_app, rse_user, rse_client_for):
    """``"²".isdigit()`` is True and ``int("²")`` raises: every id from a person's input goes
    through ``parse_id`` (ASCII digits only)."""
    from rse_core import parse_id
    from rse_core.testing import enable

    assert [parse_id(v) for v in ("12", "²", "١٢", "", "-1", "2147483648", 7)] == [
        12,
        None,
        None,
        None,
        None,
        None,
        None,
    ]
    rse_user("ann")
    client = rse_client_for("ann")
    for plugin in rse_app.state.rse.plugins.plugin_names():
        enable(rse_app, plugin)
    for url in (
        "/blog?before=²",
        "/feed/tags/x?before=²",
        "/bookmarks?before=²",
        "/api/v1/stream?before=²",
        "/wiki/company/-/recent?before=²",
    ):
        assert client.get(url).status_code < 500, url
    assert client.post("/notifications", data={"id": "²"}).status_code < 500
    assert client.post("/bookmarks/save", data={"content_id": "²"}).status_code == 400

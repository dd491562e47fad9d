"""The admin's audience editor: it opens on the current audience, widening a pilot to everyone
needs a confirmation, pilot spaces are picked from a search that scales to thousands of spaces
(htmx, or a plain form post), and the log says what changed, with names."""

from __future__ import annotations

import re

import pytest

from rse_core.identity.models import Space
from rse_core.runtime import change_plugin
from rse_core.testing import enable
from tests.conftest import signed_in


@pytest.fixture
def admin(rse_app):
    with rse_app.state.rse.db.write() as session:
        session.add(Space(slug="kubernetes-guild", name="Kubernetes guild", visibility="public"))
        session.add(Space(slug="hr-team", name="HR team", visibility="secret"))
        for n in range(120):
            session.add(Space(slug=f"team-{n:03d}", name=f"Team {n:03d}", visibility="private"))
    with signed_in(rse_app, "boss", admin=True) as client:
        yield client


def state(rse_app):
    s = rse_app.state.rse.plugin_states()["example"]
    return s.enabled, s.audience


def checked(page: str) -> dict[str, list[str]]:
    boxes = re.findall(
        r'<input type="(radio|checkbox)" name="(\w+)" value="([\w-]+)" checked', page
    )
    found: dict[str, list[str]] = {}
    for _type, name, value in boxes:
        found.setdefault(name, []).append(value)
    return found


def test_the_editor_opens_on_the_current_audience(rse_app, admin):
    assert checked(admin.get("/admin/plugins/example").text) == {"audience": ["spaces"]}
    enable(rse_app, "example", spaces=["kubernetes-guild"])
    page = admin.get("/admin/plugins/example").text
    assert checked(page) == {"audience": ["spaces"], "spaces": ["kubernetes-guild"]}
    assert "Today:" in page and "Pilot: Kubernetes guild" in page
    # Thousands of spaces: only the chosen ones and a search's matches are listed.
    assert page.count('name="spaces"') == 1
    enable(rse_app, "example")
    assert checked(admin.get("/admin/plugins/example").text) == {"audience": ["everyone"]}


def test_widening_a_pilot_to_everyone_asks_first(rse_app, admin):
    enable(rse_app, "example", spaces=["kubernetes-guild"])
    form = {"action": "enable", "audience": "everyone", "spaces": ["kubernetes-guild"]}
    asked = admin.post("/admin/plugins/example", data=form)
    assert asked.status_code == 200 and 'id="confirm-widening"' in asked.text
    assert "today only the members of Kubernetes guild see it" in asked.text
    assert state(rse_app) == (True, ("space:1",))  # nothing changed yet
    done = admin.post("/admin/plugins/example", data={**form, "confirm": "1"})
    assert done.status_code == 200 and state(rse_app) == (True, ("everyone",))
    assert "boss · <strong>example</strong>: Pilot: Kubernetes guild → Everyone" in done.text


def test_ticking_spaces_but_choosing_everyone_asks_first(rse_app, admin):
    form = {"action": "enable", "audience": "everyone", "spaces": ["kubernetes-guild"]}
    asked = admin.post("/admin/plugins/example", data=form)
    assert "You ticked 1 space(s) but chose Everyone" in asked.text
    assert state(rse_app) == (False, ())


def test_enabling_for_everyone_from_scratch_needs_no_confirmation(rse_app, admin):
    response = admin.post(
        "/admin/plugins/example",
        data={"action": "enable", "audience": "everyone"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and state(rse_app) == (True, ("everyone",))


def test_a_pilot_needs_a_space(rse_app, admin):
    response = admin.post("/admin/plugins/example", data={"action": "enable", "audience": "spaces"})
    assert response.status_code == 422 and "Choose at least one space." in response.text
    assert state(rse_app) == (False, ())


def test_the_space_picker_searches_with_and_without_javascript(rse_app, admin):
    fragment = admin.get("/admin/plugins/example/spaces", params={"q": "team 0"}).text
    assert fragment.count('name="spaces"') == 50  # at most 50 matches of 100
    fragment = admin.get(
        "/admin/plugins/example/spaces", params={"q": "HR", "spaces": ["hr-team"]}
    ).text
    assert "hr-team" not in fragment  # already chosen
    assert "%" not in admin.get("/admin/plugins/example/spaces", params={"q": "%"}).text
    assert 'name="spaces"' not in admin.get("/admin/plugins/example/spaces?q=%25").text
    # Without JavaScript: the search button posts the form back with the choices kept.
    page = admin.post(
        "/admin/plugins/example",
        data={"action": "search", "q": "kube", "audience": "spaces", "spaces": ["hr-team"]},
    ).text
    assert checked(page) == {"audience": ["spaces"], "spaces": ["hr-team"]}
    assert 'value="kubernetes-guild"> Kubernetes guild' in page
    assert state(rse_app) == (False, ())
    admin.post(
        "/admin/plugins/example",
        data={"action": "enable", "audience": "spaces", "spaces": ["hr-team", "kubernetes-guild"]},
    )
    assert state(rse_app) == (True, ("space:1", "space:2"))


def test_the_log_says_what_changed_with_names(rse_app, admin):
    rt = rse_app.state.rse
    enable(rse_app, "example", spaces=["kubernetes-guild", "hr-team"])
    enable(rse_app, "example")
    change_plugin(rt, "example", enabled=False, actor="cli:root")
    page = admin.get("/admin/plugins").text
    log = page.split('<ul class="log">')[1].split("</ul>")[0]
    entries = log.split("<li>")[1:]
    lines = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", li)).strip() for li in entries]
    assert len(lines) == 3
    assert lines[0].endswith("cli:root · example: Everyone → disabled")
    assert lines[1].endswith("test · example: Pilot: HR team, Kubernetes guild → Everyone")
    assert lines[2].endswith("test · example: disabled → Pilot: HR team, Kubernetes guild")
    row = admin.get("/api/v1/admin/plugins").json()["items"]
    assert next(r for r in row if r["name"] == "example")["audience_names"] == []

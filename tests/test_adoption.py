"""The adoption dashboard: active people and contributions per week, per plugin, per space and
department, the top contributors, each rollout phase's before and after; counts only, small
departments grouped, secret spaces never named to who may not know them; CSV files."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from rse_core.adoption import UserDay, monday, rollup
from rse_core.content import Activity, Content
from rse_core.db import utcnow
from rse_core.enablement import PluginLogRow
from rse_core.identity.models import Space, User
from rse_core.runtime import change_plugin
from rse_core.testing import enable

SALES = [f"sales{n}" for n in range(5)]


@pytest.fixture
def world(rse_app, rse_user, rse_client_for):
    for name in SALES:
        rse_user(name, department="Sales")
    for name in ("legal0", "legal1"):  # a department of two: counted with the other small ones
        rse_user(name, department="Legal")
    rse_user("cm")
    rse_user("boss", admin=True)
    with rse_app.state.rse.db.write() as session:
        session.scalar(select(User).where(User.username == "cm")).is_community_manager = True
    enable(rse_app, "feed")
    names = [*SALES[:2], "legal0", "cm", "boss"]
    return {name: rse_client_for(name) for name in names}


def post(client, body, space=None):
    made = client.post("/api/v1/feed/posts", json={"body": body, "space": space})
    assert made.status_code == 201, made.text
    return made.json()


def table(client, name, **filters):
    response = client.get("/admin/adoption.csv", params={"table": name, **filters})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_only_admins_and_community_managers_see_the_figures(world):
    employee = world["sales0"]
    assert employee.get("/admin/adoption").status_code == 403
    assert employee.get("/admin/adoption.csv", params={"table": "active"}).status_code == 403
    assert employee.post("/admin/adoption/refresh").status_code == 403
    assert "/admin/adoption" not in employee.get("/").text
    page = world["cm"].get("/admin/adoption")
    assert page.status_code == 200 and 'role="img"' in page.text
    assert 'href="/admin/adoption"' in world["cm"].get("/").text  # in the header
    assert world["boss"].get("/admin/adoption").status_code == 200
    for bad, status in (
        ({"weeks": "5"}, 400),
        ({"plugin": "nope"}, 400),
        ({"department": "Legal"}, 400),  # under 5 people: not a filter of its own
        ({"space": "nowhere"}, 404),
    ):
        assert world["cm"].get("/admin/adoption", params=bad).status_code == status, bad
    assert world["cm"].get("/admin/adoption.csv", params={"table": "x"}).status_code == 400


def test_active_people_contributions_and_unanswered_items_per_week(rse_app, world):
    s0, s1, legal = world["sales0"], world["sales1"], world["legal0"]
    first = post(s0, "Quarter results are out")
    post(s0, "Nobody will answer this one")
    s1.post(f"/api/v1/content/{first['content_id']}/comments", json={"body": "Great!"})
    liked = legal.post(f"/api/v1/content/{first['content_id']}/reactions", json={"kind": "like"})
    assert liked.status_code in (200, 201), liked.text
    # One contribution three weeks ago.
    old = post(s1, "An old post")
    weeks_ago = utcnow() - timedelta(weeks=3)
    with rse_app.state.rse.db.write() as session:
        session.execute(
            update(Activity)
            .where(Activity.content_id == old["content_id"])
            .values(created_at=weeks_ago)
        )
        session.execute(
            update(Content).where(Content.id == old["content_id"]).values(created_at=weeks_ago)
        )
    world["cm"].get("/")  # a visit, no contribution
    world["boss"].get("/")
    summary = rollup(rse_app.state.rse)
    assert summary["contributors_ever"] == 3 and summary["employees"] == 9
    again = rollup(rse_app.state.rse)  # the same figures (the last 5 weeks recomputed)
    assert {**again, "computed_at": "", "weeks": 0} == {**summary, "computed_at": "", "weeks": 0}
    assert again["weeks"] == 5
    this_week = monday(utcnow().date()).isoformat()
    old_week = monday(weeks_ago.date()).isoformat()
    active = {row["week"]: row for row in table(world["cm"], "active", weeks="4")}
    # Signed in today: sales0, sales1, legal0, cm, boss; three of them contributed.
    assert active[this_week] == {"week": this_week, "active": "5", "contributed": "3"}
    assert active[old_week] == {"week": old_week, "active": "1", "contributed": "1"}
    months = {row["month"]: row for row in table(world["cm"], "months", weeks="4")}
    month = utcnow().date().isoformat()[:7]
    assert months[month] == {"month": month, "active": "5", "contributed": "3"}
    plugins = {row["week"]: row for row in table(world["cm"], "plugins", weeks="4")}
    assert plugins[this_week]["feed"] == "4"  # two posts, a comment, a like
    assert plugins[old_week]["feed"] == "1"
    page = world["cm"].get("/admin/adoption", params={"weeks": "4"}).text
    assert "of 3 new items got no reaction and no answer" in page  # the old one too
    sales = {row["week"]: row for row in table(world["cm"], "active", department="Sales")}
    assert sales[this_week] == {"week": this_week, "active": "2", "contributed": "2"}
    top = table(world["cm"], "top", weeks="4")
    assert [row["person"] for row in top] == ["sales0", "sales1", "legal0"]
    assert [row["contributions"] for row in top] == ["2", "2", "1"]
    # Counts only: no item and no reading of anyone on the page.
    assert "Quarter results" not in page


def test_a_visit_is_counted_once_a_day(rse_app, world):
    for _ in range(3):
        world["sales1"].get("/")
    with rse_app.state.rse.db.read() as session:
        rows = session.execute(
            select(UserDay).join(User, User.id == UserDay.user_id).where(User.username == "sales1")
        ).all()
    assert len(rows) == 1 and rows[0][0].visited


def test_a_rollout_phase_shows_its_before_and_after(rse_app, world):
    s0, s1, boss = world["sales0"], world["sales1"], world["boss"]
    s0.post("/api/v1/spaces", json={"name": "Pilot", "slug": "pilot", "visibility": "secret"})
    s0.post("/api/v1/spaces/pilot/members", json={"username": "sales1"})
    with rse_app.state.rse.db.read() as session:
        pilot_id = session.scalar(select(Space.id).where(Space.slug == "pilot"))
    change_plugin(
        rse_app.state.rse, "bookmarks", enabled=True, audience=[f"space:{pilot_id}"], actor="t"
    )
    made = s1.post(
        "/api/v1/bookmarks",
        json={"url": "https://example.com/guide", "title": "Guide", "space": "pilot"},
    )
    assert made.status_code == 201, made.text
    with rse_app.state.rse.db.write() as session:  # the pilot started ten days ago
        session.execute(
            update(PluginLogRow)
            .where(PluginLogRow.name == "bookmarks")
            .values(at=utcnow() - timedelta(days=10))
        )
    rollup(rse_app.state.rse)
    (phase,) = table(boss, "phases", plugin="bookmarks")
    assert phase["audience"] == "Pilot" and phase["previous"] == ""
    assert phase["complete"] == "False"
    assert phase["reached_people"] == "2" and phase["rest_people"] == "7"
    assert phase["reached_plugin_after"] == "1"  # the bookmark
    assert phase["reached_active_after"] == "2"
    # A community manager who is not in the secret space does not learn its name.
    (hidden,) = table(world["cm"], "phases", plugin="bookmarks")
    assert hidden["audience"] == "a secret space"
    assert "Pilot" not in world["cm"].get("/admin/adoption").text
    assert world["cm"].get("/admin/adoption", params={"space": "pilot"}).status_code == 404
    spaces = table(boss, "spaces")
    assert {"space": "pilot", "contributions": "1", "items": "1"} in spaces
    assert "pilot" not in [row["space"] for row in table(world["cm"], "spaces")]
    # The space filter: the pilot's own figures.
    in_pilot = table(boss, "plugins", space="pilot", weeks="4")
    assert sum(int(row.get("bookmarks", 0)) for row in in_pilot) == 1


def test_the_first_visit_starts_the_nightly_job_and_update_now_runs_it(rse_app, world):
    from rse_core.jobs.models import JobRow
    from rse_core.testing import run_jobs

    page = world["cm"].get("/admin/adoption")
    assert "being computed for the first time" in page.text
    assert run_jobs(rse_app) == 1
    assert "Figures as of" in world["cm"].get("/admin/adoption").text
    with rse_app.state.rse.db.read() as session:  # the next night's is queued
        (job,) = session.scalars(select(JobRow).where(JobRow.name == "core.adoption"))
        assert job.run_at.date() == utcnow().date() + timedelta(days=1)
        assert json.loads(job.payload) == {}
    done = world["cm"].post("/admin/adoption/refresh")
    assert "being updated" in done.text
    assert run_jobs(rse_app) == 1

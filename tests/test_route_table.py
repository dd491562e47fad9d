"""Security checks generated from the route table, so a route added later, by the core or a
plugin, is covered without anyone remembering to add a test.

* CSRF: every unsafe method of every route refuses a signed-in browser without the token.
* IDOR: every route with a path parameter is requested for an object the reader may not see;
  a parameter nobody classified fails the test until it is added to ``PRIVATE_VALUES``.
* Admin: every route under /admin, /api/v1/admin and /scim (provisioning) refuses employees.
* OpenAPI: every API route is described.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from starlette.routing import Mount, Route

from rse_core.testing import enable
from rse_core.web.routing import PluginRoute

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PARAM = re.compile(r"{(\w+)(?::\w+)?}")

# For each path parameter: a value naming something the outsider must not reach, and what
# the route may answer for it. Public objects (people) are listed with None: no secret exists.
PRIVATE_VALUES: dict[str, str | None] = {
    "slug": "secret",  # a secret space the outsider is not in
    "content_id": "CONTENT",  # an item shared in that space (filled in by the fixture)
    "comment_id": "COMMENT",  # a comment on that item
    "post_id": "POST",  # a feed post in that space
    "bookmark_id": "BOOKMARK",  # a bookmark shared in that space
    "blog_post_id": "BLOG",  # a blog post in that space
    "wiki": "secret",  # a wiki is addressed by its space's slug (or "company")
    "page_slug": None,  # a page is addressed within its wiki: the wiki makes it private
    "username": None,  # colleagues are visible to every employee
    "name": None,  # plugin names on admin routes (covered by the admin check)
    "job_id": None,  # jobs on admin routes (covered by the admin check)
    "kind": None,  # a reaction kind
    "target": None,  # a follow target of the caller's own
    "token": None,  # a feed secret: a wrong one is a 404 (tested in test_stream)
    "tag": None,  # tag pages list only visible items (plugins/feed/tests)
    "event_id": "EVENT",  # an event in that space
    "qa_question_id": "QUESTION",  # a question asked in that space
    "qa_answer_id": "ANSWER",  # an answer to it
    "day": None,  # a calendar's day: it lists only visible events (plugins/events/tests)
    "topic": None,  # "who knows" counts only evidence the reader may see (test_expertise)
    "praise_id": "PRAISE",  # a praise given in that space
    "file_id": "FILE",  # a file in that space's library
    "folder_id": "FOLDER",  # a folder of that library
    "report_id": "REPORT",  # a report on that item (a member reported it)
    "decision_id": "DECISION",  # the space owner's decision on that report
    "announcement_id": "ANNOUNCEMENT",  # that item pinned on the space's home
    "ideas_campaign_id": "CAMPAIGN",  # an idea campaign in that space
    "ideas_idea_id": "IDEA",  # an idea proposed to it
    "webhook_id": "WEBHOOK",  # a webhook bound to that space by its owner
    "admin_webhook_id": None,  # a company-wide webhook (covered by the admin check)
    "ident": None,  # a SCIM resource: site admins' tokens only (covered by the admin check)
    "rest": None,  # anything else under /scim/v2 (the same)
}
SAMPLE_VALUES = {
    "ident": "1",
    "rest": "x",
    "slug": "secret",
    "username": "owner",
    "name": "example",
    "job_id": "1",
    "kind": "like",
    "target": "tag:x",
    "token": "nope",
    "content_id": "1",
    "comment_id": "1",
    "post_id": "1",
    "bookmark_id": "1",
    "blog_post_id": "1",
    "wiki": "secret",
    "page_slug": "x",
    "tag": "x",
    "event_id": "1",
    "qa_question_id": "1",
    "qa_answer_id": "1",
    "day": "2026-12-01",
    "praise_id": "1",
    "file_id": "1",
    "folder_id": "1",
    "report_id": "1",
    "decision_id": "1",
    "announcement_id": "1",
    "ideas_campaign_id": "1",
    "ideas_idea_id": "1",
    "webhook_id": "1",
    "admin_webhook_id": "1",
}


def all_routes(app):
    def walk(routes, prefix=""):
        for route in routes:
            inner = route.route if isinstance(route, PluginRoute) else route
            if isinstance(inner, Mount):
                if inner.routes:
                    yield from walk(inner.routes, prefix + inner.path)
                continue
            if isinstance(inner, Route):
                yield prefix + inner.path, set(inner.methods or ()) - {"HEAD"}

    yield from walk(app.routes)


SAMPLE_BODY = {
    "body": "x",
    "title": "x",
    "kind": "like",
    "username": "outsider",
    "revision": 1,
}
# Operations whose required fields SAMPLE_BODY cannot hold for everyone ("status" differs).
OPERATION_BODIES = {
    "events.answer": {"status": "yes"},
    "qa.voteAnswer": {"value": 1},
    "praise.givePraise": {"recipients": ["owner"], "badge": 1, "message": "x"},
    "core.reportContent": {"reason": "spam"},
    "core.decideReport": {"action": "hide", "reason": "x"},
    "ideas.launchCampaign": {"question": "x", "closes_on": "2030-01-01"},
    "ideas.voteIdea": {"value": 1},
    "ideas.followIdea": {"value": 1},
    "ideas.moveIdea": {"state": "under_review"},
    "ideas.mergeIdea": {"into": 1},
    "ideas.scoreIdea": {"scores": [1]},
}


def valid_body(app, path, method):
    """A body the operation's declaration accepts (so its answer is about the object), from
    SAMPLE_BODY's fields; the same fields for an undeclared route."""
    from rse_core.web.openapi import declared_operations

    for _plugin, op in declared_operations(app.routes):
        if op.path == path and op.method == method and op.body is not None:
            if op.operation_id in OPERATION_BODIES:
                return OPERATION_BODIES[op.operation_id]
            return {k: v for k, v in SAMPLE_BODY.items() if k in op.body.model_fields}
    return SAMPLE_BODY


def concrete(path, values):
    return PARAM.sub(lambda m: values[m.group(1)], path)


@pytest.fixture
def world(rse_app, rse_user, rse_client_for):
    for name in ("owner", "outsider", "mate"):
        rse_user(name)
    owner = rse_client_for("owner")
    assert (
        owner.post(
            "/api/v1/spaces", json={"name": "S", "slug": "secret", "visibility": "secret"}
        ).status_code
        == 201
    )
    for plugin in rse_app.state.rse.plugins.plugin_names():
        enable(rse_app, plugin)
    feed_post = owner.post("/api/v1/feed/posts", json={"body": "hush feed", "space": "secret"})
    PRIVATE_VALUES["post_id"] = str(feed_post.json()["id"])
    bookmark = owner.post(
        "/api/v1/bookmarks",
        json={
            "url": "https://hush.example",
            "title": "hush",
            "visibility": "space",
            "space": "secret",
        },
    )
    PRIVATE_VALUES["bookmark_id"] = str(bookmark.json()["id"])
    blog_post = owner.post(
        "/api/v1/blog/posts",
        json={"title": "hush", "body": "hush blog", "status": "published", "space": "secret"},
    )
    PRIVATE_VALUES["blog_post_id"] = str(blog_post.json()["id"])
    event = owner.post(
        "/api/v1/events",
        json={
            "title": "hush",
            "starts_at": "2030-01-07T10:00",
            "ends_at": "2030-01-07T11:00",
            "space": "secret",
        },
    )
    PRIVATE_VALUES["event_id"] = str(event.json()["id"])
    question = owner.post("/api/v1/qa/questions", json={"title": "hush?", "space": "secret"})
    PRIVATE_VALUES["qa_question_id"] = str(question.json()["id"])
    reply = owner.post(
        f"/api/v1/qa/questions/{question.json()['id']}/answers", json={"body": "hush"}
    )
    PRIVATE_VALUES["qa_answer_id"] = str(reply.json()["id"])
    owner.post("/api/v1/spaces/secret/members", json={"username": "mate"})
    praise = owner.post(
        "/api/v1/praise",
        json={"recipients": ["mate"], "badge": 1, "message": "hush", "space": "secret"},
    )
    PRIVATE_VALUES["praise_id"] = str(praise.json()["id"])
    uploaded = owner.post("/api/v1/files?space=secret", files={"file": ("hush.txt", b"hush file")})
    PRIVATE_VALUES["file_id"] = str(uploaded.json()["items"][0]["id"])
    owner.post("/files/spaces/secret/folders", data={"name": "hush"})
    listing = owner.get("/api/v1/files", params={"space": "secret"}).json()
    PRIVATE_VALUES["folder_id"] = str(listing["folders"][0]["id"])
    page = owner.put("/api/v1/wiki/secret/pages/x", json={"title": "X", "body": "hush wiki"})
    assert page.status_code == 201  # the page SAMPLE_VALUES names, in the secret space's wiki
    item = owner.post("/api/v1/example/greetings", json={"text": "hush", "space": "secret"})
    content_id = item.json()["content_id"]
    comment = owner.post(f"/api/v1/content/{content_id}/comments", json={"body": "hush hush"})
    PRIVATE_VALUES["content_id"] = str(content_id)
    reported = rse_client_for("mate").post(
        f"/api/v1/content/{content_id}/reports", json={"reason": "spam", "note": "hush"}
    )
    assert reported.status_code == 201, reported.text
    PRIVATE_VALUES["report_id"] = str(reported.json()["id"])
    decided = owner.post(
        f"/api/v1/moderation/reports/{reported.json()['id']}/decision",
        json={"action": "dismiss", "reason": "hush"},
    )
    assert decided.status_code == 200, decided.text
    PRIVATE_VALUES["decision_id"] = str(decided.json()["id"])
    pinned = owner.post(
        "/api/v1/announcements",
        json={"content": content_id, "place": "space", "until": "2099-12-31"},
    )
    assert pinned.status_code == 409  # a year at most
    until = (date.today() + timedelta(days=30)).isoformat()
    pinned = owner.post(
        "/api/v1/announcements", json={"content": content_id, "place": "space", "until": until}
    )
    assert pinned.status_code == 201, pinned.text
    PRIVATE_VALUES["announcement_id"] = str(pinned.json()["id"])
    PRIVATE_VALUES["comment_id"] = str(comment.json()["id"])
    campaign = owner.post(
        "/api/v1/ideas/campaigns",
        json={"question": "hush?", "space": "secret", "closes_on": until, "criteria": ["x"]},
    )
    assert campaign.status_code == 201, campaign.text
    PRIVATE_VALUES["ideas_campaign_id"] = str(campaign.json()["id"])
    idea = owner.post(f"/api/v1/ideas/campaigns/{campaign.json()['id']}/ideas", json={"title": "x"})
    assert idea.status_code == 201, idea.text
    PRIVATE_VALUES["ideas_idea_id"] = str(idea.json()["id"])
    from rse_core.identity.accounts import get_user
    from rse_core.identity.models import Space
    from rse_core.webhooks import register

    with rse_app.state.rse.db.write() as session:
        space = session.scalars(select(Space).where(Space.slug == "secret")).one()
        hook = register(session, get_user(session, "owner"), "https://hooks.example/x", "", space)
        PRIVATE_VALUES["webhook_id"] = str(hook.id)
    return {"owner": owner, "outsider": rse_client_for("outsider")}


def test_the_route_table_is_not_empty(rse_app):
    paths = {path for path, _ in all_routes(rse_app)}
    assert {"/spaces/{slug}", "/api/v1/example/greetings", "/admin/plugins"} <= paths


# The digest's one-click unsubscribe: mail clients POST it without cookies (RFC 8058); its
# signed token is its authority (a wrong one is a 404, tested in test_digests).
CSRF_EXEMPT = {"/digest/unsubscribe/{token}"}


def test_every_unsafe_route_requires_the_csrf_token(rse_app, world):
    client = world["outsider"]
    client.headers.pop("x-csrf-token")
    checked = 0
    for path, methods in all_routes(rse_app):
        if path in CSRF_EXEMPT:
            continue
        for method in sorted(methods & UNSAFE):
            url = concrete(path, SAMPLE_VALUES)
            response = client.request(method, url, data={"x": "1"})
            assert response.status_code == 403, (method, url, response.status_code)
            assert "did not come from this site" in response.text, (method, url)
            checked += 1
    assert checked >= 15


def test_every_path_parameter_is_classified_and_private_objects_are_404(rse_app, world):
    outsider = world["outsider"]
    checked = 0
    for path, methods in all_routes(rse_app):
        params = PARAM.findall(path)
        unknown = [p for p in params if p not in PRIVATE_VALUES]
        assert not unknown, f"{path}: classify {unknown} in PRIVATE_VALUES"
        private = [p for p in params if PRIVATE_VALUES[p] is not None]
        if not private:
            continue
        values = {**SAMPLE_VALUES, **{p: PRIVATE_VALUES[p] for p in private}}
        for method in sorted(methods):
            response = outsider.request(
                method, concrete(path, values), json=valid_body(rse_app, path, method), data=None
            )
            assert response.status_code == 404, (method, path, response.status_code)
            assert "hush" not in response.text, (method, path)
            checked += 1
    assert checked >= 12


def test_every_admin_route_refuses_employees(rse_app, world):
    outsider = world["outsider"]
    checked = 0
    for path, methods in all_routes(rse_app):
        if not path.startswith(("/admin", "/api/v1/admin", "/scim/")):
            continue
        for method in methods:
            response = outsider.request(method, concrete(path, SAMPLE_VALUES), data={})
            assert response.status_code == 403, (method, path)
            checked += 1
    assert checked >= 5


def test_every_api_route_is_described_in_openapi(rse_app, world):
    spec = world["owner"].get("/api/openapi.json").json()
    for path, methods in all_routes(rse_app):
        if not path.startswith("/api/v1/"):
            continue
        for method in methods:
            documented = re.sub(r"{(\w+):\w+}", r"{\1}", path)  # OpenAPI has no convertors
            assert method.lower() in spec["paths"].get(documented, {}), f"{method} {path}"


def test_an_id_too_large_for_the_database_is_a_404_everywhere(rse_app, world):
    """PostgreSQL's ids are 32 bits: a larger one in any path answered 500 there."""
    owner = world["owner"]
    checked = 0
    for path, methods in all_routes(rse_app):
        if ":int}" not in path:
            continue
        values = {**SAMPLE_VALUES, **dict.fromkeys(PARAM.findall(path), "99999999999")}
        for method in sorted(methods):
            response = owner.request(
                method, concrete(path, values), json=valid_body(rse_app, path, method), data=None
            )
            assert response.status_code in (403, 404), (method, path, response.status_code)
            checked += 1
    assert checked >= 10

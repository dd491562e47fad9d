"""The wiki plugin: pages, revisions, merges and conflicts, links, the tree, renames, deletes,
watchers, private spaces and rollout."""

from __future__ import annotations

import re

import pytest

from rse_core.testing import enable, wait_for_index

BASE = "/api/v1/wiki"


@pytest.fixture
def people(rse_app, rse_user, rse_client_for):
    for name in ("ann", "bob", "cid"):
        rse_user(name)
    rse_user("root", admin=True)
    clients = {name: rse_client_for(name) for name in ("ann", "bob", "cid", "root")}
    created = clients["ann"].post(
        "/api/v1/spaces", json={"name": "Ops", "slug": "ops", "visibility": "private"}
    )
    assert created.status_code == 201
    clients["ann"].post("/api/v1/spaces/ops/members", json={"username": "bob", "role": "member"})
    enable(rse_app, "wiki")
    return clients


def put(client, slug, expect=(200, 201), wiki="company", **body):
    body.setdefault("title", slug.replace("-", " ").capitalize())
    body.setdefault("body", "text")
    response = client.put(f"{BASE}/{wiki}/pages/{slug}", json=body)
    assert response.status_code in ((expect,) if isinstance(expect, int) else expect), response.text
    return response.json()


def test_every_save_is_a_revision_and_an_edit_needs_its_base(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    first = put(ann, "guide", 201, title="Guide", body="one")
    assert first["revision"] == 1 and first["merged"] is False
    second = put(bob, "guide", 200, title="Guide", body="one\ntwo", base_revision=1, summary="more")
    assert second["revision"] == 2 and second["page"]["body"] == "one\ntwo"
    blind = ann.put(f"{BASE}/company/pages/guide", json={"title": "Guide", "body": "x"})
    assert blind.status_code == 409 and "base_revision" in blind.json()["error"]["fields"]
    revisions = ann.get(f"{BASE}/company/pages/guide/revisions?limit=1").json()
    assert [r["number"] for r in revisions["items"]] == [2] and revisions["next"] == "2"
    assert revisions["items"][0]["summary"] == "more"
    older = ann.get(f"{BASE}/company/pages/guide/revisions?before=2").json()["items"]
    assert [r["number"] for r in older] == [1] and older[0]["author"]["username"] == "ann"
    assert ann.get(f"{BASE}/company/pages/guide").json()["revision"] == 2


def test_concurrent_edits_of_different_lines_are_merged(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    put(ann, "plan", 201, title="Plan", body="alpha\nbeta\ngamma\ndelta")
    put(ann, "plan", 200, title="Plan", body="ALPHA\nbeta\ngamma\ndelta", base_revision=1)
    merged = put(bob, "plan", 200, title="Plan", body="alpha\nbeta\ngamma\nDELTA", base_revision=1)
    assert merged["merged"] is True and merged["revision"] == 3
    assert merged["page"]["body"] == "ALPHA\nbeta\ngamma\nDELTA"  # both kept
    history = ann.get(f"{BASE}/company/pages/plan/revisions").json()["items"]
    assert history[0]["merged"] is True and history[1]["merged"] is False
    assert "Someone saved this page" in bob.get("/wiki/company/plan?merged=1").text


def test_overlapping_edits_are_a_conflict_that_saves_nothing(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    put(ann, "plan", 201, title="Plan", body="alpha\nbeta")
    put(ann, "plan", 200, title="Plan", body="alpha\nBETA by ann", base_revision=1)
    clash = bob.put(
        f"{BASE}/company/pages/plan",
        json={"title": "Plan", "body": "alpha\nbeta by bob", "base_revision": 1},
    )
    assert clash.status_code == 409
    assert clash.json()["current"]["revision"] == 2
    assert clash.json()["current"]["body"] == "alpha\nBETA by ann"
    assert ann.get(f"{BASE}/company/pages/plan").json()["revision"] == 2
    # The page form shows both versions and saves the resolution on top of revision 2.
    page = bob.post(
        "/wiki/company/plan/edit",
        data={"title": "Plan", "body": "alpha\nbeta by bob", "base_revision": "1"},
    )
    assert page.status_code == 409 and "Edit conflict" in page.text
    assert "BETA by ann" in page.text and "beta by bob" in page.text
    assert 'name="base_revision" value="2"' in page.text
    resolved = bob.post(
        "/wiki/company/plan/edit",
        data={"title": "Plan", "body": "alpha\nBETA by ann and bob", "base_revision": "2"},
        follow_redirects=False,
    )
    assert resolved.status_code == 303
    assert ann.get(f"{BASE}/company/pages/plan").json()["body"] == "alpha\nBETA by ann and bob"


def test_diff_marks_changed_words_and_revert_is_a_new_revision(rse_app, people):
    ann = people["ann"]
    put(ann, "doc", 201, title="Doc", body="keep\nthe quick fox\nend")
    put(ann, "doc", 200, title="Doc", body="keep\nthe slow fox\nend\nadded", base_revision=1)
    diff = ann.get(f"{BASE}/company/pages/doc/diff?from=1&to=2").json()
    rows = {(r["kind"], r["html"]) for r in diff["rows"]}
    assert ("del", "the <del>quick</del> fox") in rows
    assert ("add", "the <ins>slow</ins> fox") in rows and ("add", "added") in rows
    assert ann.get(f"{BASE}/company/pages/doc/diff?from=1&to=9").status_code == 404
    page = ann.get("/wiki/company/doc/diff?from=1&to=2").text
    assert "<del>quick</del>" in page and "<ins>slow</ins>" in page
    reverted = ann.post(f"{BASE}/company/pages/doc/revert", json={"revision": 1})
    assert reverted.status_code == 200 and reverted.json()["revision"] == 3
    assert reverted.json()["page"]["body"] == "keep\nthe quick fox\nend"
    top = ann.get(f"{BASE}/company/pages/doc/revisions").json()["items"][0]
    assert top["reverted_to"] == 1 and top["number"] == 3
    history = ann.get("/wiki/company/doc/history").text
    assert "Revert to this" in history and "Compare" in history
    assert ann.get("/wiki/company/doc?revision=1").status_code == 200
    assert "the quick fox" in ann.get("/wiki/company/doc?revision=1").text


def test_links_backlinks_missing_pages_and_contents(rse_app, people):
    ann = people["ann"]
    put(
        ann,
        "home",
        201,
        title="Home",
        body="## Start\n\nSee [[Setup Guide|the setup]] and [[Nowhere yet]].\n\n## More\n\n## End",
    )
    put(ann, "setup-guide", 201, title="Setup Guide", body="Back to [[Home]].")
    page = ann.get("/wiki/company/home").text
    assert '<a href="/wiki/company/setup-guide"' in page and ">the setup</a>" in page
    assert 'href="/wiki/company/nowhere-yet?create=Nowhere%20yet"' in page
    assert '<h2 id="s-start">Start</h2>' in page and 'href="#s-more"' in page
    missing = ann.get("/wiki/company/nowhere-yet?create=Nowhere%20yet")
    assert missing.status_code == 404 and "Create it" in missing.text
    assert 'href="/wiki/company/-/new?title=Nowhere%20yet"' in missing.text
    target = ann.get("/wiki/company/setup-guide").text
    assert "Pages that link here" in target and 'href="/wiki/company/home"' in target


def test_rename_and_move_keep_old_urls_and_links_working(rse_app, people):
    ann = people["ann"]
    put(ann, "root", 201, title="Root", body="top")
    put(ann, "setup", 201, title="Setup", body="steps", parent="root")
    put(ann, "links", 201, title="Links", body="[[Setup]]")
    renamed = put(ann, "setup", 200, title="Installation", body="steps", base_revision=1)
    assert renamed["page"]["slug"] == "installation" and renamed["page"]["parent"] == "root"
    old = ann.get("/wiki/company/setup", follow_redirects=False)
    assert old.status_code == 301 and old.headers["location"] == "/wiki/company/installation"
    assert ann.get(f"{BASE}/company/pages/setup").json()["title"] == "Installation"
    links = ann.get("/wiki/company/links").text
    assert 'href="/wiki/company/setup"' in links and "?create=" not in links
    assert "Pages that link here" in ann.get("/wiki/company/installation").text
    crumbs = ann.get("/wiki/company/installation").text
    assert 'href="/wiki/company/root">Root</a>' in crumbs
    # Moving: a parent of another wiki, itself, or one of its own pages is refused.
    for parent, message in (("ghost", "No page of this wiki"), ("installation", "below itself")):
        bad = ann.put(
            f"{BASE}/company/pages/installation",
            json={"title": "Installation", "body": "steps", "base_revision": 2, "parent": parent},
        )
        assert bad.status_code == 422 and message in bad.json()["error"]["fields"]["parent"]
    cycle = put(ann, "root", 422, title="Root", body="top", base_revision=1, parent="installation")
    assert "below itself" in cycle["error"]["fields"]["parent"]
    taken = ann.put(
        f"{BASE}/company/pages/links",
        json={"title": "Root", "body": "x", "base_revision": 1},
    )
    assert taken.status_code == 409 and "title" in taken.json()["error"]["fields"]


def test_delete_keeps_history_for_admins_and_lifts_the_children(rse_app, people):
    ann, bob, root = people["ann"], people["bob"], people["root"]
    put(ann, "parent", 201, title="Parent", body="p")
    put(ann, "child", 201, title="Child", body="c", parent="parent")
    assert bob.post("/wiki/company/parent/delete").status_code == 403
    assert ann.post("/wiki/company/parent/delete", follow_redirects=False).status_code == 303
    for client in (ann, bob):
        assert client.get(f"{BASE}/company/pages/parent").status_code == 404
        assert client.get("/wiki/company/parent/history").status_code == 404
    assert root.get("/wiki/company/parent/history").status_code == 200
    assert ann.get(f"{BASE}/company/pages/child").json()["parent"] is None
    assert "Parent" not in ann.get("/wiki/company").text


def test_watchers_hear_of_changes(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    put(ann, "news", 201, title="News", body="a")  # its author watches it
    bob.post("/wiki/company/news/watch", data={"on": "1"})
    put(bob, "news", 200, title="News", body="b", base_revision=1)
    notes = ann.get("/api/v1/notifications").json()["items"]
    assert [(n["kind"], n["content"]["title"]) for n in notes] == [("watch", "News")]
    assert "changed" in ann.get("/notifications").text
    ann.post("/wiki/company/news/watch", data={"on": "0"})
    put(bob, "news", 200, title="News", body="c", base_revision=2)
    assert len(ann.get("/api/v1/notifications").json()["items"]) == 1


def test_a_private_space_wiki_is_its_members_alone(rse_app, people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    put(bob, "runbook", 201, wiki="ops", title="Runbook", body="secret steps [[Other]]")
    assert put(cid, "intrusion", 403, wiki="ops")["error"]["code"] == "forbidden"
    wait_for_index(rse_app)
    assert ann.get(f"{BASE}/ops/pages/runbook").status_code == 200
    for path in (
        f"{BASE}/ops/pages/runbook",
        f"{BASE}/ops/pages/runbook/revisions",
        f"{BASE}/ops/pages/runbook/diff?from=1&to=1",
        "/wiki/ops/runbook",
        "/wiki/ops/runbook/history",
        "/wiki/ops/runbook/diff?from=1&to=1",
        "/wiki/ops",
        "/wiki/ops/-/recent",
        "/wiki/ops/other?create=Other",  # not even a "create it" page
    ):
        assert cid.get(path).status_code == 404, path
    assert "Runbook" not in cid.get("/wiki").text and "Runbook" in ann.get("/wiki").text
    assert cid.get("/api/v1/search", params={"q": "secret"}).json()["hits"] == []
    stream = cid.get("/api/v1/stream?limit=100").json()["items"]
    assert "Runbook" not in {i["object"]["name"] for i in stream}
    assert cid.post(f"{BASE}/ops/pages/runbook/revert", json={"revision": 1}).status_code == 404


def test_company_is_a_reserved_space_address(people):
    taken = people["ann"].post("/api/v1/spaces", json={"name": "Company", "slug": "company"})
    assert taken.status_code == 409 and "slug" in taken.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": " ", "body": "x"}, "title"),
        ({"title": "t", "body": "x" * 100_001}, "body"),
        ({"title": "t", "body": "x", "parent": "nope"}, "parent"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(people, body, field):
    ann = people["ann"]
    response = ann.put(f"{BASE}/company/pages/fresh", json=body)
    assert response.status_code == 422 and field in str(response.json()["error"]["fields"])
    assert ann.get(f"{BASE}/company/pages/fresh").status_code == 404


def test_pages_stay_while_the_plugin_is_off(rse_app, people):
    ann = people["ann"]
    put(ann, "kept", 201, title="Kept", body="still here")
    enable(rse_app, "wiki", spaces=["ops"])  # a pilot: ann is in it, cid is not
    assert people["cid"].get("/wiki/company/kept").status_code == 404
    assert ann.get("/wiki/company/kept").status_code == 200
    enable(rse_app, "wiki")
    assert people["cid"].get(f"{BASE}/company/pages/kept").json()["body"] == "still here"


def test_the_editor_creates_pages_with_a_parent(rse_app, people):
    ann = people["ann"]
    put(ann, "top", 201, title="Top", body="t")
    form = ann.get("/wiki/company/-/new?parent=top").text
    assert 'value="top"' in form
    created = ann.post(
        "/wiki/company/-/new",
        data={"title": "Nested Page", "body": "hi", "parent": "top"},
        follow_redirects=False,
    )
    assert created.status_code == 303 and created.headers["location"] == "/wiki/company/nested-page"
    assert "Pages below" in ann.get("/wiki/company/top").text
    again = ann.post("/wiki/company/-/new", data={"title": "Nested Page", "body": "x"})
    assert again.status_code == 422 and "has this title already" in again.text
    empty = ann.post("/wiki/company/-/new", data={"title": "", "body": "x"})
    assert empty.status_code == 422 and "Give the page a title." in empty.text


def test_breadcrumbs_run_from_the_top_and_each_page_lists_its_pages(people):
    ann = people["ann"]
    put(ann, "handbook", 201, title="Handbook")
    put(ann, "people", 201, title="People", parent="handbook")
    put(ann, "leave", 201, title="Leave", parent="people")
    put(ann, "sick-leave", 201, title="Sick leave", parent="leave")
    put(ann, "parental-leave", 201, title="Parental leave", parent="leave")
    page = ann.get("/wiki/company/leave").text
    trail = page[page.index('class="wiki-trail"') :].split("</nav>")[0]
    assert re.findall(r">([^<]+)</a>", trail) == ["Company wiki", "Handbook", "People"]
    below = page[page.index("Pages below") :]
    assert below.index("Parental leave") < below.index("Sick leave")  # by title
    top = ann.get("/wiki/company/handbook").text
    top_trail = top[top.index('class="wiki-trail"') :].split("</nav>")[0]
    assert re.findall(r">([^<]+)</a>", top_trail) == ["Company wiki"]


def test_a_page_s_hashtags_are_its_topics_and_its_editors_know_them(people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    first = put(ann, "backups", body="# Backups\n\nHow we run #postgres backups.")
    put(bob, "backups", body="# Backups\n\nHow we run #postgres backups, tested.",
        base_revision=first["revision"])  # fmt: skip
    found = {e["username"]: e["explanation"] for e in
             cid.get("/api/v1/experts?topic=postgres").json()["items"]}  # fmt: skip
    assert found == {"ann": ["1 wiki page"], "bob": ["1 wiki page edited"]}
    # A private space's page is evidence for its members only; headings are not tags.
    put(ann, "secret-runbook", wiki="ops", body="## Runbook\n\n#failover steps")
    assert cid.get("/api/v1/experts?topic=failover").json()["items"] == []
    assert [e["username"] for e in bob.get("/api/v1/experts?topic=failover").json()["items"]] == [
        "ann"
    ]
    assert bob.get("/api/v1/experts?topic=runbook").json()["items"] == []


def test_wiki_0003_tags_existing_pages_and_computes_expertise_again(rse_app, people):
    from sqlalchemy import delete, select

    from rse_core import ContentTag
    from rse_core.testing import migrate_down, migrate_up, run_jobs

    put(people["ann"], "dns", body="All about #dns and #bind9.")
    db = rse_app.state.rse.db
    with db.write() as session:  # as before wiki_0003: pages had no tags
        session.execute(delete(ContentTag))
    migrate_down(rse_app, "wiki_0002", component="wiki")
    migrate_up(rse_app, component="wiki")
    with db.read() as session:
        assert sorted(session.scalars(select(ContentTag.tag))) == ["bind9", "dns"]
    assert run_jobs(rse_app) == 1  # the rebuild the migration queued
    found = people["cid"].get("/api/v1/experts?topic=bind9").json()["items"]
    assert [e["username"] for e in found] == ["ann"]

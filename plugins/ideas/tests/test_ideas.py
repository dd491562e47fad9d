"""The ideas plugin: campaigns, ideas, votes, the workflow and its history, merging, scores,
the reviewers' board and CSV, closing by the background job, figures, the pages without
JavaScript, French, and the rollout."""

from __future__ import annotations

import csv
import io
import re
import threading
from datetime import date, timedelta

import pytest
from starlette.testclient import TestClient

from rse_core.testing import enable, page_statements, run_jobs, wait_for_index

SOON = (date.today() + timedelta(days=14)).isoformat()


@pytest.fixture
def people(rse_app, rse_user, rse_client_for):
    """ann (site admin), bob and cid in the private space "lab" (bob owns it), dan outside."""
    rse_user("ann", admin=True)
    for name in ("bob", "cid", "dan"):
        rse_user(name)
    clients = {name: rse_client_for(name) for name in ("ann", "bob", "cid", "dan")}
    created = clients["bob"].post(
        "/api/v1/spaces", json={"name": "Lab", "slug": "lab", "visibility": "private"}
    )
    assert created.status_code == 201
    clients["bob"].post("/api/v1/spaces/lab/members", json={"username": "cid", "role": "member"})
    enable(rse_app, "ideas")
    return clients


def launch(client, expect=201, **body):
    body.setdefault("question", "How do we save energy?")
    body.setdefault("closes_on", SOON)
    response = client.post("/api/v1/ideas/campaigns", json=body)
    assert response.status_code == expect, response.text
    return response.json()


def propose(client, campaign_id, expect=201, **body):
    body.setdefault("title", "Switch the lights off at 8 pm")
    response = client.post(f"/api/v1/ideas/campaigns/{campaign_id}/ideas", json=body)
    assert response.status_code == expect, response.text
    return response.json()


def vote(client, idea_id, value=1, expect=200):
    response = client.post(f"/api/v1/ideas/ideas/{idea_id}/vote", json={"value": value})
    assert response.status_code == expect, response.text
    return response.json()


def move(client, idea_id, state, reason=None, expect=200):
    body = {"state": state, **({"reason": reason} if reason else {})}
    response = client.post(f"/api/v1/ideas/ideas/{idea_id}/transitions", json=body)
    assert response.status_code == expect, response.text
    return response.json()


def notes(client):
    """The reader's notifications as text."""
    return client.get("/notifications").text


def test_who_launches_where(people):
    ann, bob, cid, dan = people["ann"], people["bob"], people["cid"], people["dan"]
    # Company-wide: site admins only by default; in a space: its owners and moderators.
    launch(dan, expect=403)
    launch(cid, expect=403, space="lab")
    company = launch(ann, reviewers=["bob"])
    assert company["space"] is None and company["status"] == "open"
    assert [r["username"] for r in company["reviewers"]] == ["bob"]
    assert company["workflow"] == [
        "submitted",
        "under_review",
        "selected",
        "in_progress",
        "implemented",
        "declined",
    ]
    lab = launch(bob, space="lab", steps=["selected"], criteria=["Impact", "Cost"])
    assert lab["workflow"] == ["submitted", "selected", "implemented", "declined"]
    # A reviewer must see the campaign; bad dates and names are clear 4xx, nothing created.
    refused = bob.post(
        "/api/v1/ideas/campaigns",
        json={"question": "x", "space": "lab", "closes_on": SOON, "reviewers": ["dan"]},
    )
    assert refused.status_code == 409 and "reviewers" in refused.json()["error"]["fields"]
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    assert launch(ann, expect=409, closes_on=yesterday)["error"]["fields"]["closes_on"]
    far = (date.today() + timedelta(days=400)).isoformat()
    assert launch(ann, expect=409, closes_on=far)["error"]["code"] == "conflict"
    assert launch(ann, expect=422, closes_on="31/12/2026")["error"]["code"] == "invalid"
    assert launch(ann, expect=422, steps=["shipped"])["error"]["code"] == "invalid"
    assert launch(ann, expect=422, criteria=["Impact\x00"])["error"]["code"] == "invalid"
    nul = ann.post(
        "/ideas/campaigns", data={"question": "x", "closes_on": SOON, "reviewers": "a\x00"}
    )
    assert nul.status_code == 422 and "usernames" in nul.text
    listed = dan.get("/api/v1/ideas/campaigns").json()["items"]
    assert [c["id"] for c in listed] == [company["id"]]  # the lab's is private
    assert dan.get(f"/api/v1/ideas/campaigns/{lab['id']}").status_code == 404


def test_the_campaigns_page_reads_the_readers_spaces_at_once(rse_app, people):
    """Whether the reader may launch somewhere is read with all their spaces in one query:
    one a space was 20 statements for someone in 20 spaces. The link shows for an owner of
    a space and not for a member who may launch nowhere."""
    bob, cid = people["bob"], people["cid"]
    assert "Launch a campaign" in bob.get("/ideas").text  # owns the lab
    assert "Launch a campaign" not in cid.get("/ideas").text  # a member only
    before = len(page_statements(rse_app, cid, "/ideas"))
    for n in range(6):
        slug = f"team{n}"
        bob.post("/api/v1/spaces", json={"name": slug, "slug": slug, "visibility": "private"})
        bob.post(f"/api/v1/spaces/{slug}/members", json={"username": "cid", "role": "member"})
    assert len(page_statements(rse_app, cid, "/ideas")) == before
    assert "Launch a campaign" not in cid.get("/ideas").text


def test_ideas_votes_once_each_and_only_while_open(rse_app, people):
    ann, bob, cid, dan = people["ann"], people["bob"], people["cid"], people["dan"]
    campaign = launch(ann, description="Every *watt* counts. <script>x()</script>")
    assert "<em>watt</em>" in campaign["html"] and "<script>" not in campaign["html"]
    idea = propose(bob, campaign["id"], body="Timers on every floor.", tags=["energy", "#Office"])
    assert idea["state"] == "submitted" and idea["tags"] == ["energy", "office"]
    for voter in (bob, cid, dan):
        for _ in range(2):  # a second vote by the same person counts once
            shown = vote(voter, idea["id"])
    assert shown == {"idea_id": idea["id"], "votes": 3, "voted": True}
    assert vote(cid, idea["id"], 0)["votes"] == 2
    assert vote(cid, idea["id"], 0)["votes"] == 2  # taking back a vote one does not hold
    assert vote(cid, idea["id"], 2, expect=422)["error"]["fields"]["value"]
    # The owner is told of each new idea.
    assert "proposed an idea" in notes(ann)
    # Closed: no more ideas or votes (409), still readable.
    closed = ann.post(f"/api/v1/ideas/campaigns/{campaign['id']}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert vote(dan, idea["id"], 0, expect=409)["error"]["fields"]["campaign"]
    propose(dan, campaign["id"], expect=409)
    assert ann.post(f"/api/v1/ideas/campaigns/{campaign['id']}/close").status_code == 409
    assert dan.get(f"/api/v1/ideas/ideas/{idea['id']}").json()["votes"] == 2
    # A later last day reopens it.
    later = (date.today() + timedelta(days=30)).isoformat()
    reopened = ann.patch(f"/api/v1/ideas/campaigns/{campaign['id']}", json={"closes_on": later})
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    vote(dan, idea["id"], 0)
    # Upcoming: not open yet.
    upcoming = launch(ann, opens_on=(date.today() + timedelta(days=3)).isoformat())
    assert upcoming["status"] == "upcoming"
    assert propose(bob, upcoming["id"], expect=409)["error"]["fields"]["campaign"]


def test_a_space_campaign_is_for_its_members(rse_app, people):
    bob, cid, dan = people["bob"], people["cid"], people["dan"]
    bob.post("/api/v1/spaces", json={"name": "Open", "slug": "open", "visibility": "public"})
    bob.post("/api/v1/spaces/open/members", json={"username": "cid", "role": "member"})
    campaign = launch(bob, space="open")
    idea = propose(cid, campaign["id"])
    # dan sees a public space's campaign but takes part only once a member.
    assert dan.get(f"/api/v1/ideas/campaigns/{campaign['id']}").json()["takes_part"] is False
    vote(dan, idea["id"], expect=403)
    propose(dan, campaign["id"], expect=403)
    assert "join it to propose ideas" in dan.get(f"/ideas/campaigns/{campaign['id']}").text
    assert dan.post("/spaces/open/join", follow_redirects=False).status_code == 303
    vote(dan, idea["id"])


def test_the_workflow_moves_only_reviewers_along_allowed_steps(rse_app, people):
    ann, bob, cid, dan = people["ann"], people["bob"], people["cid"], people["dan"]
    campaign = launch(ann, reviewers=["bob"], steps=["under_review", "selected"])
    idea = propose(cid, campaign["id"], title="Solar panels on the roof")
    vote(dan, idea["id"])
    dan.post(f"/api/v1/ideas/ideas/{idea['id']}/follow", json={"value": 0})
    follower = ann.post(f"/api/v1/ideas/ideas/{idea['id']}/follow", json={"value": 1})
    assert follower.json() == {"idea_id": idea["id"], "following": True}
    move(dan, idea["id"], "under_review", expect=403)  # not a reviewer
    move(bob, idea["id"], "implemented", expect=409)  # skips steps
    move(bob, idea["id"], "in_progress", expect=409)  # a step this campaign does not use
    move(bob, idea["id"], "merged", expect=422)
    shown = move(bob, idea["id"], "under_review")
    assert shown["state"] == "under_review" and shown["allowed"] == [
        "selected",
        "submitted",
        "declined",
    ]
    assert move(bob, idea["id"], "declined", expect=422)["error"]["fields"]["reason"]
    refused = bob.post(
        idea_page := f"/ideas/{idea['id']}",
        data={"action": "move", "state": "declined", "reason": "no\x00"},
    )
    assert refused.status_code == 200 and "Under review" in bob.get(idea_page).text
    move(bob, idea["id"], "selected")
    # The author may no longer edit it once its review started.
    edited = cid.patch(f"/api/v1/ideas/ideas/{idea['id']}", json={"title": "Wind"})
    assert edited.status_code == 409
    done = move(ann, idea["id"], "implemented")  # the owner reviews too
    assert done["allowed"] == [] and move(bob, idea["id"], "declined", "x", expect=409)
    history = [(m["by"]["username"], m["to_state"]) for m in done["history"]]
    assert history == [("bob", "under_review"), ("bob", "selected"), ("ann", "implemented")]
    assert dan.get(f"/api/v1/ideas/ideas/{idea['id']}").json()["allowed"] == []
    # Each move told the author, the voter and the follower (not the mover), once each.
    for client, count in ((cid, 3), (dan, 3)):
        page = notes(client)
        assert page.count("Solar panels on the roof") == count, page
        assert "marked as implemented" in page and "started reviewing" in page
    # The owner: told of the proposal and, as a follower, of bob's two moves, not her own.
    assert notes(ann).count("Solar panels on the roof") == 3
    # Every move is an activity in the stream, for the campaign's audience.
    stream = dan.get("/api/v1/stream?limit=50").json()["items"]
    status = [i for i in stream if i["rse:verb"] == "status"]
    assert status and status[0]["object"]["name"] == "Solar panels on the roof"
    assert "moved an idea to Implemented" in dan.get("/").text


def test_declining_needs_a_reason_and_reopening_is_allowed(people):
    ann, cid = people["ann"], people["cid"]
    campaign = launch(ann)
    idea = propose(cid, campaign["id"], title="Four-day week")
    declined = move(ann, idea["id"], "declined", "Not this year: the contracts forbid it.")
    assert declined["reason"] == "Not this year: the contracts forbid it."
    assert declined["allowed"] == ["submitted"]
    page = cid.get(f"/ideas/{idea['id']}").text
    assert "Not this year: the contracts forbid it." in page and "declined" in notes(cid)
    assert move(ann, idea["id"], "submitted")["reason"] is None


def test_merging_moves_votes_and_followers_without_counting_twice(rse_app, people):
    ann, bob, cid, dan = people["ann"], people["bob"], people["cid"], people["dan"]
    campaign = launch(ann, reviewers=["bob"])
    kept = propose(cid, campaign["id"], title="Bike parking")
    duplicate = propose(dan, campaign["id"], title="More bike racks")
    for voter in (ann, bob):
        vote(voter, kept["id"])
    for voter in (bob, cid):  # bob voted for both: he counts once after the merge
        vote(voter, duplicate["id"])
    ann.post(f"/api/v1/ideas/ideas/{duplicate['id']}/follow", json={"value": 1})
    refused = cid.post(f"/api/v1/ideas/ideas/{duplicate['id']}/merge", json={"into": kept["id"]})
    assert refused.status_code == 403
    itself = bob.post(f"/api/v1/ideas/ideas/{kept['id']}/merge", json={"into": kept["id"]})
    assert itself.status_code == 409
    other = launch(ann)
    elsewhere = propose(cid, other["id"], title="Elsewhere")
    wrong = bob.post(f"/api/v1/ideas/ideas/{duplicate['id']}/merge", json={"into": elsewhere["id"]})
    assert wrong.status_code == 404
    merged = bob.post(f"/api/v1/ideas/ideas/{duplicate['id']}/merge", json={"into": kept["id"]})
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == kept["id"] and merged.json()["votes"] == 3
    gone = dan.get(f"/api/v1/ideas/ideas/{duplicate['id']}").json()
    assert gone["state"] == "merged" and gone["merged_into"] == kept["id"] and gone["votes"] == 0
    assert [m["to_state"] for m in gone["history"]] == ["merged"]
    # Followers moved; the duplicate's author follows the kept idea.
    assert ann.get(f"/api/v1/ideas/ideas/{kept['id']}").json()["following"] is True
    assert dan.get(f"/api/v1/ideas/ideas/{kept['id']}").json()["following"] is True
    assert vote(dan, duplicate["id"], expect=409)["error"]["fields"]["idea"]
    again = bob.post(f"/api/v1/ideas/ideas/{duplicate['id']}/merge", json={"into": kept["id"]})
    assert again.status_code == 409
    listed = ann.get(f"/api/v1/ideas/campaigns/{campaign['id']}/ideas").json()["items"]
    assert [(i["title"], i["votes"]) for i in listed] == [("Bike parking", 3)]
    assert ann.get(f"/api/v1/ideas/campaigns/{campaign['id']}").json()["idea_count"] == 1
    assert "marked as a duplicate" in notes(dan) and "marked as a duplicate" in notes(cid)
    page = dan.get(f"/ideas/{duplicate['id']}").text
    assert "merged into another" in page and f'href="/ideas/{kept["id"]}"' in page
    # Kept idea's later moves reach the duplicate's author (now a follower).
    move(bob, kept["id"], "under_review")
    assert "Bike parking" in notes(dan)


def test_scores_by_criteria(people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    plain = launch(ann)
    idea = propose(cid, plain["id"])
    put = bob.put(f"/api/v1/ideas/ideas/{idea['id']}/scores", json={"scores": [3]})
    assert put.status_code == 403
    assert (
        ann.put(f"/api/v1/ideas/ideas/{idea['id']}/scores", json={"scores": [3]}).status_code == 409
    )
    scored = launch(ann, criteria=["Impact", "Cost"], reviewers=["bob"])
    first = propose(cid, scored["id"], title="A")
    second = propose(cid, scored["id"], title="B")
    url = f"/api/v1/ideas/ideas/{first['id']}/scores"
    assert ann.put(url, json={"scores": [5, 3]}).json() == {
        "idea_id": first["id"],
        "mine": [5, 3],
        "score": 4.0,
    }
    assert bob.put(url, json={"scores": [2, 0]}).json()["score"] == pytest.approx(10 / 3)
    assert bob.put(url, json={"scores": [6, 1]}).status_code == 422
    assert bob.put(url, json={"scores": [1, 1, 1]}).status_code == 409  # two criteria
    bob.put(f"/api/v1/ideas/ideas/{second['id']}/scores", json={"scores": [5, 5]})
    by_score = ann.get(f"/api/v1/ideas/campaigns/{scored['id']}/ideas?sort=score").json()
    assert [i["title"] for i in by_score["items"]] == ["B", "A"]


def test_the_close_job_closes_at_the_end_of_the_last_day_and_tells_reviewers(rse_app, people):
    from datetime import UTC, datetime

    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    campaign = launch(ann, reviewers=["bob"])
    propose(cid, campaign["id"])
    closes_at = datetime.fromisoformat(campaign["closes_at"]).replace(tzinfo=UTC)
    run_jobs(rse_app, now=closes_at - timedelta(minutes=1))
    assert ann.get(f"/api/v1/ideas/campaigns/{campaign['id']}").json()["closed_at"] is None
    assert run_jobs(rse_app, now=closes_at + timedelta(seconds=1)) == 1
    shown = ann.get(f"/api/v1/ideas/campaigns/{campaign['id']}").json()
    assert shown["closed_at"] is not None and shown["status"] == "closed"
    assert "closed" in notes(bob)
    assert "How do we save energy?" in ann.get("/ideas?tab=closed").text
    assert "How do we save energy?" not in ann.get("/ideas").text


def test_board_csv_and_figures_are_for_reviewers(rse_app, people):
    ann, bob, cid, dan = people["ann"], people["bob"], people["cid"], people["dan"]
    campaign = launch(ann, reviewers=["bob"])
    first = propose(cid, campaign["id"], title='=HYPERLINK("http://x")', tags=["office"])
    second = propose(dan, campaign["id"], title="Plants everywhere")
    vote(bob, second["id"])
    move(bob, first["id"], "under_review")
    move(bob, second["id"], "declined", "No light in the basement.")
    base = f"/ideas/campaigns/{campaign['id']}"
    assert dan.get(f"{base}/board").status_code == 403
    assert dan.get(f"{base}.csv").status_code == 403
    assert dan.get(f"/api/v1/ideas/campaigns/{campaign['id']}").json()["figures"] is None
    board = bob.get(f"{base}/board").text
    cards = {i["id"]: board.index(f'id="idea-{i["id"]}"') for i in (first, second)}
    assert board.index('data-state="under_review"') < cards[first["id"]]
    assert board.index('data-state="selected"') > cards[first["id"]]
    assert board.index('data-state="declined"') < cards[second["id"]]
    filtered = bob.get(f"{base}/board?tag=office", headers={"HX-Request": "true"})
    assert "<html" not in filtered.text and "Plants everywhere" not in filtered.text
    assert bob.get(f"{base}/board?sort=loud").status_code == 400
    exported = bob.get(f"{base}.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["title"], r["state"], r["votes"]) for r in rows] == [
        ("Plants everywhere", "declined", "1"),
        ('\'=HYPERLINK("http://x")', "under_review", "0"),  # not run as a formula
    ]
    assert rows[0]["reason"] == "No light in the basement." and rows[0]["decided_at"]
    figures = ann.get(f"/api/v1/ideas/campaigns/{campaign['id']}").json()["figures"]
    assert figures["ideas"] == 2 and figures["participants"] == 3  # cid, dan, bob
    assert figures["audience"] == 4 and figures["participation"] == 0.75
    assert figures["days_to_decision"] is not None and figures["implemented"] == 0
    assert "3 / 4 (75 %)" in ann.get(base).text
    # The adoption dashboard shows the same figures, for campaigns the reader may see.
    launch(bob, space="lab", question="The lab's own question?")
    dashboard = ann.get("/admin/adoption").text.split('data-plugin="ideas"')[1]
    assert "How do we save energy?" in dashboard and "3 / 4 (75 %)" in dashboard
    assert "The lab's own question?" not in dashboard  # a private space ann is not in


def test_the_pages_launch_propose_vote_move_and_merge_without_javascript(rse_app, people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    form = bob.get("/ideas/new?space=lab")
    assert form.status_code == 200 and 'value="lab" selected' in form.text
    bad = bob.post("/ideas/campaigns", data={"question": "", "closes_on": SOON, "space": "lab"})
    assert bad.status_code == 422 and "Ask the question" in bad.text
    created = bob.post(
        "/ideas/campaigns",
        data={
            "question": "What should the lab buy?",
            "space": "lab",
            "closes_on": SOON,
            "steps_given": "1",
            "steps": ["under_review"],
            "criteria": "Impact\nCost",
            "reviewers": "cid",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    url = created.headers["location"]
    campaign_id = int(url.rsplit("/", 1)[1])
    shown = bob.get(f"/api/v1/ideas/campaigns/{campaign_id}").json()
    assert shown["workflow"] == ["submitted", "under_review", "implemented", "declined"]
    assert shown["criteria"] == ["Impact", "Cost"] and shown["reviewers"][0]["username"] == "cid"
    empty = cid.post(url, data={"action": "propose", "title": " "})
    assert empty.status_code == 422 and "Give your idea a title." in empty.text
    posted = cid.post(
        url,
        data={"action": "propose", "title": "A 3D printer", "tags": "tools"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    idea_url = posted.headers["location"]
    second = cid.post(url, data={"action": "propose", "title": "A printer, 3D"})
    second_url = str(second.url)
    bob.post(idea_url, data={"action": "vote", "back": "campaign"})
    assert "▲ 1" in bob.get(url).text
    moved = cid.post(
        idea_url,
        data={"action": "move", "state": "under_review", "back": "board", "sort": "votes"},
        follow_redirects=False,
    )
    assert moved.headers["location"].startswith(f"{url}/board?sort=votes#idea-")
    refused = cid.post(idea_url, data={"action": "move", "state": "declined"})
    assert "Say why the idea is declined." in refused.text  # flashed on the page it came from
    scored = cid.post(idea_url, data={"action": "score", "score-0": "4", "score-1": "2"})
    assert scored.status_code == 200 and "Impact 4.0" in scored.text
    merged = cid.post(
        second_url,
        data={"action": "merge", "into": idea_url.rsplit("/", 1)[1]},
        follow_redirects=False,
    )
    assert merged.headers["location"] == idea_url
    assert "merged into another" in cid.get(second_url).text
    assert ann.get(url).status_code == 404  # a private space's campaign
    closed = bob.post(url, data={"action": "close"}, follow_redirects=False)
    assert closed.status_code == 303 and "Closed" in bob.get(url).text
    assert cid.post(url, data={"action": "close"}).status_code == 403
    edit = bob.get(f"{url}/edit")
    assert edit.status_code == 200 and 'value="What should the lab buy?"' in edit.text
    assert f'value="{SOON}"' in edit.text  # the last day, as it was given
    removed = bob.post(url, data={"action": "delete"}, follow_redirects=False)
    assert removed.headers["location"] == "/ideas"
    assert cid.get(idea_url).status_code == 404  # its ideas went with it


def test_similar_ideas_come_from_search_while_the_title_is_typed(rse_app, people):
    ann, dan = people["ann"], people["dan"]
    campaign = launch(ann)
    propose(ann, campaign["id"], title="Recycle coffee capsules")
    wait_for_index(rse_app)
    shown = dan.get("/ideas/similar", params={"title": "coffee capsules"}).text
    assert "Recycle coffee capsules" in shown and "vote for it instead" in shown
    assert dan.get("/ideas/similar", params={"title": ""}).text.strip() == ""
    hits = dan.get("/api/v1/search", params={"q": "capsules"}).json()["hits"]
    assert [h["title"] for h in hits] == ["Recycle coffee capsules"]


def test_the_home_widget_and_the_stream(people):
    ann, bob, cid, dan = people["ann"], people["bob"], people["cid"], people["dan"]
    launch(ann, question="Company question?")
    launch(bob, space="lab", question="Lab question?")
    home = dan.get("/").text
    assert "Open idea campaigns" in home and "Company question?" in home
    assert "Lab question?" not in home
    assert "Lab question?" in cid.get("/").text
    assert "launched an idea campaign" in cid.get("/").text


def test_french(people):
    ann, cid = people["ann"], people["cid"]
    campaign = launch(ann, reviewers=["cid"])
    idea = propose(cid, campaign["id"])
    page = cid.get(f"/ideas/{idea['id']}", headers={"accept-language": "fr"}).text
    assert "Soumise" in page and "Historique" in page and "Passer à « En évaluation »" in page
    board = cid.get(f"/ideas/campaigns/{campaign['id']}/board", headers={"accept-language": "fr"})
    assert "Tableau des évaluateurs" in board.text


def test_off_until_enabled_then_for_a_pilot_space_only(rse_app, rse_user, rse_client_for):
    for name in ("pia", "out"):
        rse_user(name)
    pia, out = rse_client_for("pia"), rse_client_for("out")
    pia.post("/api/v1/spaces", json={"name": "Pilot", "slug": "pilot", "visibility": "public"})
    assert pia.get("/ideas").status_code == 404
    enable(rse_app, "ideas", spaces=["pilot"])
    assert pia.get("/ideas").status_code == 200
    assert out.get("/ideas").status_code == 404
    assert out.get("/api/v1/ideas/campaigns").status_code == 404


def test_a_hundred_concurrent_votes_count_once_each(rse_app, rse_user, rse_client_for, people):
    campaign = launch(people["ann"])
    idea = propose(people["bob"], campaign["id"])
    names = [f"voter{i}" for i in range(100)]
    for name in names:
        rse_user(name)
    voters = [rse_client_for(name) for name in names]
    errors: list[str] = []
    start = threading.Barrier(len(voters))

    def run(client: TestClient) -> None:
        start.wait()
        for _ in range(2):  # each twice: the second is the same vote
            response = client.post(f"/api/v1/ideas/ideas/{idea['id']}/vote", json={"value": 1})
            if response.status_code != 200:
                errors.append(response.text)

    threads = [threading.Thread(target=run, args=(c,)) for c in voters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    shown = people["ann"].get(f"/api/v1/ideas/ideas/{idea['id']}").json()
    assert shown["votes"] == len(names)
    figures = people["ann"].get(f"/api/v1/ideas/campaigns/{campaign['id']}").json()["figures"]
    assert figures["participants"] == len(names) + 1  # the voters and the author


def test_the_workflow_s_moves_when_the_owner_drops_a_step_an_idea_stands_in():
    from rse_ideas import workflow

    every = "under_review selected in_progress"
    assert workflow.allowed(every, "submitted") == ["under_review", "declined"]
    assert workflow.allowed(every, "in_progress") == ["implemented", "selected", "declined"]
    assert workflow.allowed("", "submitted") == ["implemented", "declined"]
    # In progress was dropped while an idea stood there: it moves on from where it stood.
    assert workflow.allowed("under_review", "in_progress") == [
        "implemented",
        "under_review",
        "declined",
    ]
    assert workflow.allowed(every, "declined") == ["submitted"]
    assert workflow.allowed(every, "implemented") == workflow.allowed(every, "merged") == []
    assert workflow.columns("selected") == ["submitted", "selected", "implemented", "declined"]
    with pytest.raises(ValueError):
        workflow.clean_steps(["shipped"])
    assert workflow.clean_steps(["in_progress", "under_review"]) == "under_review in_progress"


def test_an_author_withdraws_an_idea_only_before_its_review(people):
    ann, bob, cid, dan = people["ann"], people["bob"], people["cid"], people["dan"]
    campaign = launch(ann, reviewers=["bob"])
    withdrawn = propose(cid, campaign["id"], title="Withdrawn")
    reviewed = propose(cid, campaign["id"], title="Reviewed")
    voted = propose(cid, campaign["id"], title="Voted for")
    vote(cid, withdrawn["id"])  # the author's own vote does not hold it back
    vote(dan, voted["id"])
    assert dan.delete(f"/api/v1/ideas/ideas/{withdrawn['id']}").status_code == 403
    assert cid.delete(f"/api/v1/ideas/ideas/{withdrawn['id']}").status_code == 204
    assert cid.delete(f"/api/v1/ideas/ideas/{voted['id']}").status_code == 409  # dan's vote
    assert dan.get(f"/api/v1/ideas/ideas/{withdrawn['id']}").status_code == 404
    move(bob, reviewed["id"], "under_review")
    late = cid.delete(f"/api/v1/ideas/ideas/{reviewed['id']}")
    assert late.status_code == 409 and late.json()["error"]["fields"]["idea"]
    assert "Delete" not in cid.get(f"/ideas/{reviewed['id']}").text.split("ideas-actions")[1][:600]
    assert ann.delete(f"/api/v1/ideas/ideas/{reviewed['id']}").status_code == 204  # an admin
    assert ann.get(f"/api/v1/ideas/campaigns/{campaign['id']}").json()["idea_count"] == 1


def test_a_campaign_s_ideas_come_in_pages_in_every_order(people, monkeypatch):
    ann, bob, cid, dan = people["ann"], people["bob"], people["cid"], people["dan"]
    campaign = launch(ann, criteria=["Impact"])
    made = [propose(cid, campaign["id"], title=f"Idea {n}")["id"] for n in range(5)]
    for voter in (bob, dan):
        vote(voter, made[3])
    vote(bob, made[1])
    ann.put(f"/api/v1/ideas/ideas/{made[4]}/scores", json={"scores": [5]})
    ann.put(f"/api/v1/ideas/ideas/{made[0]}/scores", json={"scores": [2]})
    url = f"/api/v1/ideas/campaigns/{campaign['id']}/ideas"
    expected = {
        "votes": [made[3], made[1], made[0], made[2], made[4]],
        "newest": list(reversed(made)),
        "score": [made[4], made[0], made[1], made[2], made[3]],
    }
    for sort, order in expected.items():
        seen, after = [], None
        while True:
            params = {"sort": sort, "limit": 2, **({"after": after} if after else {})}
            page = ann.get(url, params=params).json()
            seen += [i["id"] for i in page["items"]]
            after = page["next"]
            if after is None:
                break
        assert seen == order, sort
    assert ann.get(url, params={"sort": "votes", "after": "x"}).status_code == 422
    assert ann.get(url, params={"after": 999999}).json() == {"items": [], "next": None}
    page_url = f"/ideas/campaigns/{campaign['id']}"
    assert "More ideas" not in ann.get(page_url).text
    monkeypatch.setattr("rse_ideas.views.IDEAS_PAGE", 2)
    first = ann.get(page_url, params={"sort": "votes"}).text
    assert first.index("Idea 3<") < first.index("Idea 1<") and "Idea 0<" not in first
    more = re.search(r'href="(\?sort=votes&amp;after=[^"]+)"', first).group(1)
    second = ann.get(page_url + more.replace("&amp;", "&")).text
    assert "Idea 0<" in second and "Idea 2<" in second and "Idea 3<" not in second
    assert "First ideas" in second

"""The Q&A plugin: asking, answering, votes, the accepted answer, lists, similar questions,
the home widget, permissions and the rollout."""

from __future__ import annotations

import threading

import pytest
from starlette.testclient import TestClient

from rse_core.testing import enable, wait_for_index


@pytest.fixture
def people(rse_app, rse_user, rse_client_for):
    for name in ("ann", "bob", "cid"):
        rse_user(name)
    clients = {name: rse_client_for(name) for name in ("ann", "bob", "cid")}
    created = clients["ann"].post(
        "/api/v1/spaces", json={"name": "Ops", "slug": "ops", "visibility": "private"}
    )
    assert created.status_code == 201
    clients["ann"].post("/api/v1/spaces/ops/members", json={"username": "bob", "role": "member"})
    enable(rse_app, "qa")
    return clients


def ask(client, expect=201, **body):
    body.setdefault("title", "How do I restart the VPN?")
    response = client.post("/api/v1/qa/questions", json=body)
    assert response.status_code == expect, response.text
    return response.json()


def answer(client, question_id, body="Unplug it and plug it back.", expect=201):
    response = client.post(f"/api/v1/qa/questions/{question_id}/answers", json={"body": body})
    assert response.status_code == expect, response.text
    return response.json()


def titles(client, query=""):
    return [q["title"] for q in client.get(f"/api/v1/qa/questions{query}").json()["items"]]


def test_ask_answer_vote_and_accept_through_the_api(people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    question = ask(ann, body="It says *timeout*. <script>x()</script>", tags=["vpn", "#IT"])
    assert question["tags"] == ["vpn", "it"] and question["answer_count"] == 0
    assert "<em>timeout</em>" in question["html"] and "<script>" not in question["html"]
    first = answer(bob, question["id"], "Try **again** later.")
    second = answer(cid, question["id"], "Use the new client.")
    for voter in (ann, bob, cid):  # two votes by one person count once
        for _ in range(2):
            vote = voter.post(f"/api/v1/qa/answers/{second['id']}/vote", json={"value": 1})
            assert vote.status_code == 200, vote.text
    assert vote.json() == {"answer_id": second["id"], "score": 3, "voted": True}
    back = cid.post(f"/api/v1/qa/answers/{second['id']}/vote", json={"value": 0}).json()
    assert back["score"] == 2 and back["voted"] is False
    again = cid.post(f"/api/v1/qa/answers/{second['id']}/vote", json={"value": 0}).json()
    assert again["score"] == 2  # taking back a vote one does not hold changes nothing
    bad = ann.post(f"/api/v1/qa/answers/{second['id']}/vote", json={"value": 2})
    assert bad.status_code == 422 and "value" in bad.json()["error"]["fields"]
    # The asker accepts; nobody else (not a moderator) may.
    refused = cid.post(f"/api/v1/qa/answers/{first['id']}/accept")
    assert refused.status_code == 403
    accepted = ann.post(f"/api/v1/qa/answers/{first['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["accepted"] is True
    shown = ann.get(f"/api/v1/qa/questions/{question['id']}").json()
    assert [a["id"] for a in shown["answers"]] == [first["id"], second["id"]]  # accepted first
    assert shown["accepted_answer_id"] == first["id"] and shown["answer_count"] == 2
    assert [a["voted"] for a in shown["answers"]] == [False, True]
    # Accepting another answer moves the mark.
    ann.post(f"/api/v1/qa/answers/{second['id']}/accept")
    shown = ann.get(f"/api/v1/qa/questions/{question['id']}").json()
    assert shown["answers"][0]["id"] == second["id"] and shown["answers"][0]["accepted"]


def test_the_asker_is_told_and_the_question_reaches_the_stream_and_search(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    question = ask(ann, title="Where is the printer on floor 3?")
    answer(bob, question["id"], "Next to the kitchen.")
    notes = ann.get("/api/v1/notifications").json()["items"]
    assert any(n["content"]["title"] == "Where is the printer on floor 3?" for n in notes)
    stream = bob.get("/api/v1/stream").json()["items"]
    assert stream[0]["object"]["name"] == "Where is the printer on floor 3?"
    wait_for_index(rse_app)
    hits = bob.get("/api/v1/search", params={"q": "printer"}).json()["hits"]
    assert [h["title"] for h in hits] == ["Where is the printer on floor 3?"]


def test_lists_newest_unanswered_mine_tag_and_space(people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    one = ask(ann, title="One", tags=["vpn"])
    ask(bob, title="Two", space="ops")
    ask(cid, title="Three", tags=["vpn", "wifi"])
    answer(bob, one["id"])
    assert titles(ann) == ["Three", "Two", "One"]
    assert titles(cid) == ["Three", "One"]  # Ops is private: cid is not a member
    assert titles(ann, "?unanswered=true") == ["Three", "Two"]
    assert titles(ann, "?mine=true") == ["One"]
    assert titles(ann, "?tag=vpn") == ["Three", "One"]
    assert titles(ann, "?space=ops") == ["Two"]
    assert titles(cid, "?space=ops") == []  # a private space: known, its questions not
    assert cid.get("/api/v1/qa/questions?space=nope").status_code == 404
    page = ann.get("/api/v1/qa/questions?limit=2").json()
    rest = ann.get(f"/api/v1/qa/questions?limit=2&before={page['next']}").json()
    assert [q["title"] for q in page["items"] + rest["items"]] == ["Three", "Two", "One"]
    assert rest["next"] is None
    html = ann.get("/qa/unanswered").text
    assert ">Three<" in html and ">Two<" in html and ">One<" not in html
    assert ">Two<" in ann.get("/qa/spaces/ops").text
    assert ann.get("/qa/mine").text.count('class="card qa-card"') == 1


def test_a_private_space_question_is_invisible_to_outsiders_everywhere(people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    question = ask(bob, title="Secret budget question", space="ops")
    reply = answer(ann, question["id"])
    for path in (
        f"/api/v1/qa/questions/{question['id']}",
        f"/qa/questions/{question['id']}",
    ):
        assert cid.get(path).status_code == 404, path
    assert (
        cid.post(f"/api/v1/qa/questions/{question['id']}/answers", json={"body": "x"}).status_code
        == 404
    )
    assert cid.post(f"/api/v1/qa/answers/{reply['id']}/vote", json={"value": 1}).status_code == 404
    assert cid.post(f"/api/v1/qa/answers/{reply['id']}/accept").status_code == 404
    assert cid.delete(f"/api/v1/qa/questions/{question['id']}").status_code == 404
    assert "Secret budget" not in cid.get("/qa").text
    assert cid.get("/qa/similar", params={"title": "Secret budget"}).text.strip() == ""


def test_only_members_ask_in_a_space_and_only_the_author_edits(people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    assert ask(cid, expect=403, space="ops")  # a private space cid is not in
    question = ask(bob, title="Typo in the titel")
    edited = bob.patch(
        f"/api/v1/qa/questions/{question['id']}", json={"title": "Typo in the title"}
    )
    assert edited.status_code == 200 and edited.json()["title"] == "Typo in the title"
    assert (
        ann.patch(f"/api/v1/qa/questions/{question['id']}", json={"title": "Mine"}).status_code
        == 403
    )
    blank = bob.patch(f"/api/v1/qa/questions/{question['id']}", json={"title": "   "})
    assert blank.status_code == 422
    assert ask(ann, expect=422, title="")["error"]["fields"]["title"]
    assert cid.delete(f"/api/v1/qa/questions/{question['id']}").status_code == 403
    assert bob.delete(f"/api/v1/qa/questions/{question['id']}").status_code == 204
    assert ann.get(f"/api/v1/qa/questions/{question['id']}").status_code == 404


def test_the_pages_ask_answer_vote_and_accept_without_javascript(people):
    ann, bob = people["ann"], people["bob"]
    form = ann.get("/qa/ask")
    assert form.status_code == 200 and 'hx-get="/qa/similar"' in form.text
    empty = ann.post("/qa/questions", data={"title": " ", "body": ""})
    assert empty.status_code == 422 and "Ask your question." in empty.text
    made = ann.post(
        "/qa/questions",
        data={"title": "Who owns the wiki?", "body": "Just **curious**", "tags": "wiki, owners"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    url = made.headers["location"]
    page = ann.get(url).text
    assert "<strong>curious</strong>" in page and "#owners" in page
    no_text = bob.post(url, data={"action": "answer", "body": ""})
    assert no_text.status_code == 422 and "Write your answer first." in no_text.text
    answered = bob.post(url, data={"action": "answer", "body": "The intranet team."})
    answer_id = int(answered.url.fragment.split("-")[1])
    ann.post(f"/qa/answers/{answer_id}", data={"action": "vote"})
    ann.post(f"/qa/answers/{answer_id}", data={"action": "accept"})
    page = ann.get(url).text
    assert "Accepted answer" in page and "Useful · 1" in page and 'aria-pressed="true"' in page
    bob_page = bob.get(url).text
    assert "Accept this answer" not in bob_page  # not the asker
    assert bob.post(f"/qa/answers/{answer_id}", data={"action": "accept"}).status_code == 403


def test_similar_questions_come_from_search_while_the_title_is_typed(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    ask(ann, title="How to reset my laptop password?")
    ask(ann, title="Lunch options near the office")
    wait_for_index(rse_app)
    similar = bob.get("/qa/similar", params={"title": "reset password"}).text
    assert "How to reset my laptop password?" in similar and "Lunch" not in similar
    form = bob.get("/qa/ask", params={"title": "laptop password"}).text
    assert "How to reset my laptop password?" in form


def test_the_home_widget_lists_unanswered_questions_in_my_spaces_and_tags(people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    ask(ann, title="Ops on-call rota?", space="ops")
    ask(cid, title="Best VPN client?", tags=["vpn"])
    ask(cid, title="Unrelated")
    cid_home = cid.get("/").text
    assert "Questions waiting for an answer" in cid_home and "Ops on-call rota?" not in cid_home
    bob.post("/follow", data={"target": "tag:vpn"})
    home = bob.get("/").text
    assert "Ops on-call rota?" in home and "Best VPN client?" in home
    widget = home.split('<ul class="qa-widget">')[1].split("</ul>")[0]
    assert 'Ops on-call rota?</a> <span class="muted">Ann</span>' in widget
    assert 'Best VPN client?</a> <span class="muted">Cid</span>' in widget
    assert "Unrelated" not in home.split("Questions waiting for an answer")[1]


def test_concurrent_votes_by_many_people_count_once_each(rse_app, rse_user, rse_client_for, people):
    question = ask(people["ann"])
    reply = answer(people["bob"], question["id"])
    names = [f"voter{i}" for i in range(12)]
    for name in names:
        rse_user(name)
    voters = [rse_client_for(name) for name in names]
    errors: list[str] = []

    def run(client: TestClient) -> None:
        for _ in range(2):  # each twice: the second is the same vote
            response = client.post(f"/api/v1/qa/answers/{reply['id']}/vote", json={"value": 1})
            if response.status_code != 200:
                errors.append(response.text)

    threads = [threading.Thread(target=run, args=(c,)) for c in voters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    shown = people["ann"].get(f"/api/v1/qa/questions/{question['id']}").json()
    assert shown["answers"][0]["score"] == len(names)


def test_off_for_everyone_until_enabled_then_for_a_pilot_space_only(
    rse_app, rse_user, rse_client_for
):
    for name in ("pia", "out"):
        rse_user(name)
    pia, out = rse_client_for("pia"), rse_client_for("out")
    pia.post("/api/v1/spaces", json={"name": "Pilot", "slug": "pilot", "visibility": "public"})
    assert pia.get("/qa").status_code == 404
    enable(rse_app, "qa", spaces=["pilot"])
    assert pia.get("/qa").status_code == 200
    assert out.get("/qa").status_code == 404
    assert out.get("/api/v1/qa/questions").status_code == 404


def test_an_answers_words_find_its_question_until_the_answer_goes(rse_app, people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    public = ask(ann, title="Printer trouble")
    private = ask(bob, title="Ops trouble", space="ops")
    reply = answer(bob, public["id"], "Reinstall the zanzibar driver.")
    answer(ann, private["id"], "Restart the quokka service.")
    wait_for_index(rse_app)

    def found(client, q):
        return [h["title"] for h in client.get("/api/v1/search", params={"q": q}).json()["hits"]]

    assert found(cid, "zanzibar") == ["Printer trouble"]
    assert found(bob, "quokka") == ["Ops trouble"]
    assert found(cid, "quokka") == []  # the answer shares its question's audience
    edit = {"action": "edit", "body": "Use the wombat one."}
    assert bob.post(f"/qa/answers/{reply['id']}", data=edit).status_code == 200
    wait_for_index(rse_app)
    assert found(cid, "wombat") == ["Printer trouble"] and found(cid, "zanzibar") == []
    gone = {"action": "delete"}
    assert cid.post(f"/qa/answers/{reply['id']}", data=gone).status_code == 403
    assert bob.post(f"/qa/answers/{reply['id']}", data=gone).status_code == 200
    wait_for_index(rse_app)
    assert found(cid, "wombat") == []
    shown = ann.get(f"/api/v1/qa/questions/{public['id']}").json()
    assert shown["answers"] == [] and shown["answer_count"] == 0


def test_an_answer_is_edited_from_its_page_by_its_author_only(people):
    ann, bob = people["ann"], people["bob"]
    question = ask(ann)
    reply = answer(bob, question["id"], "First draft")
    url = f"/qa/questions/{question['id']}"
    assert "Edit my answer" in bob.get(url).text and "Edit my answer" not in ann.get(url).text
    bob.post(f"/qa/answers/{reply['id']}", data={"action": "edit", "body": "Better *answer*"})
    assert "Better <em>answer</em>" in ann.get(url).text
    refused = ann.post(f"/qa/answers/{reply['id']}", data={"action": "edit", "body": "Mine"})
    assert refused.status_code == 403
    blank = bob.post(f"/qa/answers/{reply['id']}", data={"action": "edit", "body": " "})
    assert blank.status_code == 422 and "Better <em>answer</em>" in ann.get(url).text


def experts_for(app, viewer, topic):
    from rse_core import find_experts, principals_for
    from rse_core.identity.accounts import get_user

    with app.state.rse.db.read() as session:
        scope = principals_for(session, get_user(session, viewer))
        return [(p.username, dict(s.counts)) for p, s in find_experts(session, scope, topic)]


def test_answers_votes_and_the_accepted_answer_are_evidence(rse_app, people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    question = ask(ann, tags=["vpn"])
    mine = answer(bob, question["id"])
    answer(cid, question["id"], "Reinstall.")
    ann.post(f"/api/v1/qa/answers/{mine['id']}/vote", json={"value": 1})
    bob.post(f"/api/v1/qa/answers/{mine['id']}/vote", json={"value": 1})  # one's own: no
    assert ann.post(f"/api/v1/qa/answers/{mine['id']}/accept").status_code == 200
    assert experts_for(rse_app, "cid", "vpn") == [
        ("bob", {"qa.answer": 1, "qa.accepted": 1, "qa.upvote": 1}),
        ("cid", {"qa.answer": 1}),
        ("ann", {"qa.question": 1}),
    ]
    page = cid.get("/people/topics/vpn").text
    assert "1 accepted answer · 1 answer · 1 vote for an answer" in page
    bob.post(f"/qa/answers/{mine['id']}", data={"action": "delete"})
    assert experts_for(rse_app, "cid", "vpn")[0] == ("cid", {"qa.answer": 1})
    # A question in a private space is evidence for its members only.
    private = ask(ann, tags=["secretvpn"], space="ops")
    answer(bob, private["id"])
    assert experts_for(rse_app, "bob", "secretvpn")[0][0] == "bob"
    assert experts_for(rse_app, "cid", "secretvpn") == []


def test_ask_an_expert_suggests_who_knows_and_may_see_then_notifies_them(
    rse_app, people, rse_user, rse_client_for
):
    from rse_qa import experts

    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    for name in ("dan", "eve"):
        rse_user(name)
    dan, eve = rse_client_for("dan"), rse_client_for("eve")
    # Evidence: bob and cid answered about #k8s; dan declares it; eve nothing.
    earlier = ask(dan, title="Which k8s version?", tags=["k8s"])
    answer(bob, earlier["id"])
    answer(cid, earlier["id"])
    dan.post("/profile", data={"display_name": "Dan", "skills": "k8s"})
    question = ask(ann, title="Why does my k8s pod restart?", tags=["k8s"])
    page = ann.get(f"/qa/questions/{question['id']}").text
    assert "Ask an expert" in page
    suggested = [name for name in ("bob", "cid", "dan") if f'name="expert" value="{name}"' in page]
    assert suggested == ["bob", "cid", "dan"]
    assert "listed in their skills" in page and "1 answer" in page
    # Only the asker sees the box and may ask.
    assert "Ask an expert" not in bob.get(f"/qa/questions/{question['id']}").text
    url = f"/qa/questions/{question['id']}"
    denied = bob.post(url, data={"action": "ask_expert", "expert": "cid"}, follow_redirects=False)
    assert denied.status_code == 403
    unknown = ann.post(url, data={"action": "ask_expert", "expert": "eve"})
    assert unknown.status_code == 422 and "Ask one of the colleagues suggested" in unknown.text
    asked = ann.post(url, data={"action": "ask_expert", "expert": "dan"}, follow_redirects=False)
    assert asked.status_code == 303
    assert dan.get("/notifications").text.count("asks for your help") == 1
    again = ann.post(url, data={"action": "ask_expert", "expert": "dan"})
    assert again.status_code == 200 and "Asked ✓" in again.text
    assert dan.get("/notifications").text.count("asks for your help") == 1
    # Throttled: asked ASKS_PER_WEEK times this week, dan cannot be asked again.
    for n in range(experts.ASKS_PER_WEEK - 1):
        other = ask(eve, title=f"k8s question {n}?", tags=["k8s"])
        eve.post(f"/qa/questions/{other['id']}", data={"action": "ask_expert", "expert": "dan"})
    busy = ask(eve, title="One more k8s question?", tags=["k8s"])
    refused = eve.post(
        f"/qa/questions/{busy['id']}", data={"action": "ask_expert", "expert": "dan"}
    )
    assert refused.status_code == 422 and "asked often this week" in refused.text
    assert "Asked often this week" in eve.get(f"/qa/questions/{busy['id']}").text

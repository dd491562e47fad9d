"""Spaces and permissions, over every read path that exists (pages, API, directory)."""

from __future__ import annotations

import pytest

from rse_core.testing import enable


@pytest.fixture
def world(rse_app, rse_user, rse_client_for):
    """owner owns one space of each visibility; member belongs to all; outsider to none."""
    for name in ("owner", "member", "outsider"):
        rse_user(name)
    rse_user("boss", admin=True)
    owner = rse_client_for("owner")
    for visibility in ("public", "private", "secret"):
        response = owner.post(
            "/api/v1/spaces",
            json={
                "name": f"{visibility.title()} team",
                "slug": visibility,
                "visibility": visibility,
                "description": f"the {visibility} one",
            },
        )
        assert response.status_code == 201
        assert (
            owner.post(
                f"/api/v1/spaces/{visibility}/members", json={"username": "member"}
            ).status_code
            == 201
        )
    return {name: rse_client_for(name) for name in ("owner", "member", "outsider", "boss")}


def read_paths(slug):
    """Every way to read a space's insides today."""
    return {
        "page": f"/spaces/{slug}",
        "members page": f"/spaces/{slug}/members",
        "api": f"/api/v1/spaces/{slug}",
    }


@pytest.mark.parametrize("path_kind", ["page", "members page", "api"])
def test_secret_space_is_404_for_outsiders_like_a_missing_one(world, path_kind):
    outsider = world["outsider"]
    secret = outsider.get(read_paths("secret")[path_kind])
    missing = outsider.get(read_paths("no-such-space")[path_kind])
    assert secret.status_code == missing.status_code == 404
    assert "Secret team" not in secret.text and "the secret one" not in secret.text
    assert secret.text.replace("secret", "no-such-space") == missing.text or path_kind != "api"


@pytest.mark.parametrize("reader", ["member", "owner"])
@pytest.mark.parametrize("path_kind", ["page", "members page", "api"])
def test_members_read_every_space(world, reader, path_kind):
    for slug in ("public", "private", "secret"):
        assert world[reader].get(read_paths(slug)[path_kind]).status_code == 200


def test_private_space_is_listed_but_its_insides_are_members_only(world):
    outsider = world["outsider"]
    listed = {s["slug"] for s in outsider.get("/api/v1/spaces").json()["items"]}
    assert listed == {"public", "private"}
    assert "Private team" in outsider.get("/spaces").text
    assert "Secret team" not in outsider.get("/spaces").text
    detail = outsider.get("/api/v1/spaces/private").json()
    assert "members" not in detail and detail["role"] is None
    assert outsider.get("/spaces/private/members").status_code == 404
    page = outsider.get("/spaces/private").text
    assert "only its members see" in page and "member" not in page.split("<main")[1].split(
        "only its members"
    )[0].replace("members", "")


def test_admin_manages_but_does_not_read_a_private_space(world):
    boss = world["boss"]
    assert "secret" in {s["slug"] for s in boss.get("/api/v1/spaces").json()["items"]}
    assert "members" not in boss.get("/api/v1/spaces/private").json()
    assert boss.get("/spaces/private/settings").status_code == 200  # manage: yes
    assert "only its members see" in boss.get("/spaces/private").text  # read: no


def test_removing_a_member_takes_effect_on_the_next_request(world):
    member = world["member"]
    assert member.get("/spaces/secret").status_code == 200
    assert world["owner"].delete("/api/v1/spaces/secret/members/member").status_code == 204
    assert member.get("/spaces/secret").status_code == 404
    assert member.get("/api/v1/spaces/secret").status_code == 404


def test_making_a_space_private_takes_effect_on_the_next_request(world):
    outsider = world["outsider"]
    assert "members" in outsider.get("/api/v1/spaces/public").json()
    response = world["owner"].post(
        "/spaces/public/settings",
        data={
            "name": "Public team",
            "visibility": "private",
            "join_policy": "request",
            "description": "",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "members" not in outsider.get("/api/v1/spaces/public").json()
    assert outsider.get("/spaces/public/members").status_code == 404


def test_join_policies(world):
    outsider = world["outsider"]
    outsider.post("/spaces/public/join")
    assert outsider.get("/api/v1/spaces/public").json()["role"] == "member"
    outsider.post("/spaces/private/join")  # on request: pending until approved
    assert outsider.get("/api/v1/spaces/private").json()["role"] is None
    owner = world["owner"]
    assert "Requests to join" in owner.get("/spaces/private/members").text
    owner.post("/spaces/private/members", data={"action": "add", "username": "outsider"})
    assert outsider.get("/api/v1/spaces/private").json()["role"] == "member"
    # A secret space cannot be joined, nor even found, without an invitation.
    assert outsider.post("/spaces/secret/join").status_code == 404


def test_invitation_then_accept(world, rse_user, rse_client_for):
    rse_user("newbie")
    newbie = rse_client_for("newbie")
    owner = world["owner"]
    owner.post("/api/v1/spaces/secret/members", json={"username": "member", "role": "moderator"})
    owner.post(
        "/spaces/secret/members", data={"action": "role", "username": "member", "role": "moderator"}
    )
    moderator = world["member"]
    # a moderator holds core.space.members by default: adds directly
    assert (
        moderator.post("/api/v1/spaces/secret/members", json={"username": "newbie"}).json()[
            "status"
        ]
        == "member"
    )
    assert newbie.get("/spaces/secret").status_code == 200


def test_invite_only_permission_sends_an_invitation(world, rse_app, rse_user, rse_client_for):
    rse_user("newbie")
    owner = world["owner"]
    # The owner lets plain members invite, but not manage members, in the secret space.
    owner.post(
        "/spaces/secret/settings",
        data={
            "name": "Secret team",
            "visibility": "secret",
            "join_policy": "invite",
            "permissions": "1",
            "perm:core.space.invite": ["member", "moderator", "owner"],
            "perm:core.space.members": ["owner"],
            "perm:core.space.manage": ["owner"],
            "perm:core.space.moderate": ["moderator", "owner"],
        },
    )
    response = world["member"].post("/api/v1/spaces/secret/members", json={"username": "newbie"})
    assert response.status_code == 201 and response.json()["status"] == "invited"
    newbie = rse_client_for("newbie")
    assert "Secret team" in newbie.get("/spaces").text  # the invitation is shown
    newbie.post("/spaces/secret/join")
    assert newbie.get("/api/v1/spaces/secret").json()["role"] == "member"


def test_members_cannot_manage_members_by_default(world):
    response = world["member"].delete("/api/v1/spaces/public/members/owner")
    assert response.status_code == 403


def test_last_owner_cannot_leave(world):
    response = world["owner"].delete("/api/v1/spaces/public/members/owner")
    assert response.status_code == 409  # a conflict with the space's state, not a bad field
    assert "at least one owner" in response.json()["error"]["fields"]["role"]


def test_admin_can_turn_off_space_creation(world):
    boss, member = world["boss"], world["member"]
    boss.post("/admin/site", data={})  # unchecked: only admins create spaces
    assert member.post("/api/v1/spaces", json={"name": "Nope"}).status_code == 403
    assert member.get("/spaces/new").status_code == 403
    assert boss.post("/api/v1/spaces", json={"name": "Admins can"}).status_code == 201
    boss.post("/admin/site", data={"spaces_open": "1"})
    assert member.post("/api/v1/spaces", json={"name": "Yes again"}).status_code == 201


def test_plugin_rollout_to_a_pilot_space(world, rse_app):
    enable(rse_app, "example", spaces=["private"])
    member, outsider = world["member"], world["outsider"]
    assert member.get("/example/").status_code == 200
    assert 'href="/example/"' in member.get("/").text
    assert member.get("/api/v1/example/greetings").status_code == 200
    assert outsider.get("/example/").status_code == 404
    assert 'href="/example/"' not in outsider.get("/").text
    assert outsider.get("/api/v1/example/greetings").status_code == 404
    # Joining the pilot space brings the plugin on the next request.
    world["owner"].post("/api/v1/spaces/private/members", json={"username": "outsider"})
    assert outsider.get("/example/").status_code == 200


def test_rollout_from_the_admin_page_is_logged(world, rse_app):
    boss = world["boss"]
    response = boss.post(
        "/admin/plugins/example",
        data={"action": "enable", "audience": "spaces", "spaces": ["private", "public"]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    row = next(
        p for p in boss.get("/api/v1/admin/plugins").json()["items"] if p["name"] == "example"
    )
    assert row["enabled"] and [s["slug"] for s in row["audience_spaces"]] == ["private", "public"]
    assert row["audience_names"] == ["Private team", "Public team"]
    assert row["changed_by"] == "boss"
    page = boss.get("/admin/plugins").text
    assert "boss · <strong>example</strong>: disabled → Pilot: Private team, Public team" in page
    bad = boss.post(
        "/admin/plugins/example",
        data={"action": "enable", "audience": "spaces", "spaces": ["nope"]},
    )
    assert bad.status_code == 422 and "No such space: nope" in bad.text


def test_directory_finds_colleagues_by_skill(rse_app, rse_user, rse_client_for):
    rse_user("kim", department="IT", skills="Kubernetes, Go", job_title="SRE")
    rse_user("lea", department="Sales", skills="Negotiation")
    client = rse_client_for("lea")
    page = client.get("/people?q=kubernetes").text.split("<main")[1]
    assert "/people/kim" in page and "/people/lea" not in page
    api = client.get("/api/v1/users?q=sales").json()
    assert [u["username"] for u in api["items"]] == ["lea"]
    assert client.get("/api/v1/users?q=go it").json()["items"][0]["username"] == "kim"
    assert client.get("/api/v1/users?q=%25").json()["items"] == []  # LIKE wildcards escaped

"""SCIM 2.0 provisioning (#18): the scim2-tester compliance suite passes against /scim/v2; an
identity provider creates, updates, deactivates and removes accounts (who then cannot sign in
or use a token, while what they wrote stays) and keeps a space's members as its group's."""

from __future__ import annotations

import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server
from sqlalchemy import select
from starlette.testclient import TestClient

from rse_core.identity.models import Space, User
from rse_core.identity.tokens import create_token
from rse_core.testing import add_user, enable, login, submit_login
from tests.conftest import share

SCIM = "application/scim+json"


@pytest.fixture
def provisioning(rse_app):
    """A client with a site admin's token, as an identity provider is set up."""
    enable(rse_app, "example")  # what the tests' people write
    admin = add_user(rse_app, "provisioner", admin=True)
    with rse_app.state.rse.db.write() as session:
        _row, secret = create_token(session, session.get(User, admin.id), "Entra ID")
    with TestClient(rse_app, base_url="http://testserver/scim/v2") as client:
        client.headers["authorization"] = f"Bearer {secret}"
        client.headers["content-type"] = SCIM
        yield client


def test_the_scim2_tester_compliance_suite_passes(provisioning):
    client = SyncSCIMClient(provisioning)
    results = check_server(client, raise_exceptions=False)
    failures = [
        f"{r.title} [{r.resource_type}]: {r.reason}"
        for r in results
        if r.status not in (Status.SUCCESS, Status.SKIPPED)
    ]
    assert failures == [], "\n".join(failures)
    passed = [r for r in results if r.status == Status.SUCCESS]
    assert len(passed) > 40  # discovery, CRUD, PATCH per attribute, for users and groups


def new_user(client, user_name, email, **extra):
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "emails": [{"value": email, "primary": True, "type": "work"}],
        **extra,
    }
    response = client.post("/Users", json=body)
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith(SCIM)
    return response.json()


def test_an_identity_provider_provisions_updates_deactivates_and_removes(rse_app, provisioning):
    created = new_user(
        provisioning,
        "Jeanne.Martin@acme.example",
        "jeanne.martin@acme.example",
        externalId="00u1abc",
        name={"givenName": "Jeanne", "familyName": "Martin"},
        title="Controller",
        **{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Finance"}},
    )
    ident = created["id"]
    assert created["userName"] == "Jeanne.Martin@acme.example"  # kept as the provider gave it
    assert created["displayName"] == "Jeanne Martin" and created["active"] is True
    with rse_app.state.rse.db.read() as session:
        user = session.get(User, int(ident))
        assert user.username == "jeanne.martin" and user.department == "Finance"
        assert user.password_hash == ""
    # The provider looks people up before creating them (Okta, Entra ID).
    found = provisioning.get('/Users?filter=userName eq "jeanne.martin@ACME.example"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == ident
    assert provisioning.get('/Users?filter=externalId eq "00u1abc"').json()["totalResults"] == 1
    assert provisioning.get('/Users?filter=userName eq "nobody"').json()["totalResults"] == 0
    # Same userName again: 409 uniqueness.
    again = provisioning.post(
        "/Users",
        json={"userName": "jeanne.martin@acme.example", "emails": [{"value": "x@acme.example"}]},
    )
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"

    # She signs in through a password an admin set, and makes a token, and writes.
    with rse_app.state.rse.db.write() as session:
        from rse_core.identity.accounts import set_password
        from rse_core.testing import TEST_PASSWORD

        set_password(session, session.get(User, int(ident)), TEST_PASSWORD)
        _row, token = create_token(session, session.get(User, int(ident)), "script")
    item = share(rse_app, "jeanne.martin", "quarterly figures are out")

    # A PATCH as Entra ID sends it: deactivate.
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "replace", "path": "title", "value": "Head of control"},
            {"op": "replace", "path": "active", "value": False},
        ],
    }
    patched = provisioning.patch(f"/Users/{ident}", json=patch)
    assert patched.status_code == 200, patched.text
    assert patched.json()["active"] is False and patched.json()["title"] == "Head of control"
    with TestClient(rse_app) as browser:
        refused = submit_login(browser, "jeanne.martin")
        assert "Wrong username or password." in refused.text
        api = browser.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
        assert api.status_code == 401
    with TestClient(rse_app) as reader:
        add_user(rse_app, "reader")
        login(reader, "reader")
        assert "quarterly figures are out" in reader.get(f"/content/{item}").text  # it stays

    # Removed: gone from the provider's view, the account inactive, content still there.
    assert provisioning.delete(f"/Users/{ident}").status_code == 204
    assert provisioning.get(f"/Users/{ident}").status_code == 404
    assert provisioning.get('/Users?filter=externalId eq "00u1abc"').json()["totalResults"] == 0
    with TestClient(rse_app) as reader:
        login(reader, "reader")
        assert "quarterly figures are out" in reader.get(f"/content/{item}").text
    # Re-hired: the same userName brings the same account back, active.
    back = new_user(provisioning, "jeanne.martin@acme.example", "jeanne.martin@acme.example")
    assert back["id"] == ident and back["active"] is True


def test_a_group_is_a_private_space_whose_members_follow_the_provider(rse_app, provisioning):
    ids = [
        new_user(provisioning, f"{n}@acme.example", f"{n}@acme.example")["id"]
        for n in ("ana", "ben", "cy")
    ]
    group = provisioning.post(
        "/Groups",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Finance team",
            "externalId": "grp-42",
            "members": [{"value": ids[0]}, {"value": ids[1]}],
        },
    )
    assert group.status_code == 201, group.text
    gid = group.json()["id"]
    with rse_app.state.rse.db.read() as session:
        space = session.get(Space, int(gid))
        assert (space.name, space.visibility, space.join_policy) == (
            "Finance team",
            "private",
            "invite",
        )
    item = share(rse_app, "ana", "budget draft", space=space.slug)
    add_user(rse_app, "outsider")

    def sees(username):
        with TestClient(rse_app) as client:
            with rse_app.state.rse.db.write() as session:
                from rse_core.identity.accounts import set_password
                from rse_core.testing import TEST_PASSWORD

                user = session.execute(select(User).where(User.username == username)).scalar_one()
                if not user.password_hash:
                    set_password(session, user, TEST_PASSWORD)
            login(client, username)
            return client.get(f"/content/{item}").status_code == 200

    assert sees("ben") and not sees("cy") and not sees("outsider")
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "add", "path": "members", "value": [{"value": ids[2]}]},
            {"op": "remove", "path": f'members[value eq "{ids[1]}"]'},
        ],
    }
    response = provisioning.patch(f"/Groups/{gid}", json=patch)
    assert response.status_code == 200, response.text
    assert sorted(m["value"] for m in response.json()["members"]) == sorted([ids[0], ids[2]])
    assert sees("cy") and not sees("ben")  # access follows at once
    listed = provisioning.get('/Groups?filter=displayName eq "finance team"').json()
    assert [g["id"] for g in listed["Resources"]] == [gid]
    # Spaces people made are not the provider's.
    assert provisioning.get("/Groups").json()["totalResults"] == 1
    # Let go: the space and its people stay, no longer the provider's.
    assert provisioning.delete(f"/Groups/{gid}").status_code == 204
    assert provisioning.get(f"/Groups/{gid}").status_code == 404
    assert sees("cy")


def test_bad_requests_get_scim_errors_and_change_nothing(rse_app, provisioning):
    cases = [
        ("post", "/Users", {"userName": "x"}),  # no e-mail
        ("post", "/Users", {"userName": "", "emails": [{"value": "a@b.example"}]}),
        ("post", "/Users", {"userName": "y", "emails": [{"value": "not-an-email"}]}),
        ("post", "/Users", {"userName": "z\x00", "emails": [{"value": "z@b.example"}]}),
        ("post", "/Groups", {"displayName": "G", "members": [{"value": "999999"}]}),
        ("post", "/Groups", {"displayName": "G", "members": [{"value": "abc"}]}),
        ("post", "/Users", ["not", "an", "object"]),
    ]
    for method, path, body in cases:
        response = getattr(provisioning, method)(path, json=body)
        assert 400 <= response.status_code < 500, (path, body, response.text)
        assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    broken = provisioning.post("/Users", content=b"{not json")
    assert broken.status_code == 400
    assert provisioning.get("/Users?filter=userName zz").status_code == 400
    assert provisioning.get('/Users?filter=nickName eq "x"').status_code == 400
    assert provisioning.get("/Users?count=abc").status_code == 400
    assert provisioning.get("/Users/99999999999999999999").status_code == 404
    assert provisioning.get("/Nope").status_code == 404
    with rse_app.state.rse.db.read() as session:
        assert session.execute(select(User.username)).scalars().all() == ["provisioner"]
        assert session.execute(select(Space.id)).first() is None


def test_only_a_site_admins_token_provisions(rse_app, provisioning):
    add_user(rse_app, "emma")
    with rse_app.state.rse.db.write() as session:
        user = session.execute(select(User).where(User.username == "emma")).scalar_one()
        _row, secret = create_token(session, user, "mine")
    with TestClient(rse_app, base_url="http://testserver/scim/v2") as client:
        assert client.get("/Users").status_code == 401
        assert client.get("/Users").json()["status"] == "401"
        client.headers["authorization"] = f"Bearer {secret}"
        assert client.get("/Users").status_code == 403
        client.headers["authorization"] = "Bearer wrong"
        assert client.get("/Users").status_code == 401


def test_filters_page_through_many_users(provisioning):
    for n in range(7):
        new_user(provisioning, f"user{n}@acme.example", f"user{n}@acme.example")
    page = provisioning.get('/Users?filter=userName sw "user"&startIndex=3&count=2').json()
    assert page["totalResults"] == 7 and page["startIndex"] == 3
    names = [r["userName"] for r in page["Resources"]]
    assert names == ["user2@acme.example", "user3@acme.example"]
    both = provisioning.get(
        '/Users?filter=userName eq "user1@acme.example" or emails.value co "user5"'
    ).json()
    assert sorted(r["userName"] for r in both["Resources"]) == [
        "user1@acme.example",
        "user5@acme.example",
    ]
    only = provisioning.get('/Users?filter=userName eq "user1@acme.example"&attributes=userName')
    resource = only.json()["Resources"][0]
    assert "userName" in resource and "emails" not in resource

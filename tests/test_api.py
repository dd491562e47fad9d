"""The core JSON API: shapes, paging, and bad input answered with 4xx, never 500."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=10,
)
SPACE_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "name": JSON_VALUES,
        "slug": JSON_VALUES,
        "visibility": JSON_VALUES,
        "description": JSON_VALUES,
        "join_policy": JSON_VALUES,
    },
)


def test_me(client):
    body = client.get("/api/v1/me").json()
    assert body["username"] == "erin" and body["is_admin"] is False and body["spaces"] == []


def test_create_space_and_read_it_back(client):
    response = client.post(
        "/api/v1/spaces", json={"name": "Équipe Qualité", "visibility": "private"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == "equipe-qualite" and body["role"] == "owner"
    assert body["join_policy"] == "request"
    assert response.headers["location"] == "/api/v1/spaces/equipe-qualite"
    detail = client.get("/api/v1/spaces/equipe-qualite").json()
    assert detail["members"] == [{"username": "erin", "display_name": "Erin", "role": "owner"}]


def test_validation_errors_name_the_field(client):
    response = client.post("/api/v1/spaces", json={"name": "", "visibility": "hidden"})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) >= {"name", "visibility"}
    client.post("/api/v1/spaces", json={"name": "Taken"})
    again = client.post("/api/v1/spaces", json={"name": "Taken"})
    assert again.status_code == 409 and "slug" in again.json()["error"]["fields"]
    assert again.json()["error"]["code"] == "conflict"


def test_malformed_json_is_400(client):
    response = client.post(
        "/api/v1/spaces", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"
    assert client.post("/api/v1/spaces", json=[1, 2]).status_code == 400


def test_members_endpoint_validates(client, rse_user):
    rse_user("olga")
    client.post("/api/v1/spaces", json={"name": "Team", "slug": "team"})
    assert client.post("/api/v1/spaces/team/members", json={}).status_code == 422
    assert client.post("/api/v1/spaces/team/members", json={"username": "ghost"}).json()["error"][
        "fields"
    ] == {"username": "unknown"}
    bad_role = client.post("/api/v1/spaces/team/members", json={"username": "olga", "role": "king"})
    assert bad_role.status_code == 422 and "role" in bad_role.json()["error"]["fields"]
    ok = client.post("/api/v1/spaces/team/members", json={"username": "OLGA"})
    assert ok.status_code == 201 and ok.json() == {"status": "member", "username": "olga"}
    assert client.delete("/api/v1/spaces/team/members/olga").status_code == 204
    assert client.delete("/api/v1/spaces/team/members/olga").status_code == 404


def test_cursor_paging_visits_every_user_once(client, rse_user):
    for i in range(7):
        rse_user(f"user{i}")
    seen, cursor = [], None
    while True:
        url = "/api/v1/users?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url).json()
        seen += [u["username"] for u in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 8
    assert client.get("/api/v1/users?cursor=%%%").status_code == 422  # not a cursor's alphabet
    assert client.get("/api/v1/users?limit=0").status_code == 422


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=SPACE_FIELDS)
def test_arbitrary_space_bodies_never_cause_a_500(client, body):
    response = client.post(
        "/api/v1/spaces", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert response.status_code in (201, 400, 422), (body, response.text)
    if response.status_code != 201:
        assert "error" in response.json()


def test_a_wrong_method_names_every_method_of_the_path(client):
    """OPTIONS /api/v1/spaces said "HEAD, GET" although the path takes POST too."""
    response = client.request("OPTIONS", "/api/v1/spaces")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_a_schema_violating_body_is_refused(client):
    """POST /api/v1/notifications/read with an id of the wrong type answered 200."""
    wrong = client.post("/api/v1/notifications/read", json={"id": "7"})
    assert wrong.status_code == 422 and "id" in wrong.json()["error"]["fields"]
    assert client.post("/api/v1/notifications/read", json={"id": 7.0}).status_code == 200
    assert client.post("/api/v1/notifications/read", json={"id": True}).status_code == 422
    assert client.post("/api/v1/notifications/read", json={}).json() == {"marked": 0}

"""Each worker keeps the access data (memberships, public spaces, plugin states, permission
overrides) while the access generation stands still: a change made through any worker is
seen by every other on its next request, never a stale permission."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from starlette.testclient import TestClient

from rse_core import create_app
from rse_core.access_cache import AccessCache, current_generation
from rse_core.identity.models import Membership, Space
from rse_core.testing import enable, login
from tests.conftest import share


def test_a_change_made_through_one_worker_reaches_the_other_on_its_next_request(
    rse_app, rse_settings, rse_user, rse_client_for
):
    rse_user("ann")
    rse_user("bob")
    rse_user("boss", admin=True)
    ann, boss = rse_client_for("ann"), rse_client_for("boss")
    # a second worker: its own runtime and cache, the same database
    other = create_app(rse_settings)
    with TestClient(other) as raw:
        bob = login(raw, "bob")
        assert (
            ann.post(
                "/api/v1/spaces", json={"name": "HR", "slug": "hr", "visibility": "private"}
            ).status_code
            == 201
        )
        share(rse_app, "ann", "payroll dates", space="hr")
        enable(rse_app, "example", spaces=["hr"])
        for _ in range(2):  # the second answer comes from bob's worker's copy
            assert "payroll dates" not in bob.get("/").text
            assert bob.get("/example/").status_code == 404
            assert "payroll dates" not in bob.get("/spaces/hr").text

        ann.post("/api/v1/spaces/hr/members", json={"username": "bob"})
        assert "payroll dates" in bob.get("/").text
        assert bob.get("/example/").status_code == 200  # the pilot space's plugin came too
        ann.delete("/api/v1/spaces/hr/members/bob")
        assert "payroll dates" not in bob.get("/").text
        assert bob.get("/example/").status_code == 404

        # a space made public: every employee reads its insides at once; private again: no more
        assert "members" not in bob.get("/api/v1/spaces/hr").json()
        ann.post("/spaces/hr/settings", data={"visibility": "public"})
        assert "members" in bob.get("/api/v1/spaces/hr").json()
        ann.post("/spaces/hr/settings", data={"visibility": "private"})
        assert "members" not in bob.get("/api/v1/spaces/hr").json()

        # plugin enablement through the admin page of the first worker
        enable(rse_app, "example")
        assert bob.get("/example/").status_code == 200
        boss.post("/admin/plugins/example", data={"action": "disable"})
        assert bob.get("/example/").status_code == 404

        # a site-wide permission override: only admins create spaces
        assert bob.get("/spaces/new").status_code == 200
        boss.post("/admin/site", data={})
        assert bob.get("/spaces/new").status_code == 403
        boss.post("/admin/site", data={"spaces_open": "1"})
        assert bob.get("/spaces/new").status_code == 200
    other.state.rse.close()


def test_the_share_in_menu_a_worker_keeps_follows_joins_and_renames(
    rse_app, rse_settings, rse_user, rse_client_for
):
    """The names of a reader's spaces (the composer's "share with" menu) are kept by each
    worker: another worker's rename or membership change shows on the next page."""
    rse_user("ann")
    rse_user("bob")
    enable(rse_app, "feed")
    ann = rse_client_for("ann")
    other = create_app(rse_settings)
    with TestClient(other) as raw:
        bob = login(raw, "bob")
        ann.post("/api/v1/spaces", json={"name": "HR", "slug": "hr", "visibility": "private"})
        assert '<option value="hr">' not in bob.get("/").text
        ann.post("/api/v1/spaces/hr/members", json={"username": "bob"})
        for _ in range(2):  # the second page from bob's worker's copy
            assert '<option value="hr">HR</option>' in bob.get("/").text
        ann.post("/spaces/hr/settings", data={"name": "People team"})
        assert '<option value="hr">People team</option>' in bob.get("/").text
        ann.delete("/api/v1/spaces/hr/members/bob")
        assert '<option value="hr">' not in bob.get("/").text


def test_every_way_of_writing_access_data_moves_the_generation_on(rse_app, rse_user):
    rse_user("ann")
    db = rse_app.state.rse.db

    def generation() -> int:
        with db.read() as session:
            return current_generation(session)

    before = generation()
    with db.write() as session:  # an object flushed
        session.add(Space(name="Ops", slug="ops", visibility="private"))
    assert generation() == before + 1
    with db.write() as session:  # ORM insert and delete statements, no object loaded
        space_id = session.execute(select(Space.id).where(Space.slug == "ops")).scalar_one()
        session.execute(insert(Membership).values(space_id=space_id, user_id=1, role="owner"))
    assert generation() == before + 2
    with db.write() as session:
        session.execute(delete(Membership).where(Membership.space_id == space_id))
    assert generation() == before + 3
    share(rse_app, "ann", "hello")  # other writes leave it alone
    assert generation() == before + 3
    try:  # a write rolled back moves nothing
        with db.write() as session:
            session.add(Space(name="Gone", slug="gone", visibility="public"))
            session.flush()
            raise RuntimeError("changed my mind")
    except RuntimeError:
        pass
    assert generation() == before + 3


def test_what_a_request_loaded_under_an_old_generation_is_not_kept():
    cache = AccessCache()
    cache.observe(5)
    loads = []

    def load():
        loads.append(1)
        return frozenset({1})

    # a slow request read generation 5; meanwhile another saw 6
    cache.observe(6)
    assert cache.shared(5, "public", load) == frozenset({1})
    assert cache.shared(6, "public", load) == frozenset({1})
    assert cache.shared(6, "public", load) == frozenset({1})
    assert len(loads) == 2  # the generation-5 answer was served but not kept
    cache.observe(4)  # an older generation never takes the cache back
    assert cache.generation == 6


def test_a_worker_keeps_a_bounded_number_of_members_roles(rse_app, rse_user):
    cache = AccessCache(max_users=2)
    cache.observe(1)
    with rse_app.state.rse.db.read() as session:
        for user_id in (1, 2, 3):
            cache.roles(1, session, user_id)
    assert cache.users_held == 2

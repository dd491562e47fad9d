"""LDAP sign-in and directory sync (#18) against a real OpenLDAP server on loopback
(scripts/ensure-slapd starts Debian's slapd): the directory checks the password, the account
is created and kept in step, people who leave the directory are deactivated, and a directory
that is down or a crafted username never lets anyone in."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
from ldap3 import Connection, Server
from rse_ldap.directory import Directory
from rse_ldap.sync import sync
from sqlalchemy import select
from starlette.testclient import TestClient

from rse_core.identity.models import User
from rse_core.testing import add_user, login, submit_login
from tests.conftest import VENV_BIN, cli_env

ROOT = Path(__file__).resolve().parents[3]
ADMIN = ("cn=admin,dc=acme,dc=example", "rse-ldap-admin")


@pytest.fixture(scope="session")
def ldap_url() -> str:
    result = subprocess.run(
        [str(ROOT / "scripts" / "ensure-slapd")], capture_output=True, text=True, check=True
    )
    return result.stdout.strip().splitlines()[-1]


class People:
    """An organisational unit of its own for one test, and who is in it."""

    def __init__(self, url: str) -> None:
        self.base = f"ou=t{uuid.uuid4().hex[:10]},ou=people,dc=acme,dc=example"
        self.connection = Connection(Server(url), *ADMIN, auto_bind=True)
        self.connection.add(self.base, ["organizationalUnit"])

    def add(self, uid: str, password: str, **attributes: str) -> str:
        dn = f"uid={uid},{self.base}"
        values = {
            "cn": attributes.pop("cn", uid.title()),
            "sn": "Employee",
            "mail": attributes.pop("mail", f"{uid}@acme.example"),
            "userPassword": password,
            **attributes,
        }
        assert self.connection.add(dn, ["inetOrgPerson"], values), self.connection.result
        return dn

    def change(self, uid: str, **attributes: str) -> None:
        from ldap3 import MODIFY_REPLACE

        changes = {k: [(MODIFY_REPLACE, [v])] for k, v in attributes.items()}
        assert self.connection.modify(f"uid={uid},{self.base}", changes)

    def remove(self, uid: str) -> None:
        assert self.connection.delete(f"uid={uid},{self.base}")


@pytest.fixture
def people(ldap_url):
    found = People(ldap_url)
    yield found
    found.connection.unbind()


@pytest.fixture
def directory_app(rse_app_factory, ldap_url, people):
    return rse_app_factory(ldap_url=ldap_url, ldap_base_dn=people.base)


def test_sign_in_with_the_directory_password_creates_the_account(directory_app, people):
    people.add(
        "jmartin",
        "Directory-pw-2026",
        cn="Jeanne Martin",
        departmentNumber="Finance",
        title="Controller",
    )
    with TestClient(directory_app) as client:
        assert submit_login(client, "jmartin", "Directory-pw-2026").status_code == 303
        assert "Jeanne Martin" in client.get("/").text
    with directory_app.state.rse.db.read() as session:
        user = session.execute(select(User).where(User.username == "jmartin")).scalar_one()
        assert (user.email, user.department, user.job_title) == (
            "jmartin@acme.example",
            "Finance",
            "Controller",
        )
        assert user.password_hash == ""  # the directory keeps the password
    people.change("jmartin", title="Head of control")
    with TestClient(directory_app) as client:
        assert submit_login(client, "jmartin", "Directory-pw-2026").status_code == 303
    with directory_app.state.rse.db.read() as session:
        users = session.execute(select(User).where(User.email.like("jmartin%"))).scalars().all()
        assert [u.job_title for u in users] == ["Head of control"]  # one account, updated


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("jdoe", "wrong-password"),
        ("jdoe", ""),  # LDAP takes an empty password as an anonymous bind: refused first
        ("*", "Directory-pw-2026"),  # a filter wildcard finds no one: escaped
        ("jdoe)(uid=*", "Directory-pw-2026"),
        ("nobody", "Directory-pw-2026"),
    ],
)
def test_wrong_passwords_and_crafted_names_are_refused(directory_app, people, username, password):
    people.add("jdoe", "Directory-pw-2026")
    with TestClient(directory_app) as client:
        response = submit_login(client, username, password)
        assert response.status_code == 200 and "Wrong username or password." in response.text
    with directory_app.state.rse.db.read() as session:
        assert session.execute(select(User.id)).first() is None


def test_a_directory_that_is_down_leaves_local_passwords_working(rse_app_factory):
    from tests.test_lifecycle import free_port

    app = rse_app_factory(
        ldap_url=f"ldap://127.0.0.1:{free_port()}", ldap_base_dn="dc=acme,dc=example"
    )
    add_user(app, "admin", admin=True)
    with TestClient(app) as client:
        login(client, "admin")  # the way in while the directory is down
        assert client.get("/", follow_redirects=False).status_code == 200


def test_the_sync_creates_updates_and_deactivates(directory_app, people):
    for n in range(7):
        people.add(f"emp{n}", "Directory-pw-2026", title=f"Role {n}")
    rt = directory_app.state.rse
    directory = Directory.from_settings(rt.settings)
    report = sync(rt, directory)
    assert (report.seen, report.linked, report.deactivated) == (7, 7, 0)
    with TestClient(directory_app) as client:  # emp3 is signed in when they leave
        assert submit_login(client, "emp3", "Directory-pw-2026").status_code == 303
        people.change("emp1", title="Lead")
        people.remove("emp3")
        report = sync(rt, directory)
        assert (report.seen, report.linked, report.deactivated) == (6, 0, 1)
        assert client.get("/", follow_redirects=False).status_code == 303  # signed out
    with rt.db.read() as session:
        rows = {u.username: u for u in session.execute(select(User)).scalars()}
    assert rows["emp1"].job_title == "Lead" and rows["emp1"].is_active
    assert not rows["emp3"].is_active
    # A filter that finds no one is a mistake: nobody is deactivated.
    empty = Directory.from_settings(rt.settings).__class__(
        url=directory.url, base_dn=directory.base_dn, people_filter="(uid=nobody-at-all)"
    )
    assert sync(rt, empty).deactivated == 0
    with rt.db.read() as session:
        assert session.execute(select(User).where(User.is_active)).scalars().all()


@pytest.mark.slow  # spawns rse processes
def test_the_commands_check_and_sync(tmp_path, ldap_url, people):
    people.add("cli1", "Directory-pw-2026")
    people.add("cli2", "Directory-pw-2026")
    env = {**cli_env(tmp_path / "var"), "RSE_LDAP_URL": ldap_url, "RSE_LDAP_BASE_DN": people.base}

    def rse(*args):
        return subprocess.run(
            [str(VENV_BIN / "rse"), *args], env=env, capture_output=True, text=True, timeout=120
        )

    assert rse("init").returncode == 0
    check = rse("ldap", "check")
    assert check.returncode == 0 and "2 people" in check.stdout, check.stderr
    done = rse("ldap", "sync")
    assert done.returncode == 0 and "2 new to rse" in done.stdout, done.stderr

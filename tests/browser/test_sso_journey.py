"""Single sign-on in a real browser (#18): a newcomer whom no admin created signs in through
the company's OpenID provider (on loopback) and finds a profile filled from the provider; the
admin then leaves passwords to administrators, and a colleague's password is refused."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import oidc_provider_mock
import pytest

from rse_core.identity.demo import DEMO_PASSWORD
from tests.browser.test_journey import browser, serve_demo, sign_in  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory, provider) -> Iterator[str]:
    with serve_demo(
        tmp_path_factory.mktemp("sso") / "var",
        RSE_OIDC_ISSUER=provider,
        RSE_OIDC_CLIENT_ID="intranet",
        RSE_OIDC_CLIENT_SECRET="s3cret",
        RSE_OIDC_LABEL="Acme ID",
    ) as base:
        yield base


def test_a_newcomer_signs_in_with_the_company_account(sso_server, provider, browser):  # noqa: F811
    claims = {
        "email": "ines.moreau@example.com",
        "email_verified": True,
        "name": "Inès Moreau",
        "preferred_username": "imoreau",
        "department": "Logistics",
        "job_title": "Buyer",
    }
    assert httpx.put(f"{provider}/users/{quote('ines-42')}", json=claims).status_code == 204
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{sso_server}/people")
    assert "/login" in page.url
    page.click("text=Sign in with Acme ID")
    page.fill("input[name=sub]", "ines-42")
    page.click("button:has-text('Authorize')")
    page.wait_for_url(f"{sso_server}/people")
    page.goto(f"{sso_server}/people/imoreau")
    text = page.inner_text("main")
    assert "Inès Moreau" in text and "Logistics" in text and "Buyer" in text
    assert errors == []
    context.close()

    admin, admin_page, _ = sign_in(browser, sso_server, "alice")
    admin_page.goto(f"{sso_server}/admin/users")
    admin_page.uncheck("input[name=passwords_open]")
    admin_page.click("form[action='/admin/site'] button")
    admin.close()

    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{sso_server}/login")
    page.click("text=Administrators: sign in with a password")
    page.fill("#f-username", "bruno")
    page.fill("#f-password", DEMO_PASSWORD)
    page.click("form[action='/login'] button")
    assert "passwords are for administrators only" in page.inner_text("main")
    context.close()

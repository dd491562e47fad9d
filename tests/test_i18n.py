"""French and English: the browser's language by default, the footer's choice remembered."""

from __future__ import annotations

from starlette.testclient import TestClient

from rse_core.i18n import translations


def test_the_french_catalog_translates_every_core_string():
    from babel.messages.pofile import read_po

    from rse_core.i18n import LOCALE_DIR

    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == []
    assert translations("fr").gettext("Sign in") == "Se connecter"


def test_browser_language_is_used(rse_app):
    with TestClient(rse_app) as client:
        page = client.get("/login", headers={"accept-language": "fr-FR,fr;q=0.9,en;q=0.5"})
        assert '<html lang="fr">' in page.text and "Se connecter" in page.text
        english = client.get("/login", headers={"accept-language": "de-DE,en;q=0.8"})
        assert '<html lang="en">' in english.text and "Sign in" in english.text


def test_the_choice_is_remembered(client):
    response = client.post(
        "/language", data={"lang": "fr", "next": "/people"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/people"
    page = client.get("/").text
    assert "Accueil" in page and "Seulement mes abonnements" in page
    client.post("/language", data={"lang": "en", "next": "//evil.example"})
    assert "Following only" in client.get("/").text


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"lang": "xx"})
    assert "Following only" in client.get("/").text

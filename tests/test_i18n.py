"""French and English: the browser's language by default, the footer's choice remembered."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from rse_core.i18n import translations

pytestmark = pytest.mark.portable


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


def test_the_language_is_negotiated_once_a_request(rse_app, client, monkeypatch):
    """A stream page shows a time per entry, each in the reader's language: the header is
    negotiated once a request, not once a time shown (5-7 us each)."""
    from rse_core import i18n
    from rse_core.testing import enable
    from tests.conftest import share

    enable(rse_app, "example")
    for n in range(5):
        share(rse_app, "erin", f"note {n}")
    asked = []
    negotiated = i18n._negotiated
    monkeypatch.setattr(
        i18n, "_negotiated", lambda header: asked.append(header) or negotiated(header)
    )
    page = client.get("/", headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert page.text.count("<time") >= 5 and "Seulement mes abonnements" in page.text
    assert asked == ["fr-FR,fr;q=0.9"]
    assert "Following only" in client.get("/", headers={"accept-language": "en"}).text
    assert asked == ["fr-FR,fr;q=0.9", "en"]


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"lang": "xx"})
    assert "Following only" in client.get("/").text


CATALOGS = {  # each source tree and the catalogs that answer for it, first first
    "rse_core": ["rse_core"],
    "plugins/feed/rse_feed": ["plugins/feed/rse_feed", "rse_core"],
    "plugins/bookmarks/rse_bookmarks": ["plugins/bookmarks/rse_bookmarks", "rse_core"],
    "plugins/blog/rse_blog": ["plugins/blog/rse_blog", "rse_core"],
    "plugins/wiki/rse_wiki": ["plugins/wiki/rse_wiki", "rse_core"],
    "plugins/events/rse_events": ["plugins/events/rse_events", "rse_core"],
    "plugins/qa/rse_qa": ["plugins/qa/rse_qa", "rse_core"],
    "plugins/praise/rse_praise": ["plugins/praise/rse_praise", "rse_core"],
    "plugins/files/rse_files": ["plugins/files/rse_files", "rse_core"],
    "plugins/ideas/rse_ideas": ["plugins/ideas/rse_ideas", "rse_core"],
}


def extracted(tree):
    """Every message ``pybabel extract`` finds in a source tree: ``_()``, ``gettext()`` and
    ``N_()`` in Python, ``_()`` and ``pgettext()`` in templates; ``(message, context)``."""
    from babel.messages.extract import extract_from_dir

    method_map = [("**/scaffold_template/**", "ignore"), ("**.py", "python")]
    method_map.append(("**/templates/**.html", "jinja2"))
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    from tests.conftest import ROOT

    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        ROOT / tree, method_map, options
    ):
        found.add((message if isinstance(message, str) else message[0], context))
    return found


def test_every_message_in_the_sources_is_translated_to_french():
    from babel.messages.pofile import read_po

    from tests.conftest import ROOT

    for tree, catalog_trees in CATALOGS.items():
        catalogs = []
        for catalog_tree in catalog_trees:
            with (ROOT / catalog_tree / "locale/fr/LC_MESSAGES/messages.po").open("rb") as fh:
                catalogs.append(read_po(fh))
        missing = sorted(
            (message, context or "")
            for message, context in extracted(tree)
            if not any(
                (found := c.get(message, context=context)) is not None and found.string
                for c in catalogs
            )
        )
        assert missing == [], f"{tree}: messages without a French translation"


def test_templates_hold_no_text_outside_the_catalogs():
    """Visible text and labelling attributes in templates go through ``_()``."""
    import re
    from html.parser import HTMLParser

    from tests.conftest import ROOT

    word = re.compile(r"[A-Za-zÀ-ÿ]{2,}")
    # Not for translation: the product's name, language names in their own language, "API".
    allowed = {"rse", "English", "Français", "API"}

    class Finder(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.found, self.skip = [], 0

        def handle_starttag(self, tag, attrs):
            self.skip += tag in ("script", "style", "code", "pre")
            for name, value in attrs:
                if name in ("title", "placeholder", "aria-label", "alt") and value:
                    self.check(value)

        def handle_endtag(self, tag):
            self.skip -= tag in ("script", "style", "code", "pre")

        def handle_data(self, data):
            if not self.skip:
                self.check(data)

        def check(self, text):
            words = set(word.findall(text.replace("\x00", " "))) - allowed
            if words:
                self.found.append(text.strip())

    roots = [ROOT / "rse_core/templates", *ROOT.glob("plugins/*/rse_*/templates")]
    untranslated = {}
    for root in roots:
        for path in sorted(root.rglob("*.html")):
            finder = Finder()
            # Expressions become a marker, statements a space (they may sit inside a tag).
            source = re.sub(r"\{%.*?%\}|\{#.*?#\}", " ", path.read_text(), flags=re.S)
            finder.feed(re.sub(r"\{\{.*?\}\}", "\x00", source, flags=re.S))
            if finder.found:
                untranslated[str(path.relative_to(ROOT))] = finder.found
    assert untranslated == {}


def test_every_plugin_s_plurals_read_french_through_the_one_catalog(rse_app):
    """The core's and the plugins' catalogs are merged into one (a chain of fallbacks cost
    ~1,000 Python calls a page). Three plugins' catalogs were written with another plural
    rule (three forms, the third empty), so "2 brouillons" read "2 drafts"; the merged
    catalog counts with the core's rule and every plural reads French."""
    from babel.messages.pofile import read_po

    catalog = rse_app.state.rse.catalogs.get("fr")
    checked = 0
    for directory in rse_app.state.rse.catalogs.plugin_dirs:
        path = directory / "fr" / "LC_MESSAGES" / "messages.po"
        if not path.exists():
            continue
        with path.open("rb") as fh:
            for message in read_po(fh):
                if not message.pluralizable or not message.id[0]:
                    continue
                one, many = message.id
                assert catalog.ngettext(one, many, 1) == message.string[0], message.id
                assert catalog.ngettext(one, many, 2) == message.string[1], message.id
                checked += 1
    assert checked >= 5
    assert catalog.ngettext("%(num)d draft", "%(num)d drafts", 2) == "%(num)d brouillons"
    assert catalog.gettext("Sign in") == "Se connecter"  # the core's words are there too

"""French and English: the catalog, the reader's language, and the template callables.

Catalogs are ``locale/<lang>/LC_MESSAGES/messages.po`` (extracted with ``pybabel extract -F
babel.cfg``) compiled in memory at first use, so no binary file is committed or built. The
language is the ``rse_lang`` cookie (the footer's switch) or the browser's Accept-Language.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.requests import HTTPConnection

LOCALES = ("en", "fr")
DEFAULT = "en"
COOKIE = "rse_lang"
_SCOPE_KEY = "rse.language"  # the request's language, once negotiated
LOCALE_DIR = Path(__file__).parent / "locale"


def N_(message: str) -> str:
    """Mark a message for extraction (``pybabel extract`` knows ``N_``) where it is defined;
    a template translates it where it is shown (``{{ _(error) }}``)."""
    return message


def compile_catalog(locale_dir: Path, lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang`` in ``locale_dir``, compiled in memory (empty when absent)."""
    return compile_catalogs([locale_dir], lang)


def compile_catalogs(locale_dirs: list[Path], lang: str) -> gettext.NullTranslations:
    """The catalogs of ``lang`` in ``locale_dirs`` as one, compiled in memory: where two hold
    a message, the first one's translation is kept.

    One catalog rather than a chain of fallbacks: gettext asks each fallback in turn, and a
    page asks for ~120 words, the core's catalog and nine plugins' deep (~1,000 Python calls
    a page, bench/profile_page.py)."""
    merged = None
    if lang != DEFAULT:
        for locale_dir in locale_dirs:
            path = Path(locale_dir) / lang / "LC_MESSAGES" / "messages.po"
            if not path.exists():
                continue
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
            if merged is None:
                merged = catalog
                continue
            for message in catalog:
                if message.id and merged.get(message.id, message.context) is None:
                    merged[message.id] = message
    if merged is None:
        return gettext.NullTranslations()
    buffer = BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@lru_cache(maxsize=len(LOCALES))
def translations(lang: str) -> gettext.NullTranslations:
    """The core's compiled catalog of ``lang`` (English is the source language)."""
    return compile_catalog(LOCALE_DIR, lang)


class Catalogs:
    """The core's catalog with the installed plugins' behind it, per language (built once)."""

    def __init__(self, plugin_dirs: list[Path]) -> None:
        self.plugin_dirs = plugin_dirs
        self._by_lang: dict[str, gettext.NullTranslations] = {}

    def get(self, lang: str) -> gettext.NullTranslations:
        """Translations for ``lang``: the core's first, then each plugin's."""
        found = self._by_lang.get(lang)
        if found is None:
            found = compile_catalogs([LOCALE_DIR, *self.plugin_dirs], lang)
            self._by_lang[lang] = found
        return found


def language(conn: HTTPConnection) -> str:
    """The reader's language: their choice (cookie), else their browser's, else English."""
    # Kept in the request's scope: a stream page asks for every time it shows (~40 a page),
    # and parsing the cookies and negotiating the header took 5-7 us each time.
    found = conn.scope.get(_SCOPE_KEY)
    if found is None:
        chosen = conn.cookies.get(COOKIE)
        found = (
            chosen if chosen in LOCALES else _negotiated(conn.headers.get("accept-language", ""))
        )
        conn.scope[_SCOPE_KEY] = found
    return found


def _negotiated(header: str) -> str:
    """The language an ``Accept-Language`` header prefers among ours, else English."""
    preferred = [part.split(";")[0].strip().replace("-", "_") for part in header.split(",")]
    found = negotiate_locale([p for p in preferred if p], list(LOCALES))
    if found is None:  # "fr_FR" against "fr": compare the language part
        for part in preferred:
            if part.split("_")[0].lower() in LOCALES:
                return part.split("_")[0].lower()
        return DEFAULT
    return found


def translate(conn: HTTPConnection, message: str) -> str:
    """``message`` in the reader's language, from the core's and the plugins' catalogs: for
    words a page's script shows (a JSON error) rather than a template."""
    return conn.app.state.rse.catalogs.get(language(conn)).gettext(message)


def template_callables(conn: HTTPConnection) -> dict[str, object]:
    """``_``, ``gettext``, ``ngettext``, ``pgettext`` (a word whose translation depends on
    its use: "shared" by one person or several) and ``lang`` for a template rendered for
    ``conn``."""
    lang = language(conn)
    t = conn.app.state.rse.catalogs.get(lang)
    return {
        "_": t.gettext,
        "gettext": t.gettext,
        "ngettext": t.ngettext,
        "pgettext": t.pgettext,
        "lang": lang,
    }

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
LOCALE_DIR = Path(__file__).parent / "locale"


@lru_cache(maxsize=len(LOCALES))
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English is the source language)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def language(conn: HTTPConnection) -> str:
    """The reader's language: their choice (cookie), else their browser's, else English."""
    chosen = conn.cookies.get(COOKIE)
    if chosen in LOCALES:
        return chosen
    header = conn.headers.get("accept-language", "")
    preferred = [part.split(";")[0].strip().replace("-", "_") for part in header.split(",")]
    found = negotiate_locale([p for p in preferred if p], list(LOCALES))
    if found is None:  # "fr_FR" against "fr": compare the language part
        for part in preferred:
            if part.split("_")[0].lower() in LOCALES:
                return part.split("_")[0].lower()
        return DEFAULT
    return found


def template_callables(conn: HTTPConnection) -> dict[str, object]:
    """``_``, ``gettext``, ``ngettext`` and ``lang`` for a template rendered for ``conn``."""
    lang = language(conn)
    t = translations(lang)
    return {"_": t.gettext, "gettext": t.gettext, "ngettext": t.ngettext, "lang": lang}

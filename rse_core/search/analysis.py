"""Text analysis for the embedded index: one field that stems English *and* French.

Every word is indexed under its English stem and, when different, its French stem at the same
position, then accents are folded ("réunions" → "reunion"), so "meetings" finds "meeting" and
"reunion" finds "réunions" whatever language an employee writes or searches in. One field
with both stems costs half the postings of one field per language (measured: 2x faster to
index). A query word that yields two stems matches either (``multitoken_query="or"``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

from markupsafe import escape
from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
    Token,
)
from whoosh.highlight import ContextFragmenter, HtmlFormatter, highlight
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map

STOP_WORDS = frozenset(stopwords_for_language("en")) | frozenset(stopwords_for_language("fr"))


class BilingualStemFilter(Filter):
    """Yields each token's English stem, then its French stem if it differs (same position)."""

    def __init__(self) -> None:
        self._stemmers()

    def _stemmers(self) -> None:
        self._en: Callable[[str], str] = lru_cache(maxsize=50_000)(stemmer_for_language("en"))
        self._fr: Callable[[str], str] = lru_cache(maxsize=50_000)(stemmer_for_language("fr"))

    # whoosh pickles the schema (with its analyzers) into the index: keep the caches out.
    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._stemmers()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        en, fr = self._en, self._fr
        for token in tokens:
            if token.stopped:
                yield token
                continue
            word = token.text
            english, french = en(word), fr(word)
            token.text = english
            yield token
            if french != english:
                token.text = french
                yield token


class CandidateStemFilter(Filter):
    """Stems only the words that may give one of a query's terms (for snippets): stemming
    keeps a word's first two letters, so a word whose folded start is no term's start is
    passed on unstemmed (it matches nothing either way). A new worker's first snippets
    stemmed every word of 20 hits, ~50 ms of cold stem caches."""

    def __init__(self, stems: BilingualStemFilter, starts: frozenset[str]) -> None:
        self.stems = stems
        self.starts = starts

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        starts = self.starts
        for token in tokens:
            if token.stopped or token.text.translate(accent_map)[:2] not in starts:
                yield token
            else:
                yield from self.stems(iter([token]))


def written_form(analyzer: Any, text: str, term: str) -> str | None:
    """The word of ``text`` that ``analyzer`` indexes as ``term`` (a stem), lowercased:
    "kubernetes" for "kubernet". None when no word of ``text`` gives that term."""
    for token in analyzer(text, chars=True, mode="index"):
        if token.text == term:
            return text[token.startchar : token.endchar].lower()
    return None


def bilingual_analyzer() -> Any:
    """Tokenize, lowercase, drop English and French stop words, stem both ways, fold accents."""
    return (
        RegexTokenizer()
        | LowercaseFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | BilingualStemFilter()
        | CharsetFilter(accent_map)
    )


_ANALYZER = bilingual_analyzer()
_STEMS = next(f for f in _ANALYZER.items if isinstance(f, BilingualStemFilter))


@lru_cache(maxsize=256)
def _snippet_analyzer(terms: frozenset[str]) -> Any:
    """:func:`bilingual_analyzer` stemming only the words that may give one of ``terms``."""
    return (
        RegexTokenizer()
        | LowercaseFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | CandidateStemFilter(_STEMS, frozenset(t[:2] for t in terms))
        | CharsetFilter(accent_map)
    )


def fold_accents(text: str) -> str:
    """``"Réunions à Noël"`` → ``"Reunions a Noel"`` (what PostgreSQL indexes and queries)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def query_terms(query: str) -> set[str]:
    """The index terms of the words of a query (both stems, accents folded)."""
    return {t.text for t in _ANALYZER(query, mode="query")}


#: How much of a document a snippet analyses: stemming costs ~1 µs a character (a 60,000
#: character wiki page took 11 ms a hit, 20 hits a page), so only this much around the
#: first place a word may match.
SNIPPET_SOURCE_CHARS = 2_000


def snippet(text: str, terms: Iterable[str], length: int = 200) -> str:
    """Up to three fragments of ``text`` around the words matching ``terms``, as safe HTML:
    the text escaped, ``<mark class="hit">`` around each match; the start of the text when
    nothing matches. Both backends show the same snippets."""
    terms = frozenset(terms)
    marked = highlight(
        _passage(text, terms),
        terms,
        _snippet_analyzer(terms),
        ContextFragmenter(maxchars=length, surround=40),
        HtmlFormatter(tagname="mark", classname="hit", between=" … "),
    )
    return marked or str(escape(text[:length]))


def _passage(text: str, terms: frozenset[str]) -> str:
    """The part of a long ``text`` worth analysing: :data:`SNIPPET_SOURCE_CHARS` from a little
    before the first place one of ``terms`` (stems, accents folded) appears as written, or
    from the start. Finding is one regular expression over the text (C speed: folding the
    text first cost 4.5 ms for 70,000 characters); the analysis then decides what matches."""
    if len(text) <= SNIPPET_SOURCE_CHARS:
        return text
    found = _written(terms).search(text)
    start = max(0, found.start() - 200) if found else 0
    if start:
        start = text.find(" ", start) + 1  # not in the middle of a word
    return text[start : start + SNIPPET_SOURCE_CHARS]


@lru_cache(maxsize=256)
def _written(terms: frozenset[str]) -> re.Pattern[str]:
    """Any of ``terms`` as it may be written: each letter or one of its accented forms."""
    alternatives = [
        "".join(_LETTER_FORMS.get(c, re.escape(c)) for c in term) for term in terms if term
    ]
    return re.compile("|".join(alternatives) or "(?!)", re.IGNORECASE)


def _letter_forms() -> dict[str, str]:
    """``"e"`` → ``"[eéèêë…]"``: each unaccented letter and the accented ones folded to it."""
    forms: dict[str, set[str]] = {}
    for code, folded in accent_map.items():
        if len(folded) == 1 and folded.isascii() and folded.isalpha():
            forms.setdefault(folded.lower(), {folded.lower()}).add(chr(code).lower())
    return {letter: f"[{''.join(sorted(chars))}]" for letter, chars in forms.items()}


_LETTER_FORMS = _letter_forms()

"""What the wiki does with text: ``[[links]]``, a table of contents, readable diffs and the
three-way merge of concurrent edits. Pure functions: no database, no request."""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from markupsafe import Markup, escape
from merge3 import Merge3

from rse_core import render_markdown, slugify

# [[Page title]] or [[Page title|label]], on one line.
WIKI_LINK = re.compile(r"\[\[([^\[\]|\n]{1,200})(?:\|([^\[\]\n]{1,200}))?\]\]")
HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.S)
TAG = re.compile(r"<[^>]+>")
CONTEXT = 3  # unchanged lines shown around each change in a diff


def page_slug(title: str) -> str:
    """The address of a page from its title ("Getting started" → ``getting-started``)."""
    return slugify(title)[:120].strip("-") or "page"


def link_targets(body: str) -> list[str]:
    """The addresses a body's ``[[links]]`` point at, in order, without repeats."""
    return list(dict.fromkeys(page_slug(m.group(1).strip()) for m in WIKI_LINK.finditer(body)))


def _markdown_label(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", text.strip())


CACHED_BODY_MAX = 50_000  # longer texts are rendered each time rather than held in memory


def render_page(body: str, base: str, found: Collection[str]) -> tuple[Markup, list]:
    """A page's sanitised HTML, with ``[[links]]`` to ``base/<slug>`` (``found``: the
    addresses of :func:`link_targets` that name a page; the others' links offer to create
    it) and ids on headings; and its table of contents ``[(level, id, text)]``. The same
    text with the same links found renders once (an LRU of 256): Markdown and sanitising
    cost more than the rest of a page view."""
    key = tuple(sorted(found))
    if len(body) > CACHED_BODY_MAX:
        return _render(body, base, key)
    return _render_cached(body, base, key)


def _render(body: str, base: str, found: tuple[str, ...]) -> tuple[Markup, list]:
    exists = set(found).__contains__

    def link(match: re.Match[str]) -> str:
        title = match.group(1).strip()
        label = _markdown_label(match.group(2) or title)
        slug = page_slug(title)
        if exists(slug):
            return f"[{label}]({base}/{slug})"
        return f"[{label}]({base}/{slug}?create={quote(title)})"

    rendered = str(render_markdown(WIKI_LINK.sub(link, body)))
    toc: list[tuple[int, str, str]] = []
    used: set[str] = set()

    def anchor(match: re.Match[str]) -> str:
        level, inner = int(match.group(1)), match.group(2)
        text = html.unescape(TAG.sub("", inner)).strip()
        ident = "s-" + (slugify(text) or "section")
        while ident in used:
            ident += "-"
        used.add(ident)
        toc.append((level, ident, text))
        return f'<h{level} id="{ident}">{inner}</h{level}>'

    return Markup(HEADING.sub(anchor, rendered)), toc


_render_cached = lru_cache(maxsize=256)(_render)


# --- diff -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffRow:
    """One line of a diff: ``kind`` is ``same``, ``del``, ``add`` or ``gap`` (unchanged lines
    left out); ``html`` is escaped, with ``<del>``/``<ins>`` around changed words."""

    kind: str
    old: int | None
    new: int | None
    html: Markup


def _words(line: str) -> list[str]:
    return re.findall(r"\s+|\w+|[^\w\s]", line)


def _word_diff(old: str, new: str) -> tuple[Markup, Markup]:
    a, b = _words(old), _words(new)
    # The words both share at the start and the end are matched at once: an edit usually
    # touches a few words, and the matcher then only sees those (3x faster on long diffs).
    shortest = min(len(a), len(b))
    start = 0
    while start < shortest and a[start] == b[start]:
        start += 1
    end = 0
    while end < shortest - start and a[-1 - end] == b[-1 - end]:
        end += 1
    head, tail = html.escape("".join(a[:start])), html.escape("".join(a[len(a) - end :]))
    middle_a, middle_b = a[start : len(a) - end], b[start : len(b) - end]
    left, right = [head], [head]
    matcher = difflib.SequenceMatcher(None, middle_a, middle_b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        before = html.escape("".join(middle_a[i1:i2]))
        after = html.escape("".join(middle_b[j1:j2]))
        if op == "equal":
            left.append(before)
            right.append(after)
            continue
        if i2 > i1:
            left.append(f"<del>{before}</del>")
        if j2 > j1:
            right.append(f"<ins>{after}</ins>")
    left.append(tail)
    right.append(tail)
    return Markup("".join(left)), Markup("".join(right))


def diff(old_text: str, new_text: str) -> list[DiffRow]:
    """The changes from ``old_text`` to ``new_text``, line by line with the changed words
    marked inside changed lines, and 3 unchanged lines of context around each change."""
    a, b = old_text.splitlines(), new_text.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(CONTEXT):
        if rows or group[0][1] > 0:
            rows.append(DiffRow("gap", None, None, Markup("")))
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                rows.extend(
                    DiffRow("same", i + 1, j + 1, escape(a[i]))
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
                continue
            paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
            for k in range(paired):
                left, right = _word_diff(a[i1 + k], b[j1 + k])
                rows.append(DiffRow("del", i1 + k + 1, None, left))
                rows.append(DiffRow("add", None, j1 + k + 1, right))
            rows.extend(DiffRow("del", i + 1, None, escape(a[i])) for i in range(i1 + paired, i2))
            rows.extend(DiffRow("add", None, j + 1, escape(b[j])) for j in range(j1 + paired, j2))
    return rows


def diff_json(rows: Iterable[DiffRow]) -> list[dict[str, object]]:
    """A diff as the API shows it."""
    return [{"kind": r.kind, "old": r.old, "new": r.new, "html": str(r.html)} for r in rows]


# --- merge ------------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line + "\n" for line in text.split("\n")]


def merge(base: str, current: str, mine: str) -> str | None:
    """Three-way merge of two edits of ``base``: the merged text when they touch different
    lines, None when they change the same lines differently (a real conflict)."""
    merger = Merge3(_lines(base), _lines(current), _lines(mine))
    if any(region[0] == "conflict" for region in merger.merge_regions()):
        return None
    return "".join(merger.merge_lines())[:-1]

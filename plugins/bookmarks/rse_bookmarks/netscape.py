"""The browser bookmark file (Netscape bookmark format) every browser imports and exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from html.parser import HTMLParser

DOCTYPE = "<!DOCTYPE NETSCAPE-Bookmark-file-1>"
MAX_FILE = 5 * 1024 * 1024
MAX_ENTRIES = 5000


class BadBookmarkFile(ValueError):
    """The upload is not a browser bookmark file; the message says what is wrong."""


@dataclass
class Entry:
    """One bookmark read from a file: the folders it sat in become tags."""

    url: str
    title: str
    tags: list[str] = field(default_factory=list)
    description: str = ""
    added: datetime | None = None  # ADD_DATE: when the browser saved it


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.entries: list[Entry] = []
        self.folders: list[str] = []
        self.pending_folder: str | None = None
        self.in_h3 = False
        self.current: Entry | None = None
        self.in_a = False
        self.in_dd = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        if tag == "h3":
            self.in_h3, self.pending_folder = True, ""
        elif tag == "dl":
            self.folders.append(self.pending_folder or "")
            self.pending_folder = None
        elif tag == "a":
            tags = [t for t in self.folders if t]
            tags += [t.strip() for t in values.get("tags", "").split(",") if t.strip()]
            self.current = Entry(values.get("href", ""), "", tags, added=_when(values))
            self.entries.append(self.current)
            self.in_a = True
        elif tag == "dd" and self.current is not None:
            self.in_dd = True
        elif tag == "dt":
            self.in_dd = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self.in_h3 = False
        elif tag == "dl":
            if not self.folders:
                raise BadBookmarkFile("The file's folders are not properly closed.")
            self.folders.pop()
            self.in_dd = False
        elif tag == "a":
            self.in_a = False

    def handle_data(self, data: str) -> None:
        if self.in_h3 and self.pending_folder is not None:
            self.pending_folder += data.strip()
        elif self.in_a and self.current is not None:
            self.current.title += data
        elif self.in_dd and self.current is not None:
            self.current.description += data.strip()


def _when(values: dict[str, str]) -> datetime | None:
    """ADD_DATE in seconds since 1970 (some browsers write microseconds); None if absent or
    not a plausible time."""
    raw = values.get("add_date", "").strip()
    if not raw.isdigit():
        return None
    seconds = int(raw)
    if seconds > 10**11:  # microseconds (Chrome-style)
        seconds //= 1_000_000
    if not 0 < seconds < 4_102_444_800:  # before 2100
        return None
    return datetime.fromtimestamp(seconds, UTC)


def parse(data: bytes) -> list[Entry]:
    """Read a bookmark file; raise BadBookmarkFile unless the whole file is understood."""
    if len(data) > MAX_FILE:
        raise BadBookmarkFile("The file is larger than 5 MB.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBookmarkFile("The file is not UTF-8 text.") from None
    if DOCTYPE.lower() not in text[:2000].lower():
        raise BadBookmarkFile("This is not a browser bookmark file (no NETSCAPE-Bookmark header).")
    parser = _Parser()
    try:
        parser.feed(text)
        parser.close()
    except BadBookmarkFile:
        raise
    except Exception:  # html.parser is lenient; anything it raises means a broken file
        raise BadBookmarkFile("The file could not be read.") from None
    if parser.folders:
        raise BadBookmarkFile("The file ends inside a folder: it looks truncated.")
    if len(parser.entries) > MAX_ENTRIES:
        raise BadBookmarkFile(f"The file has more than {MAX_ENTRIES} bookmarks.")
    for entry in parser.entries:
        entry.title = " ".join(entry.title.split())[:300]
    return parser.entries


def export(rows: list[tuple[str, str, str, list[str], int]]) -> str:
    """A bookmark file from (url, title, description, tags, unix time) rows."""
    lines = [
        DOCTYPE,
        '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">',
        "<TITLE>Bookmarks</TITLE>",
        "<H1>Bookmarks</H1>",
        "<DL><p>",
    ]
    for url, title, description, tags, added in rows:
        tag_attr = f' TAGS="{escape(",".join(tags))}"' if tags else ""
        lines.append(
            f'    <DT><A HREF="{escape(url)}" ADD_DATE="{added}"{tag_attr}>{escape(title)}</A>'
        )
        if description:
            lines.append(f"    <DD>{escape(description)}")
    lines.append("</DL><p>")
    return "\n".join(lines) + "\n"

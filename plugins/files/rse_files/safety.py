"""What makes an uploaded file safe to keep and to serve: its name, its real type, and how a
browser is allowed to open it.

A file is served inline only when it is an image of a kind browsers only ever draw (PNG,
JPEG, GIF, WebP) or a PDF, and its first bytes say so; everything else (HTML, SVG, scripts,
anything unknown) is an ``attachment`` of type ``application/octet-stream``, so no uploaded
file ever runs in the site's origin.
"""

from __future__ import annotations

import posixpath
import unicodedata

import puremagic

from rse_core import N_, Conflict, ValidationError

MAX_NAME = 200

#: Sniffed type -> served inline with this type. Nothing scriptable is ever in this list.
INLINE = {
    "image/png": "image/png",
    "image/jpeg": "image/jpeg",
    "image/gif": "image/gif",
    "image/webp": "image/webp",
    "application/pdf": "application/pdf",
}
#: What a name's extension claims, for the types whose content has a signature to check.
CLAIMS = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}
IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
# Windows refuses these whatever the extension; a name is often saved back to a disk.
RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10))}
RESERVED |= {f"lpt{i}" for i in range(1, 10)}


def clean_name(raw: object, field: str = "name") -> str:
    """A file or folder name as stored: its last path part, without control characters,
    leading dots or spaces, at most 200 characters (the extension kept); refused when
    nothing is left."""
    if not isinstance(raw, str):
        raise ValidationError({field: N_("Give a name.")})
    name = unicodedata.normalize("NFC", raw).replace("\\", "/")
    name = posixpath.basename(name.rstrip("/"))
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = name.strip().lstrip(".").strip()
    if not name or name in {".", ".."}:
        raise ValidationError({field: N_("Give a name.")})
    if name.split(".")[0].lower() in RESERVED:
        name = f"_{name}"
    if len(name) > MAX_NAME:
        _stem, dot, ext = name.rpartition(".")
        ext = f".{ext}" if dot and len(ext) <= 10 else ""
        name = name[: MAX_NAME - len(ext)].rstrip() + ext
    return name


def sniff(head: bytes) -> str:
    """What the first bytes of a file say it is ("image/png"), or "" when they say nothing
    puremagic knows."""
    if not head:
        return ""
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return ""
    for match in matches:
        if match.mime_type in INLINE:
            return match.mime_type
    if matches and matches[0].byte_match.startswith(b"PK"):
        return "application/zip"  # documents (DOCX, ODT, XLSX) are told apart by their name
    return next((m.mime_type for m in matches if m.mime_type), "")


def claimed(name: str) -> str | None:
    """The type a name claims by its extension, when that type has a signature to check."""
    ext = posixpath.splitext(name.lower())[1]
    return CLAIMS.get(ext)


def check_claim(name: str, sniffed: str, *, existing: bool = False) -> None:
    """Refuse a file whose name says it is an image or a PDF while its content is not
    (``existing``: the name of the file it would become a version of; a conflict, 409)."""
    claim = claimed(name)
    if claim is None or claim == sniffed:
        return
    if claim in IMAGES and sniffed in IMAGES:
        return  # a JPEG saved as .png: still an image, drawn as what it is
    if existing:
        raise Conflict(
            {"file": N_("This file is an image or a PDF: its new version must be one too.")}
        )
    raise ValidationError(
        {"file": N_("This file's name says it is an image or a PDF, but its content is not.")}
    )


def served_type(sniffed: str) -> tuple[str, bool]:
    """The type a file is served with, and whether a browser may show it inline."""
    if sniffed in INLINE:
        return INLINE[sniffed], True
    return "application/octet-stream", False


def is_image(sniffed: str) -> bool:
    """Is this an image a page may show (in an ``<img>``, never as a document)?"""
    return sniffed in IMAGES

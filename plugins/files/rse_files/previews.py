"""What a background job learns of a blob: a thumbnail (images, a PDF's first page) and the
words inside (PDF, DOCX, ODT/ODS/ODP, XLSX, plain text) for search.

Each reader is a well-kept library; each is bounded (pixels, pages, characters) so that a
hostile file costs a bounded amount of work. A file none can read has no preview: that is
not an error.
"""

from __future__ import annotations

import io
import logging
import posixpath
import warnings
import zipfile
from pathlib import Path

from PIL import Image

log = logging.getLogger(__name__)

THUMBNAIL = (320, 320)
#: Larger images are not decoded (a decompression bomb: a small file that unpacks to GBs).
MAX_PIXELS = 40_000_000
MAX_TEXT = 100_000
MAX_PDF_PAGES = 50
MAX_ZIP_RATIO = 100  # a document's XML may not unpack to more than 100 times its size
MAX_UNPACKED = 200 * 1024 * 1024
TEXT_TYPES = {".txt", ".md", ".csv", ".tsv", ".log", ".json", ".xml", ".html", ".htm", ".svg"}
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")


class Unreadable(Exception):
    """The file is not what a reader expected, or asks for too much work."""


def thumbnail(path: Path, sniffed: str) -> bytes | None:
    """A PNG of at most 320x320 for an image or a PDF's first page; None for other files."""
    if sniffed == "application/pdf":
        return _png(_pdf_first_page(path))
    if sniffed.startswith("image/"):
        return _png(_image(path))
    return None


def _image(path: Path) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path, formats=IMAGE_FORMATS)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise Unreadable(f"{width}x{height} pixels is more than we decode")
            image.draft("RGB", THUMBNAIL)  # JPEG: decode at a fraction of the size
            image.thumbnail(THUMBNAIL)
            return image
        except (OSError, SyntaxError, Image.DecompressionBombError, ValueError) as exc:
            raise Unreadable(str(exc)) from exc


def _pdf_first_page(path: Path) -> Image.Image:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise Unreadable(str(exc)) from exc
    try:
        if len(pdf) == 0:
            raise Unreadable("no page")
        page = pdf[0]
        width, height = page.get_size()
        scale = min(THUMBNAIL[0] / max(width, 1), THUMBNAIL[1] / max(height, 1), 2.0)
        image = page.render(scale=scale).to_pil()
        image.thumbnail(THUMBNAIL)
        return image
    finally:
        pdf.close()


def _png(image: Image.Image) -> bytes:
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def text(path: Path, name: str, sniffed: str) -> str:
    """The words of a document, at most 100,000 characters; "" for other files."""
    ext = posixpath.splitext(name.lower())[1]
    if sniffed == "application/pdf":
        found = _pdf_text(path)
    elif sniffed == "application/zip" and ext in (".docx", ".docm"):
        found = _docx_text(path)
    elif sniffed == "application/zip" and ext in (".xlsx", ".xlsm"):
        found = _xlsx_text(path)
    elif sniffed == "application/zip" and ext in (".odt", ".ods", ".odp"):
        found = _odf_text(path)
    elif ext in TEXT_TYPES and not sniffed.startswith(("image/", "application/")):
        found = _plain_text(path)
    else:
        return ""
    return " ".join(found.split())[:MAX_TEXT]


class _Collected:
    """Text gathered up to the limit (readers stop asking once it is full)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def add(self, value: object) -> bool:
        if value is None or value == "":
            return self.size < MAX_TEXT
        piece = str(value)
        self.parts.append(piece)
        self.size += len(piece) + 1
        return self.size < MAX_TEXT

    def __str__(self) -> str:
        return " ".join(self.parts)


def _pdf_text(path: Path) -> str:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise Unreadable(str(exc)) from exc
    found = _Collected()
    try:
        for index in range(min(len(pdf), MAX_PDF_PAGES)):
            textpage = pdf[index].get_textpage()
            if not found.add(textpage.get_text_range()):
                break
    finally:
        pdf.close()
    return str(found)


def _check_zip(path: Path) -> None:
    """Refuse a zip whose members would unpack to far more than its size (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise Unreadable(str(exc)) from exc
    size = max(path.stat().st_size, 1)
    if unpacked > MAX_UNPACKED or unpacked > size * MAX_ZIP_RATIO:
        raise Unreadable(f"unpacks to {unpacked:,} bytes")


def _docx_text(path: Path) -> str:
    import docx

    _check_zip(path)
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises many kinds for a broken package
        raise Unreadable(str(exc)) from exc
    found = _Collected()
    for paragraph in document.paragraphs:
        if not found.add(paragraph.text):
            return str(found)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                if not found.add(cell.text):
                    return str(found)
    return str(found)


def _xlsx_text(path: Path) -> str:
    import openpyxl

    _check_zip(path)
    # A file object: openpyxl judges a path by its extension, and blobs have none.
    handle = path.open("rb")
    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        handle.close()
        raise Unreadable(str(exc)) from exc
    found = _Collected()
    try:
        for sheet in book.worksheets:
            found.add(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                for value in row:
                    if not found.add(value):
                        return str(found)
    finally:
        book.close()
        handle.close()
    return str(found)


def _odf_text(path: Path) -> str:
    from odf import teletype
    from odf.opendocument import load
    from odf.text import H, P

    _check_zip(path)
    try:
        document = load(str(path))
    except Exception as exc:  # odfpy raises many kinds for a broken document
        raise Unreadable(str(exc)) from exc
    found = _Collected()
    for kind in (H, P):
        for element in document.getElementsByType(kind):
            if not found.add(teletype.extractText(element)):
                return str(found)
    return str(found)


def _plain_text(path: Path) -> str:
    with path.open("rb") as fh:
        raw = fh.read(MAX_TEXT * 4)
    if b"\x00" in raw[:8192]:
        return ""  # binary after all
    return raw.decode("utf-8", errors="replace").replace("\x00", "")

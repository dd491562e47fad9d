"""Receiving uploads: a multipart body streamed straight into staging files of the store.

Starlette's ``request.form()`` spools each file to the system's temporary directory (often a
RAM disk) and would then be copied into the store. Here each file part goes, chunk by chunk,
into a staging file beside the blobs while its sha256 and size are computed: a 2 GB upload
holds one chunk in memory, is written once, and is refused as soon as it passes the size
limit, with the staging files removed.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import python_multipart as multipart
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from .storage import Storage, staged_file

MAX_FIELD = 64 * 1024
MAX_FIELDS = 50
HEAD = 8 * 1024  # what sniffing reads of a file's start


class UploadRefused(Exception):
    """The body cannot be taken: ``status`` (400, 413, 422) and the reason, for the sender."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Received:
    """One file of the body, staged: its name as sent, size, sha256 and first bytes."""

    field: str
    filename: str
    declared_type: str
    path: Path
    size: int = 0
    sha256: str = ""
    head: bytes = b""


@dataclass
class Upload:
    """A multipart body: its plain fields (the last value of each name) and its files."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[Received] = field(default_factory=list)

    def discard(self) -> None:
        """Remove the staging files not taken into the store."""
        for received in self.files:
            received.path.unlink(missing_ok=True)


class _Part:
    def __init__(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.name = ""
        self.data = bytearray()
        self.file: Received | None = None
        self.fd: int | None = None
        self.hash = hashlib.sha256()


async def receive(
    request: Request, storage: Storage, *, max_file_bytes: int, max_files: int
) -> Upload:
    """Read a ``multipart/form-data`` body into staging files (the caller keeps or discards
    them). Raises UploadRefused for a body that is not multipart, a file over
    ``max_file_bytes`` (413), more than ``max_files`` files, or too many or too long fields."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise UploadRefused(400, "Send the files as multipart/form-data.")
    charset = params.get(b"charset", b"utf-8").decode("latin-1")
    try:
        charset = codecs.lookup(charset).name
    except LookupError:
        charset = "utf-8"
    upload = Upload()
    file_parts: list[_Part] = []
    part = _Part()
    pending: list[tuple[_Part, bytes]] = []
    header_name = bytearray()
    header_value = bytearray()

    def decode(raw: bytes) -> str:
        return raw.decode(charset, errors="replace")

    def on_part_begin() -> None:
        nonlocal part
        part = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        part.headers[bytes(header_name).lower()] = bytes(header_value)
        header_name.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _disposition, options = parse_options_header(part.headers.get(b"content-disposition"))
        if b"name" not in options:
            raise UploadRefused(400, "Each part needs a name.")
        part.name = decode(options[b"name"])
        if b"filename" in options:
            if len(upload.files) >= max_files:
                raise UploadRefused(422, f"Send at most {max_files} files at once.")
            path, fd = staged_file(storage)
            part.fd = fd
            part.file = Received(
                field=part.name,
                filename=decode(options[b"filename"]),
                declared_type=decode(part.headers.get(b"content-type", b"")),
                path=path,
            )
            upload.files.append(part.file)
            file_parts.append(part)
        elif len(upload.fields) >= MAX_FIELDS:
            raise UploadRefused(413, "Too many fields.")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if part.file is None:
            if len(part.data) + len(chunk) > MAX_FIELD:
                raise UploadRefused(413, f"The field {part.name!r} is too long.")
            part.data.extend(chunk)
            return
        received = part.file
        received.size += len(chunk)
        if received.size > max_file_bytes:
            raise UploadRefused(
                413,
                f"{received.filename or 'A file'} is larger than the limit of "
                f"{max_file_bytes / 1024 / 1024:,.0f} MB.",
            )
        if len(received.head) < HEAD:
            received.head += chunk[: HEAD - len(received.head)]
        part.hash.update(chunk)
        pending.append((part, chunk))

    def on_part_end() -> None:
        if part.file is None:
            upload.fields[part.name] = decode(bytes(part.data))
        else:
            part.file.sha256 = part.hash.hexdigest()
            pending.append((part, b""))  # closes the staging file once written

    callbacks = {
        "on_part_begin": on_part_begin,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
    }
    parser = multipart.MultipartParser(params[b"boundary"], callbacks)
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if pending:
                batch = list(pending)
                pending.clear()
                await run_in_threadpool(_write, batch)
        parser.finalize()
        if pending:
            await run_in_threadpool(_write, list(pending))
    except BaseException as exc:  # a client gone mid-upload leaves no staging file behind
        _close(file_parts)
        upload.discard()
        if isinstance(exc, multipart.exceptions.MultipartParseError | ValueError):
            raise UploadRefused(400, f"The multipart body is malformed: {exc}") from None
        raise
    _close(file_parts)
    if any(not received.sha256 for received in upload.files):
        upload.discard()
        raise UploadRefused(400, "The body ended in the middle of a file.")
    return upload


def _write(batch: list[tuple[_Part, bytes]]) -> None:
    for part, data in batch:
        if part.fd is None:
            continue
        if data:
            view = memoryview(data)
            while view:
                view = view[os.write(part.fd, view) :]
        else:
            os.close(part.fd)
            part.fd = None


def _close(parts: list[_Part]) -> None:
    for part in parts:
        if part.fd is not None:
            os.close(part.fd)
            part.fd = None

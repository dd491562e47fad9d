"""Where the bytes live, behind one small interface.

Blobs are named by the sha256 of their content, so a file uploaded twice (or the same
attachment in ten spaces) is stored once. An upload is first written to a staging file beside
the store while its hash is computed; ``put`` then moves it under its name. Thumbnails are
stored as ``thumbs/<sha256>.png`` beside the blobs.

``LocalStorage`` (the default) keeps them under the data directory. Another store (an
S3-compatible object store) implements the same protocol.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

CHUNK = 256 * 1024


class Storage(Protocol):
    """The bytes of blobs and thumbnails, by key (``blobs/ab/cd/<sha256>``)."""

    def staging(self) -> Path:
        """A directory for files being received, on the same file system as the store when
        the store is local (so ``put`` is a rename)."""

    def put(self, staged: Path, key: str) -> None:
        """Keep the staged file under ``key`` (the staged file is gone afterwards)."""

    def exists(self, key: str) -> bool:
        """Is something stored under ``key``?"""

    def local_path(self, key: str) -> Path | None:
        """The stored file's path, where the store is a local disk (served with ranges by
        the web server); None for a remote store."""

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes ``start`` to ``end`` (exclusive; the end when None), in chunks."""

    def delete(self, key: str) -> None:
        """Remove what is stored under ``key`` (nothing if absent)."""


def blob_key(sha256: str) -> str:
    """Where a blob is stored: two levels of directories keep each one small."""
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def thumbnail_key(sha256: str) -> str:
    """Where a blob's thumbnail is stored."""
    return f"thumbs/{sha256[:2]}/{sha256}.png"


class LocalStorage:
    """Blobs as files under ``root`` (``<data_dir>/files`` by default)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if ".." in key.split("/") or key.startswith("/"):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def staging(self) -> Path:
        path = self.root / "staging"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def put(self, staged: Path, key: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        with self._path(key).open("rb") as fh:
            fh.seek(start)
            left = None if end is None else end - start
            while left is None or left > 0:
                chunk = fh.read(CHUNK if left is None else min(CHUNK, left))
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def staged_file(storage: Storage) -> tuple[Path, int]:
    """A new empty staging file: its path and an open descriptor for writing."""
    fd, name = tempfile.mkstemp(prefix="upload-", dir=storage.staging())
    return Path(name), fd


_stores: dict[str, Storage] = {}


def storage_for(settings: Any) -> Storage:
    """The store ``settings`` name (one per data directory, shared by a worker's threads):
    ``<data_dir>/files`` unless ``files_storage_dir`` says where."""
    root = Path(settings.extra.get("files_storage_dir") or Path(settings.data_dir) / "files")
    key = str(root)
    if key not in _stores:
        _stores[key] = LocalStorage(root)
    return _stores[key]

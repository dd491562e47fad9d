"""Where the bytes live, behind one small interface.

Blobs are named by the sha256 of their content, so a file uploaded twice (or the same
attachment in ten spaces) is stored once. An upload is first written to a staging file beside
the store while its hash is computed; ``put`` then moves it under its name. Thumbnails are
stored as ``thumbs/<sha256>.png`` beside the blobs.

``LocalStorage`` (the default) keeps them under the data directory; ``S3Storage`` in any
S3-compatible object store (AWS S3, MinIO, Ceph, Garage, R2...), through obstore, for a
company that outgrows one machine: every worker on every host then reads the same blobs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
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


class S3Storage:
    """Blobs as objects of an S3-compatible bucket (under ``prefix``); uploads are staged on
    the local disk first (hashing needs the whole file before its name is known), then sent
    with multipart uploads of 8 MB parts; reads stream, ranges included."""

    PART = 8 * 1024 * 1024

    def __init__(self, store: Any, staging_root: Path) -> None:
        self.store = store
        self.staging_root = Path(staging_root)

    @classmethod
    def from_settings(cls, extra: dict[str, Any], staging_root: Path) -> S3Storage:
        """The bucket ``files_s3_bucket`` (``files_s3_prefix``, ``files_s3_endpoint`` for a
        store other than AWS, ``files_s3_region``; credentials ``files_s3_access_key_id`` and
        ``files_s3_secret_access_key``, else the usual ``AWS_*`` environment)."""
        from obstore.store import S3Store

        endpoint = str(extra.get("files_s3_endpoint") or "")
        options: dict[str, Any] = {"region": str(extra.get("files_s3_region") or "us-east-1")}
        if extra.get("files_s3_prefix"):
            options["prefix"] = str(extra["files_s3_prefix"]).strip("/")
        if extra.get("files_s3_access_key_id"):
            options["access_key_id"] = str(extra["files_s3_access_key_id"])
            options["secret_access_key"] = str(extra.get("files_s3_secret_access_key", ""))
        if endpoint:
            options["endpoint"] = endpoint
            options["virtual_hosted_style_request"] = False  # path style, as MinIO and most
            options["client_options"] = {"allow_http": endpoint.startswith("http://")}
        return cls(S3Store(str(extra["files_s3_bucket"]), **options), staging_root)

    def staging(self) -> Path:
        path = self.staging_root / "staging"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def put(self, staged: Path, key: str) -> None:
        import obstore

        obstore.put(self.store, key, staged, chunk_size=self.PART)
        staged.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        import obstore

        try:
            obstore.head(self.store, key)
        except FileNotFoundError:
            return False
        return True

    def local_path(self, key: str) -> Path | None:
        return None

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        import obstore

        if start == 0 and end is None:
            found = obstore.get(self.store, key)
        else:
            if end is None:
                end = obstore.head(self.store, key)["size"]
            if end <= start:
                return
            found = obstore.get(self.store, key, options={"range": (start, end)})
        for chunk in found.stream(min_chunk_size=CHUNK):
            yield bytes(chunk)

    def delete(self, key: str) -> None:
        import obstore

        with contextlib.suppress(FileNotFoundError):
            obstore.delete(self.store, key)


_stores: dict[tuple[str, ...], Storage] = {}


def storage_for(settings: Any) -> Storage:
    """The store ``settings`` name (one per configuration, shared by a worker's threads):
    the bucket ``files_s3_bucket`` when set, else ``<data_dir>/files`` unless
    ``files_storage_dir`` says where."""
    root = Path(settings.extra.get("files_storage_dir") or Path(settings.data_dir) / "files")
    bucket = settings.extra.get("files_s3_bucket")
    key = (str(root), str(bucket or ""), str(settings.extra.get("files_s3_endpoint") or ""),
           str(settings.extra.get("files_s3_prefix") or ""))  # fmt: skip
    if key not in _stores:
        _stores[key] = (
            S3Storage.from_settings(settings.extra, root) if bucket else LocalStorage(root)
        )
    return _stores[key]


class ExportedBlobs:
    """The library's bytes for ``rse export`` and ``rse import`` (``rse_core.BlobSource``):
    every stored blob and thumbnail the database refers to."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def keys(self, session: Any) -> Iterator[str]:
        """The blobs of ``files_blob``, and the thumbnails of those that have one."""
        from sqlalchemy import select

        from .models import Blob

        for sha256, has_thumbnail in session.execute(select(Blob.sha256, Blob.has_thumbnail)):
            yield blob_key(sha256)
            if has_thumbnail:
                yield thumbnail_key(sha256)

    def read(self, key: str) -> Iterator[bytes]:
        """The stored bytes."""
        return self.storage.read(key)

    def write(self, key: str, source: Path) -> None:
        """Store a copy of ``source`` (the export stays whole)."""
        staged, fd = staged_file(self.storage)
        os.close(fd)
        shutil.copyfile(source, staged)
        self.storage.put(staged, key)

"""Posting lists kept on disk as arrays, so that a restarted worker's first searches are fast.

Reading a long posting list from whoosh means unpickling and decompressing its blocks (~95 µs
for 128 postings, most of it the positions that ranking never reads): a new worker's first
query for a common word took ~260 ms at 100,000 documents. Segments never change, so a list
read once (document numbers and term frequencies, deleted documents included) stays true for
the segment's life: it is written here, beside the index, as one ``.npy`` file, and any worker
starting later maps it in a millisecond. Only lists of :data:`STORED_MIN` postings or more are
kept (shorter ones read fast), and a segment's files go when the segment does
(:meth:`PostingStore.prune`, by the writer after each commit).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

STORED_MIN = 2_000
_DTYPE = np.dtype([("id", "<i4"), ("weight", "<f4")])


class PostingStore:
    """``<directory>/<segment>/<hash of field and term>.npy``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def load(self, segment: str, field: str, text: str) -> tuple[np.ndarray, np.ndarray] | None:
        """A stored list's document numbers and weights, or None."""
        try:
            stored = np.load(self._path(segment, field, text))
        except (OSError, ValueError):  # not stored, or being pruned
            return None
        return stored["id"].astype(np.int64), stored["weight"].astype(np.float64)

    def save(
        self, segment: str, field: str, text: str, ids: np.ndarray, weights: np.ndarray
    ) -> None:
        """Keep a list read from whoosh (long ones only); a failure to write is harmless."""
        if len(ids) < STORED_MIN:
            return
        path = self._path(segment, field, text)
        stored = np.empty(len(ids), _DTYPE)
        stored["id"], stored["weight"] = ids, weights
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as f:
                np.save(f, stored)
            os.replace(f.name, path)  # whole or absent, for workers reading at the same time
        except OSError:
            return

    def prune(self, live_segments: Iterable[str]) -> None:
        """Remove the lists of segments the index no longer has (merged or cleared)."""
        live = set(live_segments)
        try:
            kept = list(self.directory.iterdir())
        except OSError:
            return
        for entry in kept:
            if entry.name not in live:
                shutil.rmtree(entry, ignore_errors=True)

    def _path(self, segment: str, field: str, text: str) -> Path:
        name = hashlib.sha256(f"{field}\0{text}".encode()).hexdigest()[:32]
        return self.directory / segment / f"{name}.npy"

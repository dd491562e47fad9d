"""Posting lists kept on disk as arrays, so that a restarted worker's first searches are fast.

Reading a long posting list from whoosh means unpickling and decompressing its blocks (~95 µs
for 128 postings, most of it the positions that ranking never reads): a new worker's first
query for a common word took ~260 ms at 100,000 documents. Segments never change, so a list
read once (document numbers and term frequencies, deleted documents included) stays true for
the segment's life: it is written here, beside the index, as one ``.npy`` file, and any worker
starting later maps it in a millisecond. Only lists of :data:`STORED_MIN` postings or more are
kept (shorter ones read fast), and a segment's files go when the segment does
(:meth:`PostingStore.prune`, by the writer after each commit).

A merge replaces segments with a new one whose lists nobody has read: the first query after
it would pay the whole read again. Each segment's directory also lists the terms stored for
it (``terms``, a line per list), and the writer reads those terms' lists in the new segments
before it prunes the old ones (``WhooshBackend._prune_store``): the words people search for
stay fast across merges and rebuilds, at the cost of reading them once in the writer.
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
TERMS = "terms"
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
            with open(path.parent / TERMS, "a", encoding="utf-8") as terms:
                terms.write(f"{field}\0{text}\n")  # one short append: whole lines
        except OSError:
            return

    def has(self, segment: str) -> bool:
        """Whether any list of ``segment`` is stored."""
        return (self.directory / segment).is_dir()

    def terms(self, segment: str) -> set[tuple[str, str]]:
        """The (field, term) pairs whose lists are stored for ``segment``."""
        try:
            lines = (self.directory / segment / TERMS).read_text(encoding="utf-8").splitlines()
        except OSError:
            return set()
        pairs = (line.split("\0", 1) for line in lines)
        return {(pair[0], pair[1]) for pair in pairs if len(pair) == 2}

    def gone(self, live_segments: Iterable[str]) -> list[str]:
        """The stored segments the index no longer has (merged away or cleared)."""
        live = set(live_segments)
        try:
            return [entry.name for entry in self.directory.iterdir() if entry.name not in live]
        except OSError:
            return []

    def prune(self, live_segments: Iterable[str]) -> None:
        """Remove the lists of segments the index no longer has."""
        for name in self.gone(live_segments):
            shutil.rmtree(self.directory / name, ignore_errors=True)

    def _path(self, segment: str, field: str, text: str) -> Path:
        name = hashlib.sha256(f"{field}\0{text}".encode()).hexdigest()[:32]
        return self.directory / segment / f"{name}.npy"

"""``rse search check``: drift between the database (the truth) and the index."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..db import Database
from ..plugins import PluginRegistry
from .backend import COMPARED, SearchBackend
from .documents import Document, all_documents


@dataclass
class Drift:
    """Keys missing from the index, stale in it, or extra (no longer in the database)."""

    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.missing or self.stale or self.extra)


def find_drift(db: Database, backend: SearchBackend, plugins: PluginRegistry) -> Drift:
    """Compare every document the database implies with what the index stores."""
    indexed = backend.keys()
    drift = Drift()
    seen = set()
    with db.read() as session:
        for doc in all_documents(session, plugins):
            seen.add(doc.key)
            stored = indexed.get(doc.key)
            if stored is None:
                drift.missing.append(doc.key)
            elif any(stored.get(name) != getattr(doc, name) for name in COMPARED):
                drift.stale.append(doc.key)
    drift.extra = sorted(set(indexed) - seen)
    return drift


def repair(db: Database, backend: SearchBackend, drift: Drift, plugins: PluginRegistry) -> None:
    """Write missing and stale documents, delete extra ones (the caller holds the lock)."""
    wanted = set(drift.missing) | set(drift.stale)
    with db.read() as session:
        documents: list[Document] = [d for d in all_documents(session, plugins) if d.key in wanted]
    backend.write(documents, drift.extra)

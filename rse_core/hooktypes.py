"""Small value types that hooks return: what a plugin hands to the core."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class NavItem:
    """An entry in the site header's navigation.

    ``label`` is plain text (escaped when rendered); ``href`` a local path;
    ``order`` sorts entries (lower first).
    """

    label: str
    href: str
    order: int = 100


@dataclass(frozen=True)
class Permission:
    """A named permission a plugin declares.

    ``name`` is dotted and starts with the plugin name (``blog.post``); ``default_roles`` are
    the space roles that hold it unless a space owner changes that (``member``,
    ``moderator``, ``owner``); ``everyone`` grants it to every signed-in employee who can
    read the space. ``admins`` gives it to site admins on every space (for management
    permissions only: it never lets an admin read a private space).
    """

    name: str
    description: str
    default_roles: tuple[str, ...] = ("member", "moderator", "owner")
    admins: bool = False


@dataclass(frozen=True)
class SpaceTab:
    """A tab on a space's pages: ``label`` (plain text), ``href`` (local path), ``order``."""

    label: str
    href: str
    order: int = 100


@dataclass(frozen=True)
class Document:
    """What the search index holds for one thing: ``key`` is ``c:<content id>``,
    ``u:<user id>`` or, for a plugin's own documents, ``<plugin name>:<anything>``."""

    key: str
    kind: str  # content type ("feed.post") or "person"
    title: str
    text: str
    audience: str
    url: str
    space: str  # slug, or "" outside spaces
    author: str
    created: datetime


@dataclass(frozen=True)
class Job:
    """A kind of background job a plugin declares (hook ``rse_jobs``).

    ``name`` starts with the plugin name (``blog.publish``); ``handler(ctx: JobContext)`` does
    the work and raises to fail (the job is then retried with exponential backoff, up to
    ``max_attempts`` runs, then kept as failed for an admin). With ``every`` the job is also
    periodic: it runs once per interval (the first time one interval after it is first seen)
    while its plugin is enabled for some audience, with ``{}`` as payload. ``lease`` is how
    long a worker may go silent before the job counts as abandoned and is run again (workers
    renew it while a job runs).
    """

    name: str
    handler: Callable[[JobContext], None]
    max_attempts: int = 5
    every: timedelta | None = None
    lease: timedelta = timedelta(minutes=1)


@dataclass(frozen=True)
class JobContext:
    """What a job handler receives: the ``runtime`` (``runtime.db.write()`` for a
    transaction), the job's ``payload``, its ``id``, which ``attempt`` this is (1 first) and
    ``now``, the worker's clock when the job started (injectable in tests)."""

    runtime: Any
    name: str
    payload: dict[str, Any]
    id: int
    attempt: int
    now: datetime


@dataclass(frozen=True)
class Evidence:
    """One sign that a person knows the topics (tags) of an item: they answered it, their
    answer was accepted, they edited it (hook ``rse_evidence``). ``kind`` is a name an
    ``rse_evidence_kinds`` hook declares; ``at`` when it happened (recent evidence weighs more).
    """

    user_id: int
    kind: str
    at: datetime


@dataclass(frozen=True)
class EvidenceKind:
    """A kind of evidence of expertise (hook ``rse_evidence_kinds``).

    ``name`` starts with the plugin's name (``qa.accepted``; a content type such as
    ``feed.post`` names "wrote it"); ``one`` and ``many`` are its singular and plural labels
    ("accepted answer", "accepted answers"; mark them with ``N_`` and translate them in the
    plugin's catalog, with ``msgid_plural``); ``weight`` is what one piece of it is worth
    against a post (1.0).
    """

    name: str
    one: str
    many: str
    weight: float = 1.0


@dataclass(frozen=True)
class ExportTable:
    """One of a plugin's tables, for ``rse export`` and ``rse import``.

    ``leave_out``: columns never written out (secrets: the import leaves their defaults).
    ``skip``: a table of nothing to carry (sessions, queues, caches rebuilt from the rest);
    ``why`` says so in the export's manifest and the documentation.
    """

    name: str
    leave_out: tuple[str, ...] = ()
    skip: bool = False
    why: str = ""


class BlobSource(Protocol):
    """The bytes a plugin keeps beside the database (uploaded files), for export and import.

    Keys are the plugin's own (``ab/cd/abcd...``: no ``..``, no leading ``/``)."""

    def keys(self, session: Any) -> Iterable[str]:
        """Every blob the database refers to (read in ``session``)."""
        ...

    def read(self, key: str) -> Iterator[bytes]:
        """The blob's bytes, in chunks."""
        ...

    def write(self, key: str, source: Path) -> None:
        """Store the file ``source`` as the blob ``key`` (an import)."""
        ...

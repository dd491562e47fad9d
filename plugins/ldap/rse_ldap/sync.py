"""Directory sync: accounts created and profiles updated from the directory; people who left
it deactivated (what they wrote stays)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import islice
from typing import Any

from rse_core import (
    ClaimNames,
    SignInRefused,
    User,
    ValidationError,
    deactivate_user,
    linked_user_ids,
    user_for_claims,
)

from .directory import Directory

log = logging.getLogger(__name__)
CHUNK = 500  # people per transaction: a big directory never holds the write lock for long
NAMES = ClaimNames(department="department", job_title="job_title")


@dataclass
class SyncReport:
    """What a sync did."""

    seen: int = 0
    linked: int = 0  # accounts new to the directory's links (created, or found by e-mail)
    refused: int = 0  # in the directory, but deactivated here by an admin: left so
    deactivated: int = 0


def sync(runtime: Any, directory: Directory) -> SyncReport:
    """Bring every account in step with ``directory``."""
    report = SyncReport()
    with runtime.db.read() as session:
        before = linked_user_ids(session, directory.source)
    seen: set[int] = set()
    people = directory.people()
    while chunk := list(islice(people, CHUNK)):
        with runtime.db.write() as session:
            for claims in chunk:
                report.seen += 1
                try:
                    with session.begin_nested():  # one bad entry does not undo the chunk
                        user = user_for_claims(
                            session,
                            directory.source,
                            claims,
                            create=directory.create_accounts,
                            names=NAMES,
                        )
                except (SignInRefused, ValidationError) as refused:
                    report.refused += 1
                    log.info("directory sync left %s: %s", claims.get("sub"), refused)
                    continue
                seen.add(user.id)
    report.linked = len(seen - before)
    gone = before - seen
    if report.seen == 0:
        # A filter or base that finds no one is a mistake, not a company that left.
        log.warning("the directory answered no one: nobody deactivated")
        return report
    with runtime.db.write() as session:
        for user_id in sorted(gone):
            user = session.get(User, user_id)
            if user is not None and user.is_active:
                deactivate_user(session, user)
                report.deactivated += 1
    return report

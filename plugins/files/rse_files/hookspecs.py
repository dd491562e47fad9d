"""Hooks the files plugin declares for other plugins to implement (``rse_addhooks``)."""

from __future__ import annotations

from pathlib import Path

from rse_core import Settings, hookspec


@hookspec
def files_scan(settings: Settings, path: Path, name: str) -> str | None:
    """Check an uploaded file before it is kept: return what was found (a virus's name) to
    refuse it, or None. Raise to say the check cannot be made now: the upload is then refused
    too (fail closed), with "try again later".

    :param settings: the installation's settings (a scanner's address among them).
    :param path: the received file, complete, on the local disk.
    :param name: its name as sent.

    Every implementation is asked, for every file of every upload, whichever plugins the
    uploader has (scanning is the installation's, not a rollout's). The files plugin
    implements it with ClamAV's clamd when ``files_clamd`` names one.
    """

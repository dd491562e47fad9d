"""Demo files for `rse demo`: a space's library with folders, documents whose words search
finds (a PDF, a Word document, a spreadsheet), an image, a second version, and a personal
file, so the libraries, previews and search have something to show."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rse_core import Settings, Space, User

from . import samples, service
from .storage import storage_for

# space (None: the owner's own library), folder, name, uploader, bytes
FILES = [
    ("kubernetes-guild", "Runbooks", "cluster-upgrade-runbook.pdf", "bruno",
     lambda: samples.pdf(["Cluster upgrade runbook", "Drain the nodes one by one",
                          "Check the ingress controller after each step"])),
    ("kubernetes-guild", "Runbooks", "on-call-rota.xlsx", "alice",
     lambda: samples.xlsx([["Week", "On call"], ["49", "Bruno"], ["50", "Alice"]])),
    ("kubernetes-guild", None, "architecture-diagram.png", "bruno",
     lambda: samples.png(480, 320, "#2f6fdf")),
    ("design-system", "Guidelines", "accessibility-checklist.docx", "gaelle",
     lambda: samples.docx(["Accessibility checklist", "Contrast ratio of at least 4.5:1",
                           "Every image has a text alternative"])),
    ("all-hands", None, "teletravail-procedure.odt", "chloe",
     lambda: samples.odt(["Procédure de télétravail", "Deux jours par semaine, déclarés "
                          "dans l'outil RH avant le vendredi"])),
    (None, None, "my-objectives-2027.docx", "hugo",
     lambda: samples.docx(["Objectives 2027", "Automate the monthly reporting"])),
]  # fmt: skip
# A second version, uploaded by someone else: the history shows who changed what.
NEW_VERSIONS = [
    ("kubernetes-guild", "cluster-upgrade-runbook.pdf", "alice",
     lambda: samples.pdf(["Cluster upgrade runbook (v2)", "Drain the nodes one by one",
                          "Check the ingress controller and the certificates"])),
]  # fmt: skip


def load_demo(session: Session, settings: Settings) -> None:
    """Create the demo libraries (the core created the people and spaces first)."""
    storage = storage_for(settings)
    users = {u.username: u for u in session.scalars(select(User))}
    spaces = {s.slug: s for s in session.scalars(select(Space))}
    folders: dict[tuple[str | None, str], object] = {}
    for slug, folder_name, name, username, make in FILES:
        if username not in users or (slug is not None and slug not in spaces):
            continue
        author = users[username]
        lib = service.Library(space=spaces[slug]) if slug else service.Library(owner=author)
        folder = None
        if folder_name:
            key = (slug or username, folder_name)
            if key not in folders:
                folders[key] = service.create_folder(session, lib, None, folder_name, author)
            folder = folders[key]
        blob = service.keep_bytes(session, storage, name, make())
        service.add_file(session, lib, folder, author, name, blob)  # type: ignore[arg-type]
    for slug, name, username, make in NEW_VERSIONS:
        if slug not in spaces or username not in users:
            continue
        lib = service.Library(space=spaces[slug])
        row = session.scalar(
            select(service.File).where(
                service.File.space_id == spaces[slug].id, service.File.name == name
            )
        )
        if row is not None:
            blob = service.keep_bytes(session, storage, name, make())
            service.add_version(session, row, users[username], blob)

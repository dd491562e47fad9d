"""The files plugin with ClamAV: a real clamd (Debian's, installed by scripts/ensure-clamd)
started on loopback with a signature database this test writes (no download of ClamAV's).
An infected upload is refused whole and nothing is kept; a scanner that cannot answer
refuses uploads too (fail closed)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
from rse_files.storage import storage_for
from sqlalchemy import func, select

from rse_core.testing import add_user, enable, login

# Slow (clamd loads its engine in ~2 s) and the same on every database.
pytestmark = [pytest.mark.slow, pytest.mark.portable]

SIGNATURE = b"RSE-TEST-VIRUS-SIGNATURE-0123456789"
CLAMD = "/usr/sbin/clamd"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def clamd(tmp_path_factory):
    """clamd on a loopback port, knowing one test signature: its ``tcp://`` address."""
    if not shutil.which(CLAMD):
        pytest.fail("clamd is missing: run scripts/ensure-clamd (make test does)")
    where = tmp_path_factory.mktemp("clamd")
    (where / "db").mkdir()
    (where / "db" / "rse-test.ndb").write_text(f"Rse.Test.Signature:0:*:{SIGNATURE.hex()}\n")
    port = free_port()
    (where / "clamd.conf").write_text(
        f"Foreground yes\nDatabaseDirectory {where / 'db'}\nTCPSocket {port}\n"
        f"TCPAddr 127.0.0.1\nLogFile {where / 'clamd.log'}\nStreamMaxLength 50M\n"
    )
    proc = subprocess.Popen(
        [CLAMD, "-c", str(where / "clamd.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError((where / "clamd.log").read_text()) from None
                time.sleep(0.1)
        yield f"tcp://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def client_for(app, name="ann"):
    from starlette.testclient import TestClient

    add_user(app, name)
    client = TestClient(app)
    client.__enter__()
    return login(client, name)


def blobs(app) -> int:
    from rse_files.models import Blob

    with app.state.rse.db.read() as session:
        return session.scalar(select(func.count()).select_from(Blob))


def test_an_infected_upload_is_refused_whole_and_nothing_is_kept(clamd, rse_app_factory):
    app = rse_app_factory(files_clamd=clamd)
    enable(app, "files")
    ann = client_for(app)
    clean = ann.post("/api/v1/files", files={"file": ("clean.txt", b"hello")})
    assert clean.status_code == 201
    infected = ann.post(
        "/api/v1/files",
        files=[
            ("file", ("fine.txt", b"nothing wrong")),
            ("file", ("invoice.docx", b"PK.." + SIGNATURE + b"..")),
        ],
    )
    assert infected.status_code == 422
    assert "A virus was found" in infected.json()["error"]["message"]
    assert blobs(app) == 1  # the first upload's only
    assert not any(storage_for(app.state.rse.settings).staging().iterdir())
    names = [f["name"] for f in ann.get("/api/v1/files").json()["items"]]
    assert names == ["clean.txt"]
    version = ann.post(
        f"/api/v1/files/{clean.json()['items'][0]['id']}/versions",
        files={"file": ("clean.txt", SIGNATURE)},
    )
    assert version.status_code == 422
    page = ann.post("/files/me/upload", files={"file": ("x.bin", SIGNATURE)})
    assert "A virus was found" in page.text
    ann.__exit__(None, None, None)


def test_a_scanner_that_cannot_answer_refuses_uploads(rse_app_factory):
    app = rse_app_factory(files_clamd=f"tcp://127.0.0.1:{free_port()}")  # nobody listens
    enable(app, "files")
    ann = client_for(app)
    refused = ann.post("/api/v1/files", files={"file": ("clean.txt", b"hello")})
    assert refused.status_code == 503
    assert "cannot be checked for viruses" in refused.json()["error"]["message"]
    assert blobs(app) == 0
    assert not any(storage_for(app.state.rse.settings).staging().iterdir())
    ann.__exit__(None, None, None)

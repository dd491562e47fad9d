"""The files plugin on an S3-compatible object store: moto's S3 server on loopback stands for
AWS S3, MinIO or Ceph. Uploads, versions, ranged downloads, previews and the purge go through
the bucket; nothing is kept on the local disk but staging files while an upload arrives."""

from __future__ import annotations

import hashlib
import itertools
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from rse_files import samples
from rse_files.storage import S3Storage, blob_key, storage_for, thumbnail_key

from rse_core import utcnow
from rse_core.testing import add_user, enable, login, run_jobs, wait_for_index

buckets = itertools.count()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server on a loopback port, for this module."""
    port = free_port()
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def s3_app(s3_endpoint, rse_app_factory):
    """An app whose files live in a new bucket of the loopback S3 server."""
    bucket = f"rse-test-{next(buckets)}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    app = rse_app_factory(
        files_s3_bucket=bucket,
        files_s3_endpoint=s3_endpoint,
        files_s3_prefix="rse",
        files_s3_access_key_id="test",
        files_s3_secret_access_key="test",
    )
    enable(app, "files")
    return app, client, bucket


def keys(client, bucket) -> set[str]:
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {item["Key"] for item in listed}


def test_files_live_in_the_bucket_and_come_back_whole_or_in_ranges(s3_app):
    from starlette.testclient import TestClient

    app, client, bucket = s3_app
    add_user(app, "ann")
    assert isinstance(storage_for(app.state.rse.settings), S3Storage)
    report = samples.pdf(["Pangolin migration plan"])
    big = bytes(range(256)) * 40_000  # 10 MB: a multipart upload to the bucket
    with TestClient(app) as http:
        ann = login(http, "ann")
        made = ann.post(
            "/api/v1/files", files=[("file", ("plan.pdf", report)), ("file", ("big.bin", big))]
        )
        assert made.status_code == 201, made.text
        plan, large = made.json()["items"]
        assert {f"rse/{blob_key(hashlib.sha256(b).hexdigest())}" for b in (report, big)} <= keys(
            client, bucket
        )
        data_dir = app.state.rse.settings.data_dir
        assert not list((data_dir / "files").glob("blobs/**/*"))  # nothing on the local disk
        assert not any((data_dir / "files" / "staging").iterdir())
        whole = ann.get(f"/api/v1/files/{large['id']}/download")
        assert whole.status_code == 200 and whole.content == big
        part = ann.get(f"/files/{large['id']}/download", headers={"range": "bytes=1000-1999"})
        assert part.status_code == 206 and part.content == big[1000:2000]
        assert part.headers["content-range"] == f"bytes 1000-1999/{len(big)}"
        tail = ann.get(f"/files/{large['id']}/download", headers={"range": "bytes=-10"})
        assert tail.content == big[-10:]
        beyond = ann.get(f"/files/{large['id']}/download", headers={"range": "bytes=99999999-"})
        assert beyond.status_code == 416
        # A new version, and the preview job reading the PDF from the bucket.
        again = ann.post(
            f"/api/v1/files/{plan['id']}/versions",
            files={"file": ("plan.pdf", samples.pdf(["Pangolin plan v2"]))},
        )
        assert again.status_code == 201
        assert ann.get(f"/api/v1/files/{plan['id']}/download?version=1").content == report
        run_jobs(app)
        wait_for_index(app)
        hits = ann.get("/api/v1/search", params={"q": "pangolin"}).json()["hits"]
        assert [h["title"] for h in hits] == ["plan.pdf"]
        thumb = ann.get(f"/files/{plan['id']}/thumbnail")
        assert thumb.status_code == 200 and thumb.content.startswith(b"\x89PNG")
        sha = hashlib.sha256(samples.pdf(["Pangolin plan v2"])).hexdigest()
        assert f"rse/{thumbnail_key(sha)}" in keys(client, bucket)
        # Thirty days after the trash, the bytes nobody holds leave the bucket.
        assert ann.delete(f"/api/v1/files/{large['id']}").status_code == 204
    run_jobs(app, now=utcnow() + timedelta(days=31))
    assert f"rse/{blob_key(hashlib.sha256(big).hexdigest())}" not in keys(client, bucket)
    assert f"rse/{blob_key(hashlib.sha256(report).hexdigest())}" in keys(client, bucket)

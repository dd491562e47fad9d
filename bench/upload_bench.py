"""Benchmark: uploading and downloading a large file through one worker, and its memory.

    .venv/bin/python bench/upload_bench.py [--size-mb 1024] [--runs 2]

On the demo data (SQLite, every plugin), it starts ``rse serve`` (one uvicorn worker), reads
the worker's resident memory at rest (VmRSS, after 20 pages), then uploads a file of
``--size-mb`` MB to ``POST /api/v1/files`` (multipart, streamed by the client from a 1 MB
pattern, so the client holds no more than that) while sampling the worker's memory every
20 ms, then downloads it back (``GET /api/v1/files/{id}/download``, streamed). Reported: MB/s
each way, the peak memory above rest during each, and as a baseline the same bytes written
and hashed (sha256) to a file on the same disk by this process (what any upload must do).
Target (issue #15): a 1 GB upload keeps the worker under 100 MB above its resting size.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import stream_bench  # noqa: E402
from start_bench import rss_mb  # noqa: E402

MB = 1024 * 1024
BOUNDARY = "rsebenchboundary"


def body(size: int, pattern: bytes):
    """A multipart body of one file of ``size`` bytes, yielded a chunk at a time."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    left = size
    while left > 0:
        chunk = pattern[: min(left, len(pattern))]
        left -= len(chunk)
        yield chunk
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


class Sampler:
    """The highest VmRSS of a process while it runs (sampled every 20 ms)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.done = pid, 0.0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.02)

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()


def baseline(directory: Path, size: int, pattern: bytes) -> float:
    """MB/s of writing and hashing the same bytes to a file on the same disk."""
    digest = hashlib.sha256()
    started = time.perf_counter()
    with open(directory / "baseline.bin", "wb") as fh:
        for chunk in body(size, pattern):
            digest.update(chunk)
            fh.write(chunk)
        fh.flush()
        os.fsync(fh.fileno())
    elapsed = time.perf_counter() - started
    (directory / "baseline.bin").unlink()
    return size / MB / elapsed


def one_run(data_dir: Path, token: str, size: int, pattern: bytes) -> dict[str, float]:
    import httpx2

    port = stream_bench.free_port()
    env = {**os.environ, "RSE_DATA_DIR": str(data_dir), "RSE_FILES_PERSONAL_QUOTA_MB": "100000"}
    proc = subprocess.Popen(
        [str(stream_bench.VENV_BIN / "rse"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"authorization": f"Bearer {token}"}
    try:
        stream_bench.wait_http(port)
        with httpx2.Client(base_url=base, headers=headers, timeout=600) as client:
            for _ in range(20):
                client.get("/api/v1/files")
            rest = rss_mb(proc.pid)
            started = time.perf_counter()
            with Sampler(proc.pid) as up:
                response = client.post(
                    "/api/v1/files",
                    content=body(size, pattern),
                    headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
                )
            upload_s = time.perf_counter() - started
            assert response.status_code == 201, response.text
            file_id = response.json()["items"][0]["id"]
            started = time.perf_counter()
            received = 0
            url = f"/api/v1/files/{file_id}/download"
            with Sampler(proc.pid) as down, client.stream("GET", url) as got:
                for chunk in got.iter_bytes(MB):
                    received += len(chunk)
            download_s = time.perf_counter() - started
            assert received == size, received
            client.delete(f"/api/v1/files/{file_id}")
        return {
            "rest": rest,
            "up_mbs": size / MB / upload_s,
            "up_peak": up.peak - rest,
            "down_mbs": size / MB / download_s,
            "down_peak": down.peak - rest,
        }
    finally:
        stream_bench.stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    size = args.size_mb * MB
    pattern = os.urandom(MB)
    with tempfile.TemporaryDirectory(prefix="rse-upload-", dir="/var/tmp") as tmp:
        data_dir = Path(tmp) / "var"
        env = {**os.environ, "RSE_DATA_DIR": str(data_dir)}
        rse = str(stream_bench.VENV_BIN / "rse")
        subprocess.run([rse, "demo"], env=env, check=True, capture_output=True)
        made = subprocess.run(
            [rse, "tokens", "create", "alice", "--name", "bench"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        token = made.stdout.strip().splitlines()[-1]
        disk = baseline(data_dir, size, pattern)
        print(f"{args.size_mb} MB file, one worker; baseline (write + sha256 to the same disk):"
              f" {disk:,.0f} MB/s")  # fmt: skip
        print("run  rest MB  upload MB/s  (ratio)  peak above rest  download MB/s  peak above rest")
        for run in range(1, args.runs + 1):
            r = one_run(data_dir, token, size, pattern)
            print(
                f"{run:>3}  {r['rest']:>7.0f}  {r['up_mbs']:>11,.0f}  ({r['up_mbs'] / disk:.2f})"
                f"  {r['up_peak']:>12.1f} MB  {r['down_mbs']:>13,.0f}  {r['down_peak']:>12.1f} MB"
            )


if __name__ == "__main__":
    main()

"""Benchmark: a worker's start-up and its memory at rest, with every installed plugin.

    .venv/bin/python bench/start_bench.py [--activities 100000] [--starts 5]

On the stream bench's data (10,000 users, 500 spaces, ``--activities`` feed posts), it starts
``rse serve`` (one uvicorn worker) ``--starts`` times and measures the time from the command
to the first signed-in home page answered (200, 20 entries), then after 200 more home pages
the worker's resident memory (VmRSS of the serving process: one worker is one process).
Targets (issue #13): start-up to the first served page under 2 s; RSS under 150 MB at rest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import stream_bench  # noqa: E402


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (MB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def one_start(data_dir: Path, token: str) -> tuple[float, float]:
    """Seconds to the first served home page, and MB resident after 200 more."""
    import httpx2

    port = stream_bench.free_port()
    env = {**os.environ, "RSE_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(stream_bench.VENV_BIN / "rse"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        with httpx2.Client(cookies={"rse_session": token}, timeout=10) as client:
            while True:
                try:
                    response = client.get(url)
                    break
                except httpx2.TransportError:
                    if time.perf_counter() - started > 60:
                        raise
                    time.sleep(0.02)
            first = time.perf_counter() - started
            assert response.status_code == 200 and response.text.count('class="card entry"') == 20
            for _ in range(200):
                assert client.get(url).status_code == 200
        return first, rss_mb(proc.pid)
    finally:
        stream_bench.stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rse-start-") as tmp:
        data_dir = Path(tmp) / "var"
        stream_bench.build(data_dir, args.activities)
        token = stream_bench.sign_in(data_dir)
        runs = [one_start(data_dir, token) for _ in range(args.starts)]
    firsts = sorted(r[0] for r in runs)
    rss = sorted(r[1] for r in runs)
    print(f"| measure ({args.activities:,} activities, {args.starts} starts) | median | worst |")
    print("|---|---:|---:|")
    print(
        f"| start-up to the first served home page | {statistics.median(firsts):.2f} s "
        f"| {firsts[-1]:.2f} s |"
    )
    median_rss, worst_rss = statistics.median(rss), rss[-1]
    print(f"| RSS of the worker after 200 pages | {median_rss:.0f} MB | {worst_rss:.0f} MB |")


if __name__ == "__main__":
    main()

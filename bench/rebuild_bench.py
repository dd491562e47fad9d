"""Benchmark: a web worker starting on an empty search index of N documents.

    .venv/bin/python bench/rebuild_bench.py [--people 100000]

Builds an installation of N employees (written straight into the tables) with no index,
starts ``rse serve``, and measures: the home page's latency while the index is rebuilt in the
background, the worker's own CPU meanwhile, how long after SIGTERM the worker (and its
rebuild) stop, and how long a restarted worker takes to complete the index.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import test_lifecycle as lifecycle  # noqa: E402 (the test's own helpers)
from tests.conftest import cli_env  # noqa: E402


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    args = parser.parse_args()
    lifecycle.PEOPLE = args.people
    env = {**os.environ, **cli_env(Path(tempfile.mkdtemp()) / "var")}
    token = lifecycle._many_people(env)
    port = lifecycle.free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).parent / "rse"), "serve", "--port", str(port)]

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        lifecycle.wait_for(f"{base}/login", 60)
        return proc

    server = start()
    began, cpu = time.monotonic(), cpu_seconds(server.pid)
    with httpx.Client(base_url=base, cookies={"rse_session": token}, timeout=10) as client:
        timings = []
        for _ in range(50):
            started = time.perf_counter()
            assert client.get("/").status_code == 200
            timings.append((time.perf_counter() - started) * 1000)
        time.sleep(5)
    timings.sort()
    print(f"{args.people:,} documents to index")
    print(f"home page while rebuilding: median {timings[25]:.1f} ms, max {timings[-1]:.1f} ms")
    print(
        f"worker CPU over the first {time.monotonic() - began:.0f} s: "
        f"{cpu_seconds(server.pid) - cpu:.1f} s"
    )
    assert lifecycle._rebuild_processes(env["RSE_DATA_DIR"]), "no background rebuild"
    asked = time.monotonic()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)
    print(f"worker stopped {time.monotonic() - asked:.2f} s after SIGTERM, mid-rebuild")
    while lifecycle._rebuild_processes(env["RSE_DATA_DIR"]):
        time.sleep(0.05)
    print(f"rebuild process gone {time.monotonic() - asked:.2f} s after SIGTERM")
    server = start()
    began = time.monotonic()
    last = f"person{args.people - 1}"
    with httpx.Client(base_url=base, cookies={"rse_session": token}, timeout=30) as client:
        while True:
            page = client.get(f"/search?q={last}").text
            if f"Person {args.people - 1}" in page and "search-rebuilding" not in page:
                break
            time.sleep(1)
    print(f"restarted worker: index complete {time.monotonic() - began:.0f} s after start")
    asked = time.monotonic()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)
    print(f"worker stopped {time.monotonic() - asked:.2f} s after SIGTERM, idle")


if __name__ == "__main__":
    main()

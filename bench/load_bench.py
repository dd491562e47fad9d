"""Benchmark: scale-out with workers, and a mixed load of reads and writes, on SQLite and on
PostgreSQL, at the seeds' scale.

    .venv/bin/python bench/load_bench.py [--activities 1000000] [--workers 1,2,4]
        [--seconds 10] [--postgres URL]

It builds bench/seed_data.py's data (100,000 employees, 5,000 spaces) on SQLite and, with
``--postgres``, in a new database of that server; signs in 200 employees; then for each number
of uvicorn workers (``rse serve --workers N``):
  * reads: ``wrk -t2 -c16`` on the home page, each request as one of the 200 employees;
  * mixed: the same with 10 % writes (4 % new posts, 3 % comments, 3 % likes or unlikes on
    company-wide items), the rest home pages.
Reported: requests/s, p50 and p99, and errors (any answer but 2xx/3xx, "database is locked"
included). The machine has 2 cores: the curve shows what a worker adds there.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_bench  # noqa: E402
import seed_data  # noqa: E402
import stream_bench  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

READERS = 200
CSRF = "b" * 43
SCRIPT = """
local tokens = {%(tokens)s}
local items = {%(items)s}
local writes = %(writes)d
local csrf = "%(csrf)s"
local started = 0
function setup(thread)
  started = started + 1
  thread:set("number", started)
end
function init(args)
  -- each wrk thread its own sequence (the same seed made both send the same requests)
  math.randomseed(%(seed)d + number)
end
request = function()
  local headers = {}
  headers["Cookie"] = "rse_session=" .. tokens[math.random(#tokens)] .. "; rse_csrf=" .. csrf
  local roll = math.random(100)
  if roll > writes then
    return wrk.format("GET", "/", headers)
  end
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["X-CSRF-Token"] = csrf
  local item = items[math.random(#items)]
  if roll <= 4 then
    return wrk.format("POST", "/feed/posts", headers, "body=Shipping+the+release+today")
  elseif roll <= 7 then
    return wrk.format("POST", "/content/" .. item .. "/comments", headers, "body=Well+done")
  end
  return wrk.format("POST", "/content/" .. item .. "/like", headers, "")
end
"""


def company_items(url: str, count: int = 500) -> list[int]:
    """The newest company-wide items: everyone may comment on and like them."""
    engine = create_engine(url)
    with engine.connect() as con:
        rows = con.execute(
            text(
                "SELECT id FROM rse_content WHERE audience = 'everyone' AND deleted_at IS NULL"
                " ORDER BY id DESC LIMIT :n"
            ),
            {"n": count},
        ).scalars()
        ids = list(rows)
    engine.dispose()
    return ids


def run_wrk(url: str, script: Path, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failed = re.search(r"Socket errors: .*timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50"),
        "p99": ms("99"),
        "errors": int(errors.group(1)) if errors else 0,
        "timeouts": int(failed.group(1)) if failed else 0,
    }


def failures(log: Path) -> list[str]:
    """What the server logged of its failures: each traceback's last line, 4xx and 5xx answers."""
    if not log.exists():
        return []
    lines = log.read_text(errors="replace").splitlines()
    found = [
        line
        for n, line in enumerate(lines)
        if (('" 4' in line or '" 5' in line) and "HTTP/1.1" in line)
        or (
            n > 0
            and lines[n - 1].startswith("  ")
            and re.match(r"^[A-Za-z_.]+(Error|Exception)", line)
        )
    ]
    return found[:20]


def measure(
    data_dir: Path, url: str, env: dict[str, str], workers: list[int], seconds: int, tmp: Path
) -> list[tuple[int, dict[str, float], dict[str, float]]]:
    tokens = [scale_bench.sign_in(url, uid) for uid in range(100, 100 + READERS)]
    items = company_items(url)
    scripts = {}
    for name, writes in (("reads", 0), ("mixed", 10)):
        path = tmp / f"{name}.lua"
        path.write_text(
            SCRIPT
            % {
                "tokens": ", ".join(f'"{t}"' for t in tokens),
                "items": ", ".join(map(str, items)),
                "writes": writes,
                "csrf": CSRF,
                "seed": 5,
            }
        )
        scripts[name] = path
    rows = []
    log = tmp / "rse.log"
    for count in workers:
        with stream_bench.rse_and_baseline(data_dir, env, workers=count, log=log) as (rse_url, _):
            stream_bench.sequential(f"{rse_url}/", tokens[0], CSRF, requests=20 * count)  # warm
            reads = run_wrk(f"{rse_url}/", scripts["reads"], seconds)
            mixed = run_wrk(f"{rse_url}/", scripts["mixed"], seconds)
        rows.append((count, reads, mixed))
        for line in failures(log):
            print(f"      server: {line}", flush=True)
        log.unlink(missing_ok=True)
        print(
            f"    {count} worker(s): reads {reads['rps']:.0f} req/s p99 {reads['p99']:.0f} ms,"
            f" mixed {mixed['rps']:.0f} req/s p99 {mixed['p99']:.0f} ms,"
            f" errors {reads['errors'] + mixed['errors']}",
            flush=True,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--spaces", type=int, default=5_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--postgres", help="a PostgreSQL server URL: also run there")
    parser.add_argument("--only-postgres", action="store_true", help="with --postgres")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk (make bench installs it)")
    workers = [int(n) for n in args.workers.split(",")]
    results = {}
    databases = ("SQLite", "PostgreSQL") if args.postgres else ("SQLite",)
    for database in databases[1:] if args.only_postgres else databases:
        with tempfile.TemporaryDirectory(prefix="rse-load-") as tmp:
            data_dir = Path(tmp) / "var"
            url = f"sqlite:///{data_dir / 'rse.db'}"
            env: dict[str, str] = {}
            if database == "PostgreSQL":
                url = scale_bench.new_postgres_database(args.postgres)
                env = {"RSE_DATABASE_URL": url, "RSE_SEARCH_BACKEND": "postgres"}
            print(f"{database}, {args.activities:,} activities:", flush=True)
            try:
                seed_data.prepare(data_dir, url if env else None)
                writer = (
                    seed_data.PostgresWriter(url)
                    if env
                    else seed_data.SqliteWriter(data_dir / "rse.db")
                )
                seed_data.build(
                    writer, users=args.users, spaces=args.spaces, activities=args.activities
                )
                scale_bench.reindex({"RSE_DATA_DIR": str(data_dir), **env})
                results[database] = measure(
                    data_dir, url, {"RSE_DATA_DIR": str(data_dir), **env}, workers,
                    args.seconds, Path(tmp),
                )  # fmt: skip
            finally:
                if env:
                    scale_bench.drop_postgres_database(args.postgres, url)
    print()
    print(
        "| database | workers | reads req/s | reads p50 / p99 | mixed req/s | mixed p50 / p99"
        " | errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for database, rows in results.items():
        for count, reads, mixed in rows:
            print(
                f"| {database} | {count} | {reads['rps']:.0f} | {reads['p50']:.0f} /"
                f" {reads['p99']:.0f} ms | {mixed['rps']:.0f} | {mixed['p50']:.0f} /"
                f" {mixed['p99']:.0f} ms | {reads['errors'] + mixed['errors']}"
                f" (timeouts {reads['timeouts'] + mixed['timeouts']}) |"
            )


if __name__ == "__main__":
    main()

"""Memory of one web process (a gunicorn worker) with N suggestions stored, after it has served what loads the
analysis: the form and the live look-up of similar ideas while a citizen types.

    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/web_memory.py                     # 1,000,000
    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/web_memory.py --size 20000 --lookups 100
    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/web_memory.py --keep              # reuse rows

What it does, in order:
1. drops and recreates a dedicated PostgreSQL database (default `hamandishi_bench_memory`) and fills it with COPY,
   as `benchmarks/worker_latency.py` does (analyzed suggestions with their forms, fingerprints, signatures and
   duplicate groups), then re-clusters once in a child process, so that the web finds a theme snapshot of the whole
   collection, as it would in production (words alone above 200,000 suggestions);
2. starts gunicorn with one gthread worker (4 threads) on that database and a redis-server of the run's own (the
   band index lives in Redis, as in production; it is marked built and left empty, see below);
3. warms it up: the home page and the form, then --lookups live look-ups (`POST /suggest/similar/`), each with
   a different text, so the snapshot, the theme pools and hazm's tables are all loaded;
4. prints the worker's RSS and PSS (from /proc/<pid>/smaps_rollup) and its peak RSS (VmHWM), against the target:
   under 500 MB with 1,000,000 suggestions stored.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MB = 500
LSH_PREFIX = "hamandishi:lsh"  # the settings' default LSH_REDIS_PREFIX


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000, help="analyzed suggestions stored")
    parser.add_argument("--lookups", type=int, default=300, help="live look-ups in the warm-up")
    parser.add_argument("--keep", action="store_true", help="reuse the rows and snapshot of an earlier run")
    parser.add_argument("--database", default="hamandishi_bench_memory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--seed", type=int, default=1405)
    args = parser.parse_args()
    if "bench" not in args.database:
        parser.error("--database must contain 'bench': this run drops it")
    return args


def memory_of(pid: int) -> dict[str, float]:
    figures = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Rss:", "Pss:")):
            figures[line.split(":")[0].lower() + "_mb"] = round(int(line.split()[1]) / 1024, 1)
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            figures["peak_rss_mb"] = round(int(line.split()[1]) / 1024, 1)
    return figures


def gunicorn_worker(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker under {master}, found {children}")
    return int(children[0])


def warm_up(port: int, args) -> dict[str, int]:
    from benchmarks.harness.citizen import Browser, form_fields
    from benchmarks.harness.corpus import form_texts

    browser = Browser(port, timeout=120)
    counts = {"pages": 0, "lookups": 0, "lookups_ok": 0}
    for path in ("/", "/suggest/"):
        status, _, page = browser.request("GET", path)
        counts["pages"] += status == 200
    token = form_fields(page.decode())["csrfmiddlewaretoken"]
    for _, body in form_texts(args.lookups * 2, seed=args.seed + 11)[: args.lookups]:
        status, _, _ = browser.request(
            "POST", "/suggest/similar/", urllib.parse.urlencode({"csrfmiddlewaretoken": token, "body": body}).encode()
        )
        counts["lookups"] += 1
        counts["lookups_ok"] += status == 200
    browser.close()
    return counts


def main() -> None:
    args = parse_args()
    from benchmarks.harness.broker import start_private_redis
    from benchmarks.harness.portal import portal_env, start_portal
    from benchmarks.harness.processes import Stack

    database_url = f"postgres://{args.user}@{args.host}:5432/{args.database}"
    import redis

    with Stack("web-memory") as stack:
        redis_url = start_private_redis(stack).url  # the machine's Redis is never flushed nor touched
        if not args.keep:
            started = time.perf_counter()
            build = (
                "import sys, types; sys.path.insert(0, '.'); from benchmarks.review_queue import setup_django; "
                f"a = types.SimpleNamespace(database={args.database!r}, redis={redis_url!r}, host={args.host!r}, "
                f"user={args.user!r}, size={args.size}, seed={args.seed}); setup_django(a); "
                "from benchmarks.worker_latency import build; build(a); "
                "from suggestions.pipeline import recluster; print(recluster())"
            )
            subprocess.run([sys.executable, "-c", build], cwd=ROOT, check=True)
            print(
                f"stored {args.size:,} suggestions and re-clustered in {time.perf_counter() - started:.0f} s",
                flush=True,
            )

        # The band index lives in Redis, not in the web process, so its contents weigh nothing here; rebuilding it
        # from a million stored signatures takes a quarter of an hour on this machine, which a look-up would otherwise
        # wait for. It is marked built (and left empty): near-copies are then not found, which changes no memory
        # figure.
        redis.Redis.from_url(redis_url).set(f"{LSH_PREFIX}:built", "web_memory benchmark")
        env = portal_env(database_url=database_url, redis_url=redis_url, SIMILAR_RATE_LIMIT="1000000/60")
        port = start_portal(stack, env, workers=[], gunicorn_workers=1, gunicorn_threads=4, timeout=180)
        worker = gunicorn_worker(stack.procs["gunicorn"].pid)
        before = memory_of(worker)
        started = time.perf_counter()
        counts = warm_up(port, args)
        warmed = time.perf_counter() - started
        after = memory_of(worker)
    figures = {
        "stored": args.size,
        "after_start": before,
        "after_warm_up": after,
        "warm_up": {**counts, "seconds": round(warmed, 1)},
        "target_mb": TARGET_MB,
    }
    print(
        f"gunicorn worker with {args.size:,} stored: RSS {after['rss_mb']} MB after warm-up "
        f"(PSS {after['pss_mb']}, peak {after['peak_rss_mb']}; {before['rss_mb']} MB after start), "
        f"target < {TARGET_MB} MB"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

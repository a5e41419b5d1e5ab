"""Intake benchmark: the suggestion form under gunicorn on PostgreSQL and Redis, with a real Celery worker.

    .venv/bin/python benchmarks/intake.py                      # defaults finish in about 1.5 minutes
    .venv/bin/python benchmarks/intake.py --gunicorn-workers 2 --gunicorn-threads 4 --clients 8 --duration 20

What it does, in order:
1. drops and recreates a dedicated PostgreSQL database (default `hamandishi_bench`), migrates it, and starts a
   private redis-server on a free port (the machine's own Redis is never touched);
2. starts a Celery worker and gunicorn (gthread) with `benchmarks.bench_settings`, which is the product's settings
   plus one trivial view at /bench/trivial/; DEBUG is off, rate limits and the minimum fill time are lifted;
3. from a second process, drives --clients concurrent simulated citizens at 127.0.0.1, one after another in each
   client slot, each a new browser with its own cookie jar and one keep-alive connection for its visit: first a
   warm-up, then the trivial view for --duration seconds (two GETs a visit), then submissions for --duration
   seconds. One submission is what a browser does: GET /suggest/, read the CSRF token and hidden fields (form
   clock, idempotency key) from the page, POST the filled-in form, expect 302 to a receipt;
4. waits for the worker to drain and checks that every accepted submission is stored and analyzed.

It prints requests per second with p50/p95/p99 latency for both, the ratio, the targets (at least 150 accepted
submissions per second with p99 under 500 ms, at least 40 % of the trivial view's throughput), where the CPU went
during each phase, and a table of every figure (`--json PATH` writes them as JSON). Exit status 1 means an
accepted submission was lost or never analyzed, or the portal could not be started; missing a target is reported,
not failed.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script, benchmarks/ is on the path but the project root is not
    sys.path.insert(0, str(ROOT))

from benchmarks.harness.broker import start_private_redis  # noqa: E402
from benchmarks.harness.citizen import Browser, Tally, submit_once  # noqa: E402
from benchmarks.harness.corpus import form_texts  # noqa: E402
from benchmarks.harness.database import recreate_database  # noqa: E402
from benchmarks.harness.figures import add_json_option, percentile_ms, report  # noqa: E402
from benchmarks.harness.portal import (  # noqa: E402
    TRIVIAL_PATH,
    Worker,
    manage,
    portal_env,
    start_portal,
    state_counts,
    verify_receipts,
    wait_for_drain,
)
from benchmarks.harness.processes import Stack, cores_used, cpu_ticks  # noqa: E402

TARGET_RATE = 150.0
TARGET_P99_MS = 500.0
TARGET_RATIO = 0.40


# ---------------------------------------------------------------------------------------------------------------
# The load generator. Runs in its own process; only the standard library and the harness's citizen.
# ---------------------------------------------------------------------------------------------------------------


def _client(kind: str, index: int, opts: dict, barrier: threading.Barrier, deadline: list, tally: Tally):
    rng = random.Random(opts["seed"] * 1000 + index)
    texts = form_texts(400, seed=opts["seed"] * 1000 + index) if kind == "submit" else []
    options: dict[str, list[str]] = {}
    barrier.wait()
    while time.perf_counter() < deadline[0]:
        # Each visit is a new citizen: a new browser with its own connection and cookie jar, kept alive for the
        # visit. Clients that kept one connection for the whole run would stay pinned to whichever gunicorn
        # worker accepted it first (seen: all 8 on one worker, one core busy, the other idle).
        browser = Browser(opts["port"], opts["timeout"])
        try:
            if kind == "trivial":
                for _ in range(2):  # as many requests a visit as a submission (GET form, POST)
                    started = time.perf_counter()
                    status, _, _ = browser.request("GET", TRIVIAL_PATH)
                    tally.record("trivial", time.perf_counter() - started, status)
            else:
                submit_once(browser, rng, texts, tally, options, opts)
        except (OSError, http.client.HTTPException) as exc:
            tally.errors.append(f"{exc.__class__.__name__}: {exc}")
            time.sleep(0.05)
        finally:
            browser.close()


def drive(kind: str, duration: float, opts: dict) -> dict:
    """Run `opts['clients']` browsers for `duration` seconds; return latencies, statuses and receipt codes."""
    tallies = [Tally() for _ in range(opts["clients"])]
    deadline = [0.0]
    clock = {}

    def start_clock():  # runs once, when every client is ready, before any is released
        clock.update(started=time.perf_counter(), cpu=time.process_time())
        deadline[0] = clock["started"] + duration

    barrier = threading.Barrier(opts["clients"] + 1, action=start_clock)
    threads = [
        threading.Thread(target=_client, args=(kind, i, opts, barrier, deadline, tally), daemon=True)
        for i, tally in enumerate(tallies)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join(duration + opts["timeout"] + 5)
    elapsed = time.perf_counter() - clock["started"]
    merged = {"elapsed": elapsed, "cpu": time.process_time() - clock["cpu"], "latency": {}, "status": {}}
    merged.update(errors=[], codes=[], first_rejection="")
    for tally in tallies:
        for name, values in tally.latency.items():
            merged["latency"].setdefault(name, []).extend(values)
        for name, counts in tally.status.items():
            for status, count in counts.items():
                merged["status"].setdefault(name, {}).setdefault(status, 0)
                merged["status"][name][status] += count
        merged["errors"].extend(tally.errors)
        merged["codes"].extend(tally.codes)
        merged["first_rejection"] = merged["first_rejection"] or tally.first_rejection
    return merged


# ---------------------------------------------------------------------------------------------------------------
# Figures.
# ---------------------------------------------------------------------------------------------------------------


def figures(result: dict, kind: str, ok: str) -> dict:
    latencies = result["latency"].get(kind, [])
    statuses = result["status"].get(kind, {})
    good = statuses.get(ok, 0)
    return {
        "per_s": round(good / result["elapsed"], 1),
        "ok": good,
        "other": {status: n for status, n in statuses.items() if status != ok},
        "p50_ms": round(percentile_ms(latencies, 0.50), 1),
        "p95_ms": round(percentile_ms(latencies, 0.95), 1),
        "p99_ms": round(percentile_ms(latencies, 0.99), 1),
    }


def print_row(label: str, row: dict):
    other = ", ".join(f"{status}: {n}" for status, n in row["other"].items()) or "-"
    print(
        f"  {label:<32}{row['per_s']:>9.1f}/s{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}{row['p99_ms']:>9.1f}"
        f"   {row['ok']:>7}   {other}"
    )


def print_cpu(label: str, cores: dict[str, float]):
    ours = " · ".join(f"{name} {value:.2f}" for name, value in cores.items() if name != "machine")
    print(f"  {label:<12} {ours} · whole machine {cores['machine']:.2f} of {os.cpu_count()}")


# ---------------------------------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20, help="seconds per measured phase (default 20)")
    parser.add_argument("--warmup", type=float, default=4, help="seconds of submissions before measuring")
    parser.add_argument("--clients", type=int, default=8, help="concurrent simulated browsers (default 8)")
    parser.add_argument("--gunicorn-workers", type=int, default=3)
    parser.add_argument("--gunicorn-threads", type=int, default=4, help="threads per worker (gthread)")
    parser.add_argument("--worker-concurrency", type=int, default=1, help="Celery worker processes")
    parser.add_argument("--worker-nice", type=int, default=0, help="run the Celery worker at this nice level")
    parser.add_argument("--contact-share", type=float, default=0.25, help="share of submissions with contacts")
    parser.add_argument("--follow-receipt", action="store_true", help="also GET the receipt page, like a browser")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hamandishi_bench")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--timeout", type=float, default=30, help="client socket timeout in seconds")
    parser.add_argument("--drain-timeout", type=float, default=180)
    parser.add_argument("--seed", type=int, default=1)
    add_json_option(parser)
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 256 or not 1 <= args.duration <= 300:
        parser.error("--clients must be 1..256 and --duration 1..300 seconds")
    return args


def run(args, stack: Stack) -> int:
    redis = start_private_redis(stack)
    print(f"Setting up: database {args.database_url}, private Redis {redis.url}, logs in {stack.logdir}", flush=True)
    env = portal_env(database_url=recreate_database(args.database_url), redis_url=redis.url)
    manage(env, "migrate", "--noinput", "-v0")
    worker = Worker(concurrency=args.worker_concurrency, nice=args.worker_nice)
    port = start_portal(
        stack,
        env,
        workers=[worker],
        port=args.port,
        gunicorn_workers=args.gunicorn_workers,
        gunicorn_threads=args.gunicorn_threads,
    )
    groups = {"web": stack.procs["gunicorn"].pid, "worker": stack.procs["worker"].pid}

    opts = {
        "port": port,
        "clients": args.clients,
        "timeout": args.timeout,
        "seed": args.seed,
        "contact_share": args.contact_share,
        "follow_receipt": args.follow_receipt,
    }
    codes: set[str] = set()
    results, cpu = {}, {}
    # The load generator is a second process, so its CPU use and GIL are its own.
    with multiprocessing.get_context("spawn").Pool(1) as driver:
        print(f"Warming up for {args.warmup:.0f} s, then waiting for the worker to analyze the warm-up", flush=True)
        warm = driver.apply(drive, ("submit", args.warmup, opts))
        codes.update(warm["codes"])
        if not warm["codes"]:
            raise RuntimeError(f"no submission accepted during the warm-up: {warm['first_rejection'] or warm}")
        wait_for_drain(stack, args.database_url, len(codes), args.drain_timeout)
        for kind in ("trivial", "submit"):
            print(f"Measuring {kind} for {args.duration:.0f} s with {args.clients} clients", flush=True)
            before = cpu_ticks(groups)
            results[kind] = driver.apply(drive, (kind, args.duration, opts))
            cpu[kind] = cores_used(before, cpu_ticks(groups), results[kind]["elapsed"])
            cpu[kind]["load generator"] = round(results[kind]["cpu"] / results[kind]["elapsed"], 2)
            codes.update(results[kind]["codes"])
            stack.check_alive()
    print("Waiting for the worker to drain", flush=True)
    try:
        drained = wait_for_drain(stack, args.database_url, len(codes), args.drain_timeout)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        drained = None  # still report the figures; the counts below show what is missing
    counts = verify_receipts(args.database_url, codes)
    return print_report(args, results, cpu, counts, drained, state_counts(args.database_url))


def print_report(args, results, cpu, counts, drained, states) -> int:
    trivial = figures(results["trivial"], "trivial", "200")
    submit = figures(results["submit"], "submit", "accepted")
    form = figures(results["submit"], "form", "200")
    cycle = figures(results["submit"], "cycle", "200")
    ratio = submit["per_s"] / trivial["per_s"] if trivial["per_s"] else 0.0
    # A submission is two requests (form GET, POST), a trivial visit two GETs: the same count of requests.
    visit_ratio = 2 * ratio
    print()
    print(
        f"gunicorn gthread {args.gunicorn_workers} workers x {args.gunicorn_threads} threads · Celery worker "
        f"concurrency {args.worker_concurrency} · {args.clients} keep-alive clients · {args.duration:.0f} s a phase"
        f" · {os.cpu_count()} cores"
    )
    print(f"  {'':<32}{'rate':>11}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}   {'count':>7}   other outcomes")
    print_row("trivial view GET", trivial)
    print_row("submissions (POST, accepted)", submit)
    print_row("  form page GET", form)
    print_row("  whole submission (GET + POST)", cycle)
    if "receipt" in results["submit"]["latency"]:
        print_row("  receipt GET", figures(results["submit"], "receipt", "200"))
    for kind in ("trivial", "submit"):
        if results[kind]["errors"]:
            print(f"  {kind}: {len(results[kind]['errors'])} connection errors, first: {results[kind]['errors'][0]}")
    if results["submit"]["first_rejection"]:
        print(f"  first rejected submission: {results['submit']['first_rejection'][:300]!r}")
    print(
        f"  submissions / trivial view throughput: {ratio:.1%} (the target's measure) · per visit of two requests "
        f"each: {visit_ratio:.1%}"
    )
    print("CPU used, in cores (postgres and redis: all their clients; whole machine: other users too):")
    for kind in ("trivial", "submit"):
        print_cpu(kind, cpu[kind])
    # CPU per request does not depend on how much of the machine others took meanwhile.
    web_ms = {
        kind: 1000 * cpu[kind]["web"] * results[kind]["elapsed"] / max(row["ok"], 1)
        for kind, row in (("trivial", trivial), ("submit", submit))
    }
    cores = os.cpu_count()
    print(
        f"gunicorn CPU per accepted submission (form GET + POST): {web_ms['submit']:.1f} ms · per trivial request: "
        f"{web_ms['trivial']:.2f} ms · ceiling with all {cores} cores for gunicorn alone: "
        f"{1000 * cores / web_ms['submit']:.0f} submissions/s, {1000 * cores / web_ms['trivial']:.0f} trivial/s"
    )
    targets = {
        f"accepted submissions >= {TARGET_RATE:.0f}/s": submit["per_s"] >= TARGET_RATE,
        f"submission p99 < {TARGET_P99_MS:.0f} ms": submit["p99_ms"] < TARGET_P99_MS,
        f"ratio to trivial view >= {TARGET_RATIO:.0%}": ratio >= TARGET_RATIO,
    }
    print("Targets: " + " · ".join(f"{name}: {'met' if met else 'NOT met'}" for name, met in targets.items()))
    intact = counts["accepted"] == counts["stored"] == counts["analyzed"] == counts["rows_in_table"]
    took = f"{drained:.1f} s" if drained is not None else "INCOMPLETE"
    print(
        f"After the drain ({took}): accepted {counts['accepted']} {'=' if intact else '≠'} stored "
        f"{counts['stored']} {'=' if intact else '≠'} analyzed {counts['analyzed']} (rows in the table "
        f"{counts['rows_in_table']}, by state {states}; warm-up included)"
    )
    summary = {
        "config": {
            "gunicorn_workers": args.gunicorn_workers,
            "gunicorn_threads": args.gunicorn_threads,
            "clients": args.clients,
            "duration_s": args.duration,
            "worker_concurrency": args.worker_concurrency,
        },
        "trivial": trivial,
        "submit": submit,
        "form": form,
        "cycle": cycle,
        "ratio": round(ratio, 3),
        "visit_ratio": round(visit_ratio, 3),
        "cpu_cores": cpu,
        "gunicorn_cpu_ms_per_request": {kind: round(ms, 2) for kind, ms in web_ms.items()},
        "targets_met": targets,
        "integrity": counts,
    }
    report(summary, args.json, title="intake figures")
    return 0 if intact else 1


def main(argv=None) -> int:
    args = parse_args(argv)
    with Stack("intake-bench") as stack:
        try:
            return run(args, stack)
        except KeyboardInterrupt:
            print("Interrupted; stopping gunicorn, the worker and Redis", file=sys.stderr)
            return 130
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            print(f"Benchmark failed: {exc}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())

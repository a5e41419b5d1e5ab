"""Load benchmark: the public pages and the intake under gunicorn, PostgreSQL, Redis and Celery, driven from a
second process on 127.0.0.1. Two modes:

    .venv/bin/python benchmarks/load.py knee                    # 10 minutes: clients 2, 4, 8, 16, 32, 2 minutes each
    .venv/bin/python benchmarks/load.py knee --duration 75      # the same steps, 15 s each
    .venv/bin/python benchmarks/load.py faults                  # 10 minutes of load with the faults injected
    .venv/bin/python benchmarks/load.py faults --duration 90 --redis-down 15 --stuck-after 20

Both start, in a dedicated PostgreSQL database (default `hamandishi_load_bench`, dropped and recreated) and a
private `redis-server` on a free port (configured as production wants it: `noeviction`, AOF with `everysec`; the
machine's own Redis is never touched), a Celery worker and gunicorn with `benchmarks.bench_settings` (the product's
settings with DEBUG off; per-address rate limits and the minimum fill time are lifted because every simulated
citizen comes from 127.0.0.1). Then, from a separate process, simulated people visit one after another in each
client slot, each a new browser with its own cookie jar: the home page, the suggestion form (GET, read the CSRF
token and hidden fields, POST, follow the 302 to the receipt), /track/?code= with a code accepted earlier, and
/reports/ when the portal has it. `--mix` sets the shares.

knee: steps the number of concurrent clients (--steps) for --duration / steps seconds each and prints, per step,
throughput with p50/p95/p99 over all requests and for the submission POST, and CPU per component; then names the
knee: the last step after which more clients no longer raise throughput by 10 % while latency climbs.

faults: runs --clients clients for --duration seconds with Celery beat running (sweeper every --sweep-interval
seconds), and meanwhile stops the private Redis (SIGTERM, a clean shutdown) at --redis-stop-at of the run for
--redis-down seconds and starts it again on its AOF, then SIGKILLs the busiest Celery pool child at --kill-at of the
run (the pool starts a new one). It prints the outcomes per phase, waits for the drain and prints
accepted = stored = analyzed: submissions answered 302 with a receipt, their rows in the database, and those
analyzed; and how long after Redis returned the submissions made during the outage were all analyzed.

Exit status 1 when an accepted submission is not stored, when a drained run left one unanalyzed, when (faults) a
submission was answered with anything but a receipt, or when the portal could not be started. In knee mode, which runs
no beat, a backlog still left at --drain-timeout is reported, not failed. Missing a latency target is not a failure.
Every figure is also printed as a table at the end; `--json PATH` writes them as JSON.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import math
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script, benchmarks/ is on the path but the project root is not
    sys.path.insert(0, str(ROOT))

from benchmarks.harness.broker import PrivateRedis, start_private_redis  # noqa: E402
from benchmarks.harness.citizen import Browser, Tally, submit_once  # noqa: E402
from benchmarks.harness.corpus import form_texts  # noqa: E402
from benchmarks.harness.database import pg_connect, recreate_database  # noqa: E402
from benchmarks.harness.figures import add_json_option, percentile_ms, report  # noqa: E402
from benchmarks.harness.portal import Worker, manage, portal_env, start_portal, verify_receipts, wait_for_drain  # noqa: E402
from benchmarks.harness.processes import Stack, cores_used, cpu_ticks  # noqa: E402

PAGES = {"home": "/", "track": "/track/", "reports": "/reports/"}
KINDS = ("submit", *PAGES)
# What a request of each kind is called in the tables; "submit" is a visit of three requests (form, POST, receipt).
REQUEST_KINDS = ("form", "submit", "receipt", *PAGES)
OK = {"200", "accepted"}
DEFAULT_DURATION = 600.0


# ---------------------------------------------------------------------------------------------------------------
# The load generator. Runs in its own process; only the standard library and the harness's citizen.
# ---------------------------------------------------------------------------------------------------------------


class Recorder(Tally):
    """The harness's Tally, plus the wall-clock moment of every request, so that fault windows can be cut out later."""

    def __init__(self):
        super().__init__()
        self.events: list[tuple[float, str, str, float]] = []

    def record(self, kind: str, seconds: float, status: int | str):
        super().record(kind, seconds, status)
        if kind != "cycle":  # the whole-submission figure; its requests are recorded one by one already
            self.events.append((time.time(), kind, str(status), seconds))

    def failed(self, kind: str, exc: Exception):
        self.errors.append(f"{kind}: {exc.__class__.__name__}: {exc}")
        self.events.append((time.time(), kind, "error", math.nan))


@functools.cache
def _corpus(seed: int) -> list[tuple[str, str]]:
    return form_texts(400, seed=seed)  # generated once per driver process, shared read-only by its clients


def _visit(kind: str, browser: Browser, rng: random.Random, recorder: Recorder, known: list, options: dict, opts):
    if kind == "submit":
        before = len(recorder.codes)
        submit_once(browser, rng, _corpus(opts["seed"]), recorder, options, opts)
        known.extend(recorder.codes[before:])  # list.extend is atomic under the GIL; clients share the list
        return
    path = PAGES[kind]
    if kind == "track" and known:
        path += f"?code={rng.choice(known)}"
    started = time.perf_counter()
    status, _, _ = browser.request("GET", path)
    recorder.record(kind, time.perf_counter() - started, status)


def _client(index: int, opts: dict, barrier: threading.Barrier, deadline: list, recorder: Recorder, known: list):
    rng = random.Random(opts["seed"] * 1000 + index)
    kinds, weights = zip(*opts["mix"].items(), strict=True)
    options: dict[str, list[str]] = {}
    barrier.wait()
    while time.perf_counter() < deadline[0]:
        kind = rng.choices(kinds, weights)[0]
        # A new person each visit: a new connection and cookie jar, so no client stays pinned to one gunicorn worker.
        browser = Browser(opts["port"], opts["timeout"])
        try:
            _visit(kind, browser, rng, recorder, known, options, opts)
        except (OSError, http.client.HTTPException) as exc:
            recorder.failed(kind, exc)
            time.sleep(0.05)
        finally:
            browser.close()


def drive(clients: int, duration: float, opts: dict) -> dict:
    """Run `clients` visitors for `duration` seconds; return every request's moment, kind, status and latency."""
    _corpus(opts["seed"])
    recorders = [Recorder() for _ in range(clients)]
    known: list[str] = list(opts.get("known", []))
    deadline = [0.0]
    clock = {}

    def start_clock():  # once every client is ready, before any is released
        clock.update(started=time.perf_counter(), wall=time.time(), cpu=time.process_time())
        deadline[0] = clock["started"] + duration

    barrier = threading.Barrier(clients + 1, action=start_clock)
    threads = [
        threading.Thread(target=_client, args=(i, opts, barrier, deadline, recorder, known), daemon=True)
        for i, recorder in enumerate(recorders)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join(duration + 3 * opts["timeout"] + 5)
    elapsed = time.perf_counter() - clock["started"]
    result = {"started": clock["wall"], "elapsed": elapsed, "cpu": time.process_time() - clock["cpu"]}
    result.update(events=[], codes=[], errors=[], first_rejection="")
    for recorder in recorders:
        result["events"].extend(recorder.events)
        result["codes"].extend(recorder.codes)
        result["errors"].extend(recorder.errors)
        result["first_rejection"] = result["first_rejection"] or recorder.first_rejection
    result["events"].sort()
    return result


# ---------------------------------------------------------------------------------------------------------------
# Figures from the events.
# ---------------------------------------------------------------------------------------------------------------


def summarise(events: list, start: float, end: float) -> dict:
    """Throughput and latency of the requests that ended within [start, end)."""
    window = [event for event in events if start <= event[0] < end]
    seconds = max(end - start, 1e-9)
    answered = [event for event in window if event[1] in REQUEST_KINDS and event[2] != "error"]
    submits = [event for event in window if event[1] == "submit"]
    outcomes: dict[str, int] = {}
    for _, kind, status, _ in window:
        if status not in OK:
            outcomes[f"{kind} {status}"] = outcomes.get(f"{kind} {status}", 0) + 1
    return {
        "seconds": round(seconds, 1),
        "requests": len(answered),
        "per_s": round(sum(1 for event in answered if event[2] in OK) / seconds, 1),
        "p50_ms": round(percentile_ms([event[3] for event in answered], 0.50), 1),
        "p95_ms": round(percentile_ms([event[3] for event in answered], 0.95), 1),
        "p99_ms": round(percentile_ms([event[3] for event in answered], 0.99), 1),
        "submitted": len(submits),
        "accepted": sum(1 for event in submits if event[2] == "accepted"),
        "accepted_per_s": round(sum(1 for event in submits if event[2] == "accepted") / seconds, 1),
        "submit_p95_ms": round(percentile_ms([e[3] for e in submits if e[2] != "error"], 0.95), 1),
        "submit_p99_ms": round(percentile_ms([e[3] for e in submits if e[2] != "error"], 0.99), 1),
        "by_kind": {kind: sum(1 for event in answered if event[1] == kind) for kind in REQUEST_KINDS},
        "not_ok": outcomes,
    }


def find_knee(rows: list[dict], gain: float = 0.10) -> dict | None:
    """The last step whose successor adds less than `gain` throughput: beyond it, clients only queue."""
    for before, after in zip(rows, rows[1:], strict=False):
        if after["per_s"] < before["per_s"] * (1 + gain):
            return before
    return None


# ---------------------------------------------------------------------------------------------------------------
# The portal under test.
# ---------------------------------------------------------------------------------------------------------------


def start_load_portal(args, stack: Stack, *, beat: bool) -> tuple[int, PrivateRedis]:
    redis_server = start_private_redis(stack)
    print(f"Setting up: database {args.database_url}, private Redis {redis_server.url}, logs in {stack.logdir}")
    env = portal_env(
        database_url=recreate_database(args.database_url),
        redis_url=redis_server.url,
        SWEEP_INTERVAL_SECONDS=str(args.sweep_interval),
        ANALYSIS_STUCK_AFTER_SECONDS=str(args.stuck_after),
        HEARTBEAT_INTERVAL_SECONDS="15",
    )
    if not args.recluster:
        # Re-clustering the whole collection is a separate, heavy job (benchmarks/recluster_portal.py measures
        # it); kept out of these figures unless asked for.
        env["RECLUSTER_CHECK_SECONDS"] = "86400"
    manage(env, "migrate", "--noinput", "-v0")
    port = start_portal(
        stack,
        env,
        workers=[Worker(concurrency=args.worker_concurrency)],
        beat=beat,
        port=args.port,
        gunicorn_workers=args.gunicorn_workers,
        gunicorn_threads=args.gunicorn_threads,
    )
    return port, redis_server


def available_pages(port: int, mix: dict[str, float]) -> dict[str, float]:
    """Leave out the public pages this portal does not have (a 404 for the page itself)."""
    kept = dict(mix)
    for kind, path in PAGES.items():
        if kind not in kept:
            continue
        browser = Browser(port, 10)
        try:
            status, _, _ = browser.request("GET", path)
        finally:
            browser.close()
        if status == 404:
            print(f"  {path} answers 404: left out of the mix")
            del kept[kind]
        elif status != 200:
            raise RuntimeError(f"{path} answered {status} before any load")
    return kept


def driver_opts(args, port: int, mix: dict[str, float]) -> dict:
    return {
        "port": port,
        "timeout": args.timeout,
        "seed": args.seed,
        "mix": mix,
        "contact_share": args.contact_share,
        "follow_receipt": True,  # a browser follows the 302 to the receipt
    }


def warm_up(driver, opts: dict, seconds: float) -> dict:
    print(f"Warming up for {seconds:.0f} s with 2 clients", flush=True)
    warm = driver.apply(drive, (2, seconds, opts))
    if not warm["codes"] and "submit" in opts["mix"]:
        raise RuntimeError(
            f"no submission accepted during the warm-up: {warm['first_rejection'] or warm['errors'][:3]}"
        )
    opts["known"] = warm["codes"][:200]  # codes the /track/ visits can look up from the first second
    return warm


def drain_and_verify(stack: Stack, args, codes: set[str], stall: float) -> tuple[dict, float | None]:
    print(f"Waiting for the worker to drain ({len(codes)} accepted)", flush=True)
    try:
        drained = wait_for_drain(stack, args.database_url, len(codes), args.drain_timeout, stall=stall)
    except RuntimeError as exc:
        print(str(exc).splitlines()[0], file=sys.stderr)
        drained = None
    return verify_receipts(args.database_url, codes), drained


def integrity_line(counts: dict, drained: float | None) -> tuple[bool, bool, str]:
    """Whether every accepted submission is stored, whether every stored one is analyzed, and the line saying so."""
    stored = counts["accepted"] == counts["stored"] == counts["rows_in_table"]
    analyzed = counts["stored"] == counts["analyzed"]
    took = f"drained {drained:.1f} s after the load" if drained is not None else "NOT drained before --drain-timeout"
    return (
        stored,
        analyzed,
        f"accepted {counts['accepted']} {'=' if stored else '≠'} stored {counts['stored']} "
        f"{'=' if analyzed else '≠'} analyzed {counts['analyzed']}   (rows in the table {counts['rows_in_table']}; "
        f"{took})",
    )


def analysis_facts(url: str, start: float, end: float) -> dict:
    """Worker throughput over the load, and how often a suggestion needed more than one attempt."""
    with pg_connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE analyzed_at >= to_timestamp(%s) AND analyzed_at < to_timestamp(%s)), "
            "count(*) FILTER (WHERE attempts > 1), max(attempts), "
            "percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM analyzed_at - created_at)), "
            "max(extract(epoch FROM analyzed_at - created_at)) FROM suggestions_suggestion",
            (start, end),
        ).fetchone()
    analyzed_in_load, retried, most, median_wait, worst_wait = row
    return {
        "analyzed_per_s_during_load": round(analyzed_in_load / max(end - start, 1e-9), 1),
        "retried": retried,
        "most_attempts": most,
        "median_s_from_receipt_to_analyzed": round(float(median_wait or 0), 1),
        "worst_s_from_receipt_to_analyzed": round(float(worst_wait or 0), 1),
    }


# ---------------------------------------------------------------------------------------------------------------
# knee
# ---------------------------------------------------------------------------------------------------------------


def run_knee(args, stack: Stack) -> int:
    port, redis_server = start_load_portal(args, stack, beat=False)
    mix = available_pages(port, args.mix)
    opts = driver_opts(args, port, mix)
    groups = {"web": stack.procs["gunicorn"].pid, "worker": stack.procs["worker"].pid, "broker": redis_server.pid}
    step_seconds = args.duration / len(args.steps)
    codes: set[str] = set()
    rows, cpu = [], []
    with multiprocessing.get_context("spawn").Pool(1) as driver:
        codes.update(warm_up(driver, opts, args.warmup)["codes"])
        load_started = time.time()
        for clients in args.steps:
            print(f"Step: {clients} clients for {step_seconds:.0f} s", flush=True)
            before = cpu_ticks(groups)
            result = driver.apply(drive, (clients, step_seconds, opts))
            used = cores_used(before, cpu_ticks(groups), result["elapsed"])
            used["load generator"] = round(result["cpu"] / result["elapsed"], 2)
            row = summarise(result["events"], result["started"], result["started"] + step_seconds)
            row["clients"] = clients
            row["errors"] = len(result["errors"])
            row["first_error"] = result["errors"][0] if result["errors"] else ""
            rows.append(row)
            cpu.append(used)
            codes.update(result["codes"])
            opts["known"] = result["codes"][:200] or opts["known"]
            stack.check_alive()
        load_ended = time.time()
    counts, drained = drain_and_verify(stack, args, codes, stall=30)
    facts = analysis_facts(args.database_url, load_started, load_ended)
    return report_knee(args, mix, rows, cpu, counts, drained, facts, step_seconds)


def _cores(value: float) -> str:
    # PostgreSQL backends that exit during a step take their CPU time with them; the sum can then go below zero.
    return f"{value:.2f}" if value >= 0 else "n/a"


def report_knee(args, mix, rows, cpu, counts, drained, facts, step_seconds) -> int:
    print()
    print(
        f"gunicorn gthread {args.gunicorn_workers}x{args.gunicorn_threads} · Celery worker concurrency "
        f"{args.worker_concurrency} · {step_seconds:.0f} s a step · {os.cpu_count()} cores shared · mix "
        + ", ".join(f"{kind} {share:g}" for kind, share in mix.items())
    )
    print(
        f"  {'clients':>7}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'accepted/s':>12}{'POST p95':>10}"
        f"{'POST p99':>10}   cores: web · worker · redis · postgres · load gen · whole machine"
    )
    for row, used in zip(rows, cpu, strict=True):
        print(
            f"  {row['clients']:>7}{row['per_s']:>9.1f}{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}{row['p99_ms']:>9.1f}"
            f"{row['accepted_per_s']:>12.1f}{row['submit_p95_ms']:>10.1f}{row['submit_p99_ms']:>10.1f}   "
            + " · ".join(_cores(used[name]) for name in ("web", "worker", "broker", "postgres", "load generator"))
            + f" · {used['machine']:.2f}"
        )
        if row["not_ok"] or row["errors"]:
            print(f"  {'':>7}not answered OK: {row['not_ok']}; connection errors {row['errors']} {row['first_error']}")
    knee = find_knee(rows)
    if knee is None:
        print(f"Knee: not reached; throughput still rose by 10 % or more at {rows[-1]['clients']} clients")
    else:
        after = rows[rows.index(knee) + 1]
        print(
            f"Knee: {knee['clients']} clients, {knee['per_s']:.1f} requests/s (p95 {knee['p95_ms']:.0f} ms, p99 "
            f"{knee['p99_ms']:.0f} ms). At {after['clients']} clients throughput changes by "
            f"{after['per_s'] / knee['per_s'] - 1:+.0%} while p95 goes x{after['p95_ms'] / knee['p95_ms']:.1f} "
            f"and p99 x{after['p99_ms'] / knee['p99_ms']:.1f}."
        )
    print(
        f"Analysis: {facts['analyzed_per_s_during_load']:.1f} suggestions/s analyzed during the load; receipt to "
        f"analyzed median {facts['median_s_from_receipt_to_analyzed']:.1f} s, worst "
        f"{facts['worst_s_from_receipt_to_analyzed']:.1f} s"
    )
    stored, analyzed, line = integrity_line(counts, drained)
    print(f"After the drain: {line}")
    if drained is None:
        print("  (knee mode runs no beat; a backlog left at --drain-timeout is reported, not failed)")
    summary = {"mode": "knee", "steps": rows, "cpu_cores": cpu, "knee_clients": knee and knee["clients"]}
    summary.update(integrity=counts, analysis=facts)
    for row in summary["steps"]:
        row.pop("first_error")
    report(summary, args.json, title="load figures (knee)")
    return 0 if stored and (analyzed or drained is None) else 1


# ---------------------------------------------------------------------------------------------------------------
# faults
# ---------------------------------------------------------------------------------------------------------------


def busiest_child(worker_pid: int) -> tuple[int | None, int]:
    """The pool child that used the most CPU over half a second (the one mid-task), and how many children there are."""
    children = pool_children(worker_pid)

    def ticks(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            return -1

    before = {pid: ticks(pid) for pid in children}
    time.sleep(0.5)
    used = {pid: ticks(pid) - before[pid] for pid in children}
    return (max(used, key=used.get) if used else None), len(children)


def pool_children(worker_pid: int) -> list[int]:
    result = subprocess.run(["pgrep", "-P", str(worker_pid)], capture_output=True, text=True)
    return [int(pid) for pid in result.stdout.split()]


def inject_faults(args, stack: Stack, redis_server: PrivateRedis, started: float, log: dict, cancel: threading.Event):
    """Runs beside the driver: Redis down and up, then a worker child killed. Failures are left in log["error"]."""
    try:
        _inject_faults(args, stack, redis_server, started, log, cancel)
    except Exception as exc:  # reported by the main thread, which owns the clean-up
        log["error"] = f"{exc.__class__.__name__}: {exc}"


class Cancelled(Exception):
    pass


def _inject_faults(args, stack: Stack, redis_server: PrivateRedis, started: float, log: dict, cancel):
    worker_pid = stack.procs["worker"].pid

    def sleep_until(moment: float):
        # Interrupted runs must not start a Redis after the clean-up has stopped everything.
        if cancel.wait(max(0.0, moment - time.time())):
            raise Cancelled("the run was interrupted")

    sleep_until(started + args.redis_stop_at * args.duration)
    log["redis_stopped"] = time.time()
    redis_server.stop()
    print(f"  {log['redis_stopped'] - started:6.1f} s  Redis stopped (SIGTERM)", flush=True)
    sleep_until(log["redis_stopped"] + args.redis_down)
    redis_server.start()
    log["redis_back"] = time.time()
    print(f"  {log['redis_back'] - started:6.1f} s  Redis answers again", flush=True)

    sleep_until(started + args.kill_at * args.duration)
    victim, children = busiest_child(worker_pid)
    if victim is None:
        log["kill"] = "no pool child found"
        return
    log["killed"] = time.time()
    os.kill(victim, signal.SIGKILL)
    print(f"  {log['killed'] - started:6.1f} s  SIGKILL to Celery pool child {victim}", flush=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = pool_children(worker_pid)
        if victim not in now and len(now) >= children:
            log["kill"] = f"pool child {victim} killed; the pool was back to {len(now)} children after "
            log["kill"] += f"{time.time() - log['killed']:.1f} s"
            return
        time.sleep(0.2)
    log["kill"] = f"pool child {victim} killed; the pool did NOT restore {children} children within 30 s"


def outage_facts(url: str, down: float, back: float) -> dict:
    with pg_connect(url) as conn:
        made, flagged, analyzed, last = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE awaiting_enqueue), count(*) FILTER (WHERE state = 'analyzed'), "
            "extract(epoch FROM max(analyzed_at)) FROM suggestions_suggestion "
            "WHERE created_at >= to_timestamp(%s) AND created_at < to_timestamp(%s)",
            (down, back),
        ).fetchone()
    return {
        "stored_during_outage": made,
        "still_awaiting_enqueue": flagged,
        "analyzed": analyzed,
        "all_analyzed_s_after_redis_returned": round(float(last) - back, 1) if last is not None else None,
    }


def run_faults(args, stack: Stack) -> int:
    port, redis_server = start_load_portal(args, stack, beat=True)
    mix = available_pages(port, args.mix)
    opts = driver_opts(args, port, mix)
    codes: set[str] = set()
    log: dict = {}
    with multiprocessing.get_context("spawn").Pool(1) as driver:
        codes.update(warm_up(driver, opts, args.warmup)["codes"])
        print(f"Load: {args.clients} clients for {args.duration:.0f} s, faults injected meanwhile", flush=True)
        pending = driver.apply_async(drive, (args.clients, args.duration, opts))
        started = time.time()
        cancel = threading.Event()
        injector = threading.Thread(target=inject_faults, args=(args, stack, redis_server, started, log, cancel))
        injector.start()
        try:
            result = pending.get(args.duration + 5 * args.timeout + 60)
        finally:
            cancel.set()  # a no-op once the faults are done; otherwise stops the injector before the clean-up
            injector.join()
        if "error" in log or "redis_back" not in log:
            raise RuntimeError(f"fault injection failed: {log.get('error', 'Redis was not restarted')}")
        stack.check_alive()
    codes.update(result["codes"])
    started, ended = result["started"], result["started"] + args.duration
    # A suggestion whose message the dead child held, or that the broker refused, waits for the sweeper.
    stall = args.stuck_after + 3 * args.sweep_interval + 20
    counts, drained = drain_and_verify(stack, args, codes, stall=stall)
    outage = outage_facts(args.database_url, log["redis_stopped"], log["redis_back"])
    facts = analysis_facts(args.database_url, started, ended)
    return report_faults(args, mix, result, log, counts, drained, outage, facts)


def report_faults(args, mix, result, log, counts, drained, outage, facts) -> int:
    events, started, ended = result["events"], result["started"], result["started"] + args.duration
    down, back = log["redis_stopped"], log["redis_back"]
    killed = log.get("killed", ended)
    phases = [
        ("before the outage", started, down),
        (f"Redis down ({back - down:.0f} s)", down, back),
        ("Redis back", back, killed),
        ("after the worker kill", killed, ended),
    ]
    print()
    print(
        f"gunicorn gthread {args.gunicorn_workers}x{args.gunicorn_threads} · Celery worker concurrency "
        f"{args.worker_concurrency} + beat (sweep every {args.sweep_interval} s, stuck after {args.stuck_after} s) · "
        f"{args.clients} clients · {args.duration:.0f} s · mix " + ", ".join(f"{k} {v:g}" for k, v in mix.items())
    )
    print(f"  {'phase':<24}{'s':>6}{'req/s':>8}{'p95 ms':>9}{'p99 ms':>9}{'accepted':>10}{'POST p99':>10}   not OK")
    rows = {}
    for name, start, end in phases:
        if end <= start:
            continue
        row = rows[name] = summarise(events, start, end)
        print(
            f"  {name:<24}{row['seconds']:>6.0f}{row['per_s']:>8.1f}{row['p95_ms']:>9.1f}{row['p99_ms']:>9.1f}"
            f"{row['accepted']:>7}/{row['submitted']:<4}{row['submit_p99_ms']:>8.1f}   {row['not_ok'] or '-'}"
        )
    whole = summarise(events, started, ended + 3 * args.timeout)
    outage_row = rows[phases[1][0]]
    refused = whole["submitted"] - whole["accepted"]
    if result["errors"]:
        print(f"  connection errors: {len(result['errors'])}, first: {result['errors'][0]}")
    if result["first_rejection"]:
        print(f"  first submission not answered with a receipt: {result['first_rejection'][:300]!r}")
    print(
        f"Redis outage: {outage['stored_during_outage']} suggestions stored while Redis was down "
        f"({outage_row['accepted']} of {outage_row['submitted']} submissions answered with a receipt), "
        f"{outage['analyzed']} analyzed, the last {outage['all_analyzed_s_after_redis_returned']} s after Redis "
        f"returned (promise: within 120 s)"
    )
    print(f"Worker kill: {log.get('kill', 'not done')}; {facts['retried']} suggestions needed more than one attempt")
    print(
        f"Analysis: {facts['analyzed_per_s_during_load']:.1f}/s during the load; receipt to analyzed median "
        f"{facts['median_s_from_receipt_to_analyzed']:.1f} s, worst {facts['worst_s_from_receipt_to_analyzed']:.1f} s"
    )
    stored, analyzed, line = integrity_line(counts, drained)
    print(f"After the drain: {line}")
    summary = {"mode": "faults", "phases": rows, "whole": whole, "integrity": counts, "outage": outage}
    summary.update(analysis=facts, kill=log.get("kill"), submissions_without_receipt=refused)
    report(summary, args.json, title="load figures (faults)")
    if refused:
        print(f"{refused} submissions were not answered with a receipt", file=sys.stderr)
    return 0 if stored and analyzed and not refused else 1


# ---------------------------------------------------------------------------------------------------------------


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in filter(None, text.split(",")):
        kind, _, share = part.partition("=")
        if kind not in KINDS:
            raise argparse.ArgumentTypeError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
        mix[kind] = float(share or 1)
    if not mix or sum(mix.values()) <= 0:
        raise argparse.ArgumentTypeError("the mix needs at least one kind with a positive share")
    return mix


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["knee", "faults"])
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION, help="seconds of load (default 600)")
    parser.add_argument("--steps", default="2,4,8,16,32", help="knee: concurrent clients per step")
    parser.add_argument("--clients", type=int, default=4, help="faults: concurrent clients (default 4)")
    parser.add_argument("--mix", type=parse_mix, default="submit=2,home=3,track=2,reports=1")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--redis-stop-at", type=float, default=0.2, help="faults: share of the run at which to stop")
    parser.add_argument("--redis-down", type=float, default=30, help="faults: seconds Redis stays down")
    parser.add_argument("--kill-at", type=float, default=0.6, help="faults: share of the run at which to SIGKILL")
    parser.add_argument("--sweep-interval", type=int, default=5, help="SWEEP_INTERVAL_SECONDS for beat")
    parser.add_argument("--stuck-after", type=int, default=30, help="ANALYSIS_STUCK_AFTER_SECONDS")
    parser.add_argument("--recluster", action="store_true", help="let beat re-cluster themes as in production")
    parser.add_argument("--gunicorn-workers", type=int, default=3)
    parser.add_argument("--gunicorn-threads", type=int, default=4)
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery pool processes")
    parser.add_argument("--contact-share", type=float, default=0.25, help="share of submissions with contacts")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hamandishi_load_bench")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--timeout", type=float, default=30, help="client socket timeout in seconds")
    parser.add_argument("--drain-timeout", type=float, default=300)
    parser.add_argument("--seed", type=int, default=1)
    add_json_option(parser)
    args = parser.parse_args(argv)
    args.steps = [int(n) for n in args.steps.split(",")]
    if not all(1 <= n <= 256 for n in args.steps) or not 1 <= args.clients <= 256:
        parser.error("clients must be 1..256")
    if not 5 <= args.duration <= 3600:
        parser.error("--duration must be 5..3600 seconds")
    if args.mode == "faults" and not 0 < args.redis_stop_at < args.kill_at < 1:
        parser.error("faults need 0 < --redis-stop-at < --kill-at < 1")
    if args.mode == "faults" and args.redis_stop_at * args.duration + args.redis_down >= args.kill_at * args.duration:
        parser.error("Redis must be back before the worker kill: lower --redis-down or move --kill-at")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    with Stack(f"load-{args.mode}") as stack:
        try:
            return (run_knee if args.mode == "knee" else run_faults)(args, stack)
        except KeyboardInterrupt:
            print("Interrupted; stopping gunicorn, Celery and Redis", file=sys.stderr)
            return 130
        except (RuntimeError, subprocess.CalledProcessError, multiprocessing.TimeoutError) as exc:
            print(f"Load benchmark failed: {exc}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())

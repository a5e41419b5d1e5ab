"""Intake benchmark: the suggestion form under gunicorn on PostgreSQL and Redis, with a real Celery worker.

    .venv/bin/python benchmarks/intake.py                      # defaults finish in about 1.5 minutes
    .venv/bin/python benchmarks/intake.py --gunicorn-workers 2 --gunicorn-threads 4 --clients 8 --duration 20

What it does, in order:
1. drops and recreates a dedicated PostgreSQL database (default `hamandishi_bench`), migrates it, and flushes a
   dedicated Redis database (default /2);
2. starts a Celery worker and gunicorn (gthread) with `benchmarks.bench_settings`, which is the product's settings
   plus one trivial view at /bench/trivial/; DEBUG is off, rate limits and the minimum fill time are lifted;
3. from a second process, drives --clients concurrent simulated citizens at 127.0.0.1, one after another in each
   client slot, each a new browser with its own cookie jar and one keep-alive connection for its visit: first a
   warm-up, then the trivial view for --duration seconds (two GETs a visit), then submissions for --duration
   seconds. One submission is what a browser does: GET /suggest/, read the CSRF token and hidden fields (form
   clock, idempotency key) from the page, POST the filled-in form, expect 302 to a receipt;
4. waits for the worker to drain and checks that every accepted submission is stored and analysed.

It prints requests per second with p50/p95/p99 latency for both, the ratio, the targets (at least 150 accepted
submissions per second with p99 under 500 ms, at least 40 % of the trivial view's throughput), where the CPU went
during each phase, and a JSON summary. Exit status 1 means an accepted submission was lost or never analysed, or
the portal could not be started; missing a target is reported, not failed.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import http.client
import json
import multiprocessing
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.cookies import CookieError, SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only
TRIVIAL_PATH = "/bench/trivial/"
FORM_PATH = "/suggest/"
TARGET_RATE = 150.0
TARGET_P99_MS = 500.0
TARGET_RATIO = 0.40


# ---------------------------------------------------------------------------------------------------------------
# The load generator. Runs in its own process; only the standard library, so its own CPU cost stays small.
# ---------------------------------------------------------------------------------------------------------------

_INPUT = re.compile(r"<input\b[^>]*>", re.I)
_ATTR = re.compile(r'([\w-]+)="([^"]*)"')
_SELECT = re.compile(r'<select\b[^>]*\bname="([^"]+)"[^>]*>(.*?)</select>', re.S)
_OPTION_VALUE = re.compile(r'<option\b[^>]*\bvalue="([^"]*)"')
_RECEIPT = re.compile(r"/suggest/receipt/(\d{16})/")


class Browser:
    """One simulated citizen: a keep-alive connection and a cookie jar of its own."""

    def __init__(self, port: int, timeout: float):
        self.origin = f"http://{HOST}:{port}"
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, str, bytes]:
        headers = {"User-Agent": "hamandishi-intake-bench", "Accept": "text/html", "Accept-Language": "fa"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body is not None:
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": self.origin + path,
                }
            )
        for attempt in (1, 2):
            reused = self.conn.sock is not None
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                content = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                # The server closed an idle keep-alive connection before reading this request; a browser
                # retries on a new one. Safe for the POST too: nothing was processed, and the form carries
                # an idempotency key.
                if not (reused and attempt == 1):
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            try:
                jar = SimpleCookie(header)
            except CookieError:
                continue
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        return response.status, response.getheader("Location", ""), content

    def close(self):
        self.conn.close()


def form_fields(page: str) -> dict[str, str]:
    """What a browser sends without the person typing: hidden inputs (CSRF token, form clock, idempotency key)
    and the name of the submit button."""
    fields = {}
    for tag in _INPUT.findall(page):
        attrs = dict(_ATTR.findall(tag))
        if attrs.get("type") in ("hidden", "submit") and "name" in attrs:
            fields[attrs["name"]] = html.unescape(attrs.get("value", ""))
    return fields


def select_options(page: str) -> dict[str, list[str]]:
    return {name: [v for v in _OPTION_VALUE.findall(body) if v] for name, body in _SELECT.findall(page)}


class Tally:
    """One client's measurements; merged after the phase so the clients never share a lock."""

    def __init__(self):
        self.latency: dict[str, list[float]] = {}
        self.status: dict[str, dict[str, int]] = {}
        self.errors: list[str] = []
        self.codes: list[str] = []
        self.first_rejection = ""

    def record(self, kind: str, seconds: float, status: int | str):
        self.latency.setdefault(kind, []).append(seconds)
        counts = self.status.setdefault(kind, {})
        counts[str(status)] = counts.get(str(status), 0) + 1


def _texts(seed: int) -> list[tuple[str, str]]:
    """Varied Persian suggestions (title, body) from the analysis benchmark's generator."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.generate import generate

    pairs = []
    for item in generate(400, seed=seed):
        words = item.text.split()
        title = " ".join(words[:8])[:150]
        if len(title) >= 10 and len(item.text) >= 30:
            pairs.append((title, item.text[:5000]))
    return pairs


def _submit_once(browser: Browser, rng: random.Random, texts, tally: Tally, options: dict, opts: dict):
    started = time.perf_counter()
    status, _, content = browser.request("GET", FORM_PATH)
    posted = time.perf_counter()
    tally.record("form", posted - started, status)
    if status != 200:
        return
    page = content.decode()
    if not options:
        options.update(select_options(page))
    title, body = rng.choice(texts)
    data = {
        **form_fields(page),
        "role": rng.choice(options["role"]),
        "province": rng.choice(options["province"]),
        "topic": rng.choice(options["topic"]),
        "title": title,
        "body": body,
        "name": "",
        "email": "",
        "phone": "",
        "website": "",  # the honeypot, left empty as people leave it
    }
    if rng.random() < opts["contact_share"]:
        data.update(
            name="شهروند آزمایشی",
            email=f"citizen{rng.randrange(10**6)}@example.com",
            phone=f"0912{rng.randrange(10**7):07d}",
            consent="on",
        )
    posted = time.perf_counter()
    status, location, content = browser.request("POST", FORM_PATH, urllib.parse.urlencode(data).encode())
    done = time.perf_counter()
    receipt = _RECEIPT.search(location) if status == 302 else None
    tally.record("submit", done - posted, "accepted" if receipt else status)
    if receipt is None:
        if not tally.first_rejection:
            tally.first_rejection = f"{status} {location} {content[:600].decode(errors='replace')}"
        return
    tally.codes.append(receipt.group(1))
    tally.record("cycle", done - started, 200)
    if opts["follow_receipt"]:
        status, _, _ = browser.request("GET", location)
        tally.record("receipt", time.perf_counter() - done, status)


def _client(kind: str, index: int, opts: dict, barrier: threading.Barrier, deadline: list, tally: Tally):
    rng = random.Random(opts["seed"] * 1000 + index)
    texts = _texts(opts["seed"] * 1000 + index) if kind == "submit" else []
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
                _submit_once(browser, rng, texts, tally, options, opts)
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
# The portal under test: database, Redis, Celery worker, gunicorn. Every process started here is stopped here.
# ---------------------------------------------------------------------------------------------------------------


class Stack:
    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict):
        log = open(self.logdir / f"{name}.log", "wb")  # noqa: SIM115 - kept open for the child's lifetime
        # A session of its own: Ctrl-C in the terminal reaches only this script, which then stops the
        # whole group (gunicorn's or Celery's master and their children) by its id.
        self.procs[name] = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return self.procs[name]

    def check_alive(self):
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 25) -> str:
        path = self.logdir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def stop(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            # The master may be gone while a child of its group lingers; SIGKILL the group either way.
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()


def _signal_group(pgid: int, sig: int):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def server_env(args) -> dict:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="benchmarks.bench_settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="intake-benchmark-only-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        SECURE_HSTS_SECONDS="0",
        BEHIND_PROXY="false",
        TRUSTED_PROXY_COUNT="0",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        # Every simulated citizen comes from 127.0.0.1 and posts at once: lift the per-address limits
        # and the minimum fill time, which exist to stop bots, not to be measured here.
        SUBMIT_RATE_LIMIT="1000000/60",
        TRACK_RATE_LIMIT="1000000/60",
        FORM_MIN_FILL_SECONDS="0",
        CELERY_TASK_ALWAYS_EAGER="false",
        LOG_LEVEL="WARNING",
    )
    return env


def _pg_connect(url: str, dbname: str | None = None):
    import psycopg

    parts = urllib.parse.urlsplit(url)
    return psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or "postgres"),
        password=urllib.parse.unquote(parts.password or "") or None,
        dbname=dbname or parts.path.lstrip("/"),
        autocommit=True,
        connect_timeout=5,
    )


def reset_database(url: str):
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the benchmark database's name must contain 'bench'")
    with _pg_connect(url, "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def reset_redis(url: str):
    import redis

    client = redis.Redis.from_url(url)
    if client.connection_pool.connection_kwargs.get("db", 0) == 0:
        raise SystemExit("refusing to flush Redis database 0: give the benchmark a database of its own, e.g. /2")
    client.flushdb()
    client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until_serving(stack: Stack, port: int, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", TRIVIAL_PATH)
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer on {HOST}:{port} within {timeout:.0f} s:\n{stack.tail('gunicorn')}")


def state_counts(url: str) -> dict[str, int]:
    with _pg_connect(url) as conn:
        rows = conn.execute("SELECT state, count(*) FROM suggestions_suggestion GROUP BY state").fetchall()
    return dict(rows)


def wait_for_drain(stack: Stack, url: str, expected: int, timeout: float, stall: float = 20) -> float:
    """Seconds until no stored suggestion is left received or analysing (and at least `expected` are stored).
    Raises when that takes longer than `timeout`, or when nothing moves for `stall` seconds: a failed analysis
    goes back to received and waits for the sweeper, which this benchmark does not run."""
    started = last_change = time.monotonic()
    last = None
    while True:
        counts = state_counts(url)
        pending = counts.get("received", 0) + counts.get("analysing", 0)
        if pending == 0 and sum(counts.values()) >= expected:
            return time.monotonic() - started
        now = time.monotonic()
        if counts != last:
            last, last_change = counts, now
        if now - started > timeout or now - last_change > stall:
            raise RuntimeError(f"the worker did not drain; suggestions by state: {counts}\n{stack.tail('worker')}")
        stack.check_alive()
        time.sleep(0.25)


def verify(url: str, codes: set[str]) -> dict[str, int]:
    with _pg_connect(url) as conn:
        stored, analysed = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE state = 'analysed') FROM suggestions_suggestion "
            "WHERE tracking_code = ANY(%s)",
            (sorted(codes),),
        ).fetchone()
        total = conn.execute("SELECT count(*) FROM suggestions_suggestion").fetchone()[0]
    return {"accepted": len(codes), "stored": stored, "analysed": analysed, "rows_in_table": total}


# ---------------------------------------------------------------------------------------------------------------
# CPU accounting: which process group used how many cores during a phase (read from /proc).
# ---------------------------------------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(groups: dict[str, int]) -> dict[str, int]:
    ticks = dict.fromkeys([*groups, "postgres", "redis"], 0)
    by_pgid = {pgid: name for name, pgid in groups.items()}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        used = int(fields[11]) + int(fields[12])  # utime + stime
        name = by_pgid.get(int(fields[2]))
        if name is None and comm.startswith("postgres"):
            name = "postgres"
        elif name is None and comm.startswith("redis-server"):
            name = "redis"
        if name is not None:
            ticks[name] += used
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    ticks["machine"] = sum(values) - values[3] - values[4]  # all but idle and iowait
    return ticks


def cores_used(before: dict[str, int], after: dict[str, int], elapsed: float) -> dict[str, float]:
    return {name: round((after[name] - before[name]) / _TICK / elapsed, 2) for name in before}


# ---------------------------------------------------------------------------------------------------------------
# Figures.
# ---------------------------------------------------------------------------------------------------------------


def percentile_ms(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))] * 1000


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
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/2")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--timeout", type=float, default=30, help="client socket timeout in seconds")
    parser.add_argument("--drain-timeout", type=float, default=180)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 256 or not 1 <= args.duration <= 300:
        parser.error("--clients must be 1..256 and --duration 1..300 seconds")
    return args


def run(args, stack: Stack) -> int:
    python = sys.executable
    env = server_env(args)
    port = args.port or free_port()
    print(f"Setting up: database {args.database_url}, Redis {args.redis_url}, logs in {stack.logdir}", flush=True)
    reset_database(args.database_url)
    reset_redis(args.redis_url)
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)

    worker_command = [python, "-m", "celery", "-A", "portal", "worker", "--loglevel", "WARNING"]
    worker_command += ["--concurrency", str(args.worker_concurrency), "--pool", "prefork"]
    worker_command += ["--hostname", f"intake-bench-{os.getpid()}@%h", "--without-gossip", "--without-mingle"]
    if args.worker_nice:
        worker_command = ["nice", "-n", str(args.worker_nice), *worker_command]
    stack.start("worker", worker_command, env)
    web_command = [python, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"{HOST}:{port}"]
    web_command += ["--workers", str(args.gunicorn_workers), "--threads", str(args.gunicorn_threads)]
    web_command += ["--worker-class", "gthread", "--keep-alive", "5", "--backlog", "1024"]
    web_command += ["--graceful-timeout", "5", "--log-level", "warning"]
    stack.start("gunicorn", web_command, env)
    wait_until_serving(stack, port)
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
        print(f"Warming up for {args.warmup:.0f} s, then waiting for the worker to analyse the warm-up", flush=True)
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
    counts = verify(args.database_url, codes)
    return report(args, results, cpu, counts, drained, state_counts(args.database_url))


def report(args, results, cpu, counts, drained, states) -> int:
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
    intact = counts["accepted"] == counts["stored"] == counts["analysed"] == counts["rows_in_table"]
    took = f"{drained:.1f} s" if drained is not None else "INCOMPLETE"
    print(
        f"After the drain ({took}): accepted {counts['accepted']} {'=' if intact else '≠'} stored "
        f"{counts['stored']} {'=' if intact else '≠'} analysed {counts['analysed']} (rows in the table "
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
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if intact else 1


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    # SIGTERM takes the same way out as Ctrl-C, through the `finally` that stops every process started here.
    signal.signal(signal.SIGTERM, _interrupt)
    stack = Stack(Path(tempfile.mkdtemp(prefix="hamandishi-intake-bench-")))
    try:
        return run(args, stack)
    except KeyboardInterrupt:
        print("Interrupted; stopping gunicorn and the worker", file=sys.stderr)
        return 130
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"Benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())

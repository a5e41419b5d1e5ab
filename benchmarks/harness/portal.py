"""The portal under test: its environment, its migrations, and its processes started in a `Stack`.

`start_portal` starts what production runs (gunicorn, Celery workers, beat) or what `make run` runs
(`manage.py serve`) with the environment it is given, and returns once the web server answers.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from dataclasses import dataclass

from benchmarks.harness.database import pg_connect
from benchmarks.harness.processes import HOST, ROOT, Stack, free_port

PYTHON = sys.executable
TRIVIAL_PATH = "/bench/trivial/"  # benchmarks.bench_urls: the yardstick the intake is compared with


def portal_env(*, database_url: str | None, redis_url: str | None, **overrides: str) -> dict[str, str]:
    """Production's settings on 127.0.0.1: DEBUG off, `benchmarks.bench_settings` (the product's settings and a
    trivial view), no `.env`. Every simulated citizen comes from 127.0.0.1 and posts at once, so the per-address
    limits and the minimum fill time, which exist to stop bots, are lifted. `None` leaves a URL out (SQLite
    under HAMANDISHI_VAR_DIR, or the embedded broker)."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="benchmarks.bench_settings",
        DJANGO_READ_DOT_ENV="false",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="benchmark-only-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        SECURE_HSTS_SECONDS="0",
        BEHIND_PROXY="false",
        TRUSTED_PROXY_COUNT="0",
        SUBMIT_RATE_LIMIT="1000000/60",
        TRACK_RATE_LIMIT="1000000/60",
        FORM_MIN_FILL_SECONDS="0",
        CELERY_TASK_ALWAYS_EAGER="false",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(overrides)
    return env


def setup_django(env: dict[str, str]) -> None:
    """Django in this process, with `env` as its environment (for benchmarks that time code in process)."""
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def manage(env: dict[str, str], *args: str, log=None) -> None:
    """`manage.py <args>` in a child process with `env`; raises when it fails."""
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=log, stderr=log)


@dataclass
class Worker:
    """One `celery worker` to start: its queues, pool size and niceness (the semantic worker runs at 19)."""

    name: str = "worker"
    concurrency: int = 1
    queues: str = "celery"
    nice: int = 0
    threads: int | None = None  # OMP_NUM_THREADS, read when the e5 model loads


def start_portal(
    stack: Stack,
    env: dict[str, str],
    *,
    web: str | None = "gunicorn",
    workers: list[Worker] | tuple[Worker, ...] | None = None,
    beat: bool = False,
    port: int = 0,
    gunicorn_workers: int = 3,
    gunicorn_threads: int = 4,
    ready_path: str = TRIVIAL_PATH,
    timeout: float = 60,
) -> int:
    """Start the workers (one with concurrency 1 on the celery queue unless given; `[]` for none), beat and the
    web server (`"gunicorn"`, `"serve"` for `manage.py serve`, which starts its own workers, or None) with `env`;
    return the web port once `ready_path` answers 200 (0 without web)."""
    for worker in [Worker()] if workers is None else workers:
        command = [PYTHON, "-m", "celery", "-A", "portal", "worker", "--loglevel", "WARNING", "--pool", "prefork"]
        command += ["--concurrency", str(worker.concurrency), "--queues", worker.queues]
        command += ["--hostname", f"{worker.name}-{os.getpid()}@%h", "--without-gossip", "--without-mingle"]
        if worker.nice:
            command = ["nice", "-n", str(worker.nice), *command]
        worker_env = {**env, "OMP_NUM_THREADS": str(worker.threads)} if worker.threads else env
        stack.start(worker.name, command, worker_env)
    if beat:
        schedule = str(stack.logdir / "celerybeat-schedule")
        stack.start(
            "beat", [PYTHON, "-m", "celery", "-A", "portal", "beat", "--loglevel", "WARNING", "-s", schedule], env
        )
    if web is None:
        return 0
    port = port or free_port()
    if web == "serve":
        stack.start("serve", [PYTHON, "manage.py", "serve", "--bind", f"{HOST}:{port}"], env)
    else:
        command = [PYTHON, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"{HOST}:{port}"]
        command += ["--worker-class", "gthread", "--workers", str(gunicorn_workers), "--threads", str(gunicorn_threads)]
        command += ["--keep-alive", "5", "--backlog", "1024", "--graceful-timeout", "5", "--log-level", "warning"]
        stack.start("gunicorn", command, env)
    wait_until_serving(stack, web, port, ready_path, timeout)
    return port


def wait_until_serving(stack: Stack, name: str, port: int, path: str = TRIVIAL_PATH, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{name} did not answer on {HOST}:{port} within {timeout:.0f} s:\n{stack.tail(name)}")


# ---------------------------------------------------------------------------------------------------------------
# Nothing accepted is lost: what the worker has left to do, and what became of the receipts given (PostgreSQL).
# ---------------------------------------------------------------------------------------------------------------


def state_counts(url: str) -> dict[str, int]:
    with pg_connect(url) as conn:
        rows = conn.execute("SELECT state, count(*) FROM suggestions_suggestion GROUP BY state").fetchall()
    return dict(rows)


def wait_for_drain(stack: Stack, url: str, expected: int, timeout: float, stall: float = 20) -> float:
    """Seconds until no stored suggestion is left received or analyzing (and at least `expected` are stored).
    Raises when that takes longer than `timeout`, or when nothing moves for `stall` seconds: a failed analysis
    goes back to received and waits for the sweeper, which runs only with beat."""
    started = last_change = time.monotonic()
    last = None
    while True:
        counts = state_counts(url)
        pending = counts.get("received", 0) + counts.get("analyzing", 0)
        if pending == 0 and sum(counts.values()) >= expected:
            return time.monotonic() - started
        now = time.monotonic()
        if counts != last:
            last, last_change = counts, now
        if now - started > timeout or now - last_change > stall:
            raise RuntimeError(f"the worker did not drain; suggestions by state: {counts}\n{stack.tail('worker')}")
        stack.check_alive()
        time.sleep(0.25)


def verify_receipts(url: str, codes: set[str]) -> dict[str, int]:
    """How many of the receipts given are stored, how many analyzed, and how many rows the table holds."""
    with pg_connect(url) as conn:
        stored, analyzed = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE state = 'analyzed') FROM suggestions_suggestion "
            "WHERE tracking_code = ANY(%s)",
            (sorted(codes),),
        ).fetchone()
        total = conn.execute("SELECT count(*) FROM suggestions_suggestion").fetchone()[0]
    return {"accepted": len(codes), "stored": stored, "analyzed": analyzed, "rows_in_table": total}

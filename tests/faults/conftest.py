"""Real processes for fault tests: a private Redis that can be stopped and started, Celery workers that can
be killed, all sharing the test database through DATABASE_URL."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from portal.celery import app as celery_app
from tests.conftest import _reset_producer_pool

ROOT = Path(__file__).resolve().parents[2]
INJECT = Path(__file__).resolve().parent / "inject"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, seconds: float, step: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


def start_gunicorn(env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    """The portal under one gunicorn worker with `env`; returns the process and its base URL once it serves."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            urllib.request.urlopen(f"{base}/static/css/site.css", timeout=1)
            return True
        except (urllib.error.URLError, OSError):
            return False

    wait_until(up, 60, step=0.5)
    return process, base


def test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class PrivateRedis:
    def __init__(self, port: int, workdir: Path):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.workdir = workdir
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: self.answers(), 10)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed; fault tests start a private one")
    redis = PrivateRedis(free_port(), tmp_path)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def broker_at(settings):
    """Point this process's Celery producer at a given broker for the test."""
    previous = celery_app.conf.broker_url, celery_app.conf.broker_transport_options

    def switch(url: str):
        celery_app.conf.broker_url = url
        celery_app.conf.broker_transport_options = {"visibility_timeout": 5, "socket_connect_timeout": 0.5}
        _reset_producer_pool()

    yield switch
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = previous
    _reset_producer_pool()


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path):
        self.process = process
        self.log = log

    def children(self) -> list[int]:
        result = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True)
        return [int(pid) for pid in result.stdout.split()]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def start_worker(tmp_path):
    """Start `celery worker` processes on a broker URL, with faults injected through `inject/` when asked."""
    started = []

    def start(broker_url: str, *, faults: str = "", **env_overrides) -> Worker:
        env = {key: value for key, value in os.environ.items() if not key.startswith("CELERY")}
        env.update(
            {
                "DATABASE_URL": test_database_url(),
                "REDIS_URL": broker_url,
                "DJANGO_DEBUG": "true",
                "BROKER_VISIBILITY_TIMEOUT": "5",
                "HAMANDISHI_FAULTS": faults,
                "PYTHONPATH": os.pathsep.join([str(INJECT), str(ROOT)]),
            }
        )
        env.update(env_overrides)
        log = tmp_path / f"worker-{len(started)}.log"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                # Both queues, as `serve` runs them in two workers: the e5 vectors follow each analysis here.
                "--queues",
                "celery,semantic",
                "--loglevel",
                "INFO",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        worker = Worker(process, log)
        started.append(worker)
        wait_until(lambda: "ready" in log.read_text(errors="replace"), 60, step=0.5)
        return worker

    yield start
    for worker in started:
        worker.stop()

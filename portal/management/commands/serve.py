"""Runs the web server, the Celery workers and Celery beat as one foreground process for development."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

BROKER_FILE = settings.VAR_DIR / "broker.sqlite3"
# Only the web server's death stops everything: without it nobody can reach the portal, while a dead worker
# only delays analysis (the sweeper re-enqueues what it held).
ESSENTIAL = "web"
# Seconds before a crashed child starts again: doubled for each crash in a row, up to the cap; a child that
# ran this long without crashing starts from the first step again.
FIRST_BACKOFF, MAX_BACKOFF, STEADY_AFTER = 1.0, 60.0, 120.0
CRASHES_KEPT = 20


def crash_record_path() -> Path:
    """The file where `serve` records each child's pid, crashes and restarts, and /healthz reads them."""
    return settings.VAR_DIR / "supervisor.json"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Supervisor:
    """Starts the children, restarts any but web when it dies (with backoff), and records it all for /healthz."""

    def __init__(self, commands: dict[str, list[str]], *, record: Path, log):
        self.commands = commands
        self.record = record
        self.log = log
        self.stopping = False
        self.children: dict[str, subprocess.Popen] = {}
        self.state = {
            "supervisor_pid": os.getpid(),
            "started_at": _now(),
            "processes": {name: {"pid": None, "running": False, "restarts": 0, "crashes": []} for name in commands},
        }
        self.started_at: dict[str, float] = {}
        self.backoff = dict.fromkeys(commands, FIRST_BACKOFF)
        self.restart_at: dict[str, float] = {}

    def start(self, name: str) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": "1"} if name == "semantic" else None
        # Each child leads a process group of its own, so that a crashed worker's pool processes go with it.
        child = subprocess.Popen(self.commands[name], env=env, process_group=0)
        self.children[name] = child
        self.started_at[name] = time.monotonic()
        self.state["processes"][name].update(pid=child.pid, running=True, started_at=_now())
        self.save()

    def start_all(self) -> None:
        for name in self.commands:
            self.start(name)

    def save(self) -> None:
        # Written whole and renamed into place, so /healthz never reads half a file.
        self.state["updated_at"] = _now()
        partial = self.record.with_suffix(".tmp")
        partial.write_text(json.dumps(self.state, indent=1))
        os.replace(partial, self.record)

    def _crashed(self, name: str, child: subprocess.Popen) -> None:
        _kill_group(child.pid, signal.SIGKILL)  # pool processes the dead worker left behind
        ran = time.monotonic() - self.started_at[name]
        if ran >= STEADY_AFTER:
            self.backoff[name] = FIRST_BACKOFF
        delay = self.backoff[name]
        self.backoff[name] = min(delay * 2, MAX_BACKOFF)
        self.restart_at[name] = time.monotonic() + delay
        entry = self.state["processes"][name]
        entry.update(running=False)
        entry["crashes"] = [*entry["crashes"], {"at": _now(), "pid": child.pid, "exit_code": child.returncode}][
            -CRASHES_KEPT:
        ]
        self.save()
        self.log(f"{name} (pid {child.pid}) stopped with exit code {child.returncode}; restarting it in {delay:g} s.")

    def run(self) -> int:
        """Supervises until Ctrl-C, SIGTERM or web's death; returns the exit code for `serve`."""
        exit_code = 0
        while not self.stopping:
            for name, child in list(self.children.items()):
                if name in self.restart_at:
                    if time.monotonic() >= self.restart_at[name] and not self.stopping:
                        del self.restart_at[name]
                        self.start(name)
                        self.state["processes"][name]["restarts"] += 1
                        self.save()
                        self.log(f"{name} restarted (pid {self.children[name].pid}).")
                    continue
                if child.poll() is None:
                    continue
                if name == ESSENTIAL:
                    self.log(f"{name} stopped with exit code {child.returncode}; stopping the rest.")
                    exit_code = child.returncode or 1
                    self.stopping = True
                    break
                self._crashed(name, child)
            time.sleep(0.2)
        self.stop_all()
        return exit_code

    def stop_all(self) -> None:
        running = [child for name, child in self.children.items() if name not in self.restart_at]
        for child in running:
            if child.poll() is None:
                child.terminate()  # the leader only: a Celery worker stops its own pool after the running tasks
        for child in running:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _kill_group(child.pid, signal.SIGKILL)
                child.wait()
        for child in running:
            _kill_group(child.pid, signal.SIGKILL)  # anything a child left behind
        for entry in self.state["processes"].values():
            entry["running"] = False
        self.state["stopped_at"] = _now()
        self.save()


def _kill_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def celery_worker(python: str, *, queue: str, concurrency: int) -> list[str]:
    return [
        python,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--loglevel",
        "INFO",
        "--concurrency",
        str(concurrency),
        "--queues",
        queue,
        "--hostname",
        f"{queue}@%h",
    ]


class Command(BaseCommand):
    help = "Runs web (gunicorn), the Celery workers (analysis; e5 vectors) and Celery beat together; Ctrl-C stops all."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))

    def handle(self, *args, bind, **options):
        python = sys.executable
        commands = {
            "web": [
                python,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "--bind",
                bind,
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
            ],
            "worker": celery_worker(python, queue="celery", concurrency=2),
            # The e5 vectors: one process, one thread, at the lowest CPU priority, so that a backlog of them
            # never holds up the analysis a citizen waits for, and one copy of the model and the vector matrix.
            "semantic": ["nice", "-n", "19", *celery_worker(python, queue="semantic", concurrency=1)],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "portal",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(settings.VAR_DIR / "celerybeat-schedule"),
            ],
        }
        broker = "Redis at " + settings.REDIS_URL if settings.REDIS_URL else f"embedded SQLite broker at {BROKER_FILE}"
        self.stdout.write(f"Broker: {broker}")
        supervisor = Supervisor(commands, record=crash_record_path(), log=self.stderr.write)
        supervisor.start_all()
        host = bind.replace("0.0.0.0", "127.0.0.1")
        self.stdout.write(self.style.SUCCESS(f"Hamandishi runs at http://{host}/  (admin: http://{host}/admin/)"))
        if settings.DEBUG:
            self.stdout.write("Demo accounts: reviewer / demo-pass-1400 and editor / demo-pass-1400")

        def stop(signum, frame):
            supervisor.stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        sys.exit(supervisor.run())

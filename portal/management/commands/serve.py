"""Runs the web server, the Celery workers and Celery beat as one foreground process for development."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


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
        broker = "Redis at " + settings.REDIS_URL if settings.REDIS_URL else "file-system broker under var/broker"
        self.stdout.write(f"Broker: {broker}")
        children = {
            name: subprocess.Popen(command, env={**os.environ, "OMP_NUM_THREADS": "1"} if name == "semantic" else None)
            for name, command in commands.items()
        }
        host = bind.replace("0.0.0.0", "127.0.0.1")
        self.stdout.write(self.style.SUCCESS(f"Hamandishi runs at http://{host}/  (admin: http://{host}/admin/)"))
        if settings.DEBUG:
            self.stdout.write("Demo accounts: reviewer / demo-pass-1400 and editor / demo-pass-1400")

        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(f"{name} stopped with exit code {child.returncode}; stopping the rest.")
                    exit_code = child.returncode or 1
                    stopping = True
            time.sleep(0.5)
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        sys.exit(exit_code)

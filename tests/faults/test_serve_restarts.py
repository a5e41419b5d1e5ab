"""`manage.py serve` as `make run` starts it (SQLite, embedded broker, a temporary VAR dir): a worker killed with
SIGKILL is started again while the web server keeps answering, and /healthz says so."""

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.faults.conftest import free_port, wait_until

pytestmark = pytest.mark.fault

ROOT = Path(__file__).resolve().parents[2]


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


@pytest.fixture
def serve(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    env.update(HAMANDISHI_VAR_DIR=str(tmp_path), DJANGO_READ_DOT_ENV="false", DJANGO_DEBUG="true")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process, port, tmp_path
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
    log.close()


def test_a_killed_worker_is_restarted_while_the_web_server_keeps_answering_and_healthz_reports_it(serve):
    process, port, var_dir = serve
    assert wait_until(lambda: get(port, "/healthz")[0] == 200, 60, step=0.5)
    record = var_dir / "supervisor.json"
    first = json.loads(record.read_text())["processes"]["worker"]["pid"]

    os.kill(first, signal.SIGKILL)

    def restarted() -> dict | None:
        worker = json.loads(record.read_text())["processes"]["worker"]
        return worker if worker["restarts"] == 1 and worker["running"] else None

    assert wait_until(restarted, 30, step=0.2)
    assert get(port, "/")[0] == 200
    status, body = get(port, "/healthz")
    assert status == 200
    worker = json.loads(body)["processes"]["worker"]
    assert worker["pid"] != first
    assert worker["running"] is True
    assert worker["restarts"] == 1
    assert worker["crashes_last_hour"] == 1
    assert worker["last_crash"]["pid"] == first
    assert worker["last_crash"]["exit_code"] == -signal.SIGKILL
    assert process.poll() is None

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=40) == 0

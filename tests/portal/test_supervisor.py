"""`manage.py serve`'s supervisor with real child processes: a crashed child is started again and the crash
recorded where /healthz reads it; only the web server's death stops everything."""

import json
import sys
import threading
import time

import pytest

from portal.management.commands.serve import Supervisor, crash_record_path

EXITS_WITH_3 = [sys.executable, "-c", "import sys; sys.exit(3)"]
RUNS_ON = ["sleep", "60"]


def wait_for(condition, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def supervise(commands: dict) -> tuple[Supervisor, threading.Thread, list]:
    messages: list[str] = []
    supervisor = Supervisor(commands, record=crash_record_path(), log=messages.append)
    supervisor.start_all()
    thread = threading.Thread(target=supervisor.run)
    thread.start()
    return supervisor, thread, messages


def record(var_dir) -> dict:
    return json.loads((var_dir / "supervisor.json").read_text())


def test_a_worker_that_crashes_is_started_again_and_each_crash_is_recorded(var_dir):
    supervisor, thread, messages = supervise({"web": RUNS_ON, "worker": EXITS_WITH_3})
    try:
        assert wait_for(lambda: record(var_dir)["processes"]["worker"]["restarts"] >= 2)
        web_pid = supervisor.children["web"].pid
        assert supervisor.children["web"].poll() is None
    finally:
        supervisor.stopping = True
        thread.join(30)
    worker = record(var_dir)["processes"]["worker"]
    assert [crash["exit_code"] for crash in worker["crashes"]][:2] == [3, 3]
    assert len({crash["pid"] for crash in worker["crashes"]}) == len(worker["crashes"])
    assert record(var_dir)["processes"]["web"]["pid"] == web_pid
    assert any("worker" in message and "restarting it in 1 s" in message for message in messages)
    assert any("restarting it in 2 s" in message for message in messages)  # backoff doubles


def test_healthz_reports_the_crashes_and_restarts_serve_recorded(var_dir, client, db):
    supervisor, thread, _ = supervise({"web": RUNS_ON, "worker": EXITS_WITH_3})
    try:
        assert wait_for(lambda: record(var_dir)["processes"]["worker"]["restarts"] >= 1)
        body = client.get("/healthz").json()
    finally:
        supervisor.stopping = True
        thread.join(30)
    worker = body["processes"]["worker"]
    assert worker["restarts"] >= 1
    assert worker["crashes_last_hour"] >= 1
    assert worker["last_crash"]["exit_code"] == 3
    assert body["processes"]["web"] == {
        "pid": supervisor.children["web"].pid,
        "running": True,
        "restarts": 0,
        "crashes_last_hour": 0,
        "last_crash": None,
    }


def test_healthz_says_nothing_of_processes_when_serve_did_not_start_them(var_dir, client, db):
    assert "processes" not in client.get("/healthz").json()


def test_when_the_web_server_dies_serve_stops_the_others_and_says_so_in_its_exit_code(var_dir):
    messages: list[str] = []
    supervisor = Supervisor(
        {"web": [sys.executable, "-c", "import sys; sys.exit(4)"], "worker": RUNS_ON},
        record=crash_record_path(),
        log=messages.append,
    )
    supervisor.start_all()
    worker = supervisor.children["worker"]
    assert supervisor.run() == 4
    assert worker.poll() is not None
    assert record(var_dir)["processes"]["worker"]["running"] is False
    assert any("web stopped with exit code 4; stopping the rest." in message for message in messages)

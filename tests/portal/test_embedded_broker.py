"""The broker and result backend the portal uses without REDIS_URL, checked on that embedded default whatever
REDIS_URL this run has."""

import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from queue import Empty

from celery.app.backends import by_url
from kombu import Connection

from portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def default_celery_settings(var_dir: Path) -> dict:
    """The broker and result backend settings.py picks on a machine without Redis, read in a fresh process."""
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    env.update(HAMANDISHI_VAR_DIR=str(var_dir), DJANGO_READ_DOT_ENV="false", DJANGO_DEBUG="true")
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps([settings.CELERY_BROKER_URL, settings.CELERY_RESULT_BACKEND]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    broker, results = json.loads(out.stdout.strip().splitlines()[-1])
    return {"broker": broker, "results": results}


def test_without_redis_the_broker_and_results_are_sqlite_files_under_the_var_dir(tmp_path):
    chosen = default_celery_settings(tmp_path)
    assert chosen["broker"] == f"embedded+sqlite:///{tmp_path.resolve() / 'broker.sqlite3'}"
    assert chosen["results"] == f"db+sqlite:///{tmp_path.resolve() / 'celery-results.sqlite3'}"


def test_the_default_broker_makes_kombu_log_nothing_about_a_missing_hostname(tmp_path, caplog):
    url = default_celery_settings(tmp_path)["broker"]
    with caplog.at_level(logging.WARNING), Connection(url) as conn:
        conn.clone().close()
        conn.as_uri()
    assert not [record for record in caplog.records if "No hostname" in record.getMessage()]


def test_two_consumers_at_once_take_every_message_exactly_once_and_leave_no_rows(tmp_path):
    url = f"embedded+sqlite:///{tmp_path / 'broker.sqlite3'}"
    with Connection(url) as conn:
        queue = conn.SimpleQueue("celery")
        for number in range(200):
            queue.put({"n": number})
        queue.close()
    taken: list[list[int]] = [[], []]

    def consume(into: list[int]):
        with Connection(url) as conn:
            queue = conn.SimpleQueue("celery")
            while True:
                try:
                    message = queue.get(timeout=1)
                except Empty:
                    break
                into.append(message.payload["n"])
                message.ack()
            queue.close()

    consumers = [threading.Thread(target=consume, args=(into,)) for into in taken]
    for consumer in consumers:
        consumer.start()
    for consumer in consumers:
        consumer.join()
    assert sorted(taken[0] + taken[1]) == list(range(200))
    # kombu's own SQLAlchemy transport only hides a claimed message; this one deletes it in the same transaction.
    with sqlite3.connect(tmp_path / "broker.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM kombu_message").fetchone() == (0,)


def test_the_broker_file_is_in_wal_mode_so_readers_never_block_a_publisher(tmp_path):
    with Connection(f"embedded+sqlite:///{tmp_path / 'broker.sqlite3'}") as conn:
        conn.SimpleQueue("celery").put({"n": 1})
    with sqlite3.connect(tmp_path / "broker.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_reclustering_progress_written_by_a_worker_is_read_back_by_the_web(tmp_path):
    backend_class, url = by_url(default_celery_settings(tmp_path)["results"])
    worker_side = backend_class(app=celery_app, url=url)
    worker_side.store_result("recluster-1", {"stage": "clustering", "done": 3, "total": 7}, "PROGRESS")
    web_side = backend_class(app=celery_app, url=url)
    meta = web_side.get_task_meta("recluster-1")
    assert meta["status"] == "PROGRESS"
    assert meta["result"] == {"stage": "clustering", "done": 3, "total": 7}

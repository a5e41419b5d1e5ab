"""The embedded broker (no REDIS_URL) under what killed the file-system one: messages published from several
threads while a real worker consumes them. Runs on the embedded broker whatever REDIS_URL says."""

import re
import threading

import pytest

from portal.celery import app as celery_app
from tests.faults.conftest import wait_until

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

PUBLISHERS, EACH = 4, 50
SUCCEEDED = re.compile(r"Task portal\.record_heartbeat\[([0-9a-f-]+)\] succeeded")


def test_messages_published_while_a_worker_consumes_are_all_delivered_once_and_nothing_crashes(
    tmp_path, broker_at, start_worker
):
    broker_at(f"embedded+sqlite:///{tmp_path / 'broker.sqlite3'}")
    # REDIS_URL empty: the worker runs on the embedded default, on this test's broker file.
    worker = start_worker("", HAMANDISHI_VAR_DIR=str(tmp_path))
    published: list[str] = []
    lock = threading.Lock()

    def publish():
        for _ in range(EACH):
            task_id = celery_app.send_task("portal.record_heartbeat").id
            with lock:
                published.append(task_id)

    threads = [threading.Thread(target=publish) for _ in range(PUBLISHERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    def succeeded() -> list[str]:
        return SUCCEEDED.findall(worker.log.read_text(errors="replace"))

    wait_until(lambda: len(succeeded()) >= len(published), 120, step=0.5)
    log = worker.log.read_text(errors="replace")
    assert sorted(succeeded()) == sorted(published)
    assert worker.process.poll() is None
    assert "Unrecoverable error" not in log
    assert "JSONDecodeError" not in log

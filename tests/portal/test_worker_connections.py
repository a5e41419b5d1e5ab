"""A worker keeps its database connection from task to task, as a web process keeps it from request to request,
and drops one that an error left unusable before the next task."""

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_prerun
from django.db import connection

from portal.celery import app
from suggestions.tasks import analyze_suggestion

pytestmark = pytest.mark.django_db(transaction=True)


def one_task_as_a_worker_runs_it(fixup: DjangoWorkerFixup) -> None:
    """What surrounds a task on a worker, as far as the database connection is concerned: Celery's fix-up before
    and after it, and the project's handler of `task_prerun`."""
    analyze_suggestion.request.is_eager = False
    fixup.on_task_prerun(sender=analyze_suggestion)
    task_prerun.send(sender=analyze_suggestion, task_id="t", task=analyze_suggestion, args=(), kwargs={})
    connection.ensure_connection()
    fixup.on_task_postrun(sender=analyze_suggestion)


# On SQLite (CONN_MAX_AGE 0 there: opening the file costs microseconds) a connection lives for one task.
@pytest.mark.postgres
def test_a_worker_keeps_its_database_connection_from_task_to_task():
    fixup = DjangoWorkerFixup(app)
    connection.ensure_connection()
    held = connection.connection
    for _ in range(3):
        one_task_as_a_worker_runs_it(fixup)
    assert connection.connection is held


@pytest.mark.postgres
def test_a_connection_an_error_left_unusable_is_replaced_before_the_next_task():
    fixup = DjangoWorkerFixup(app)
    connection.ensure_connection()
    broken = connection.connection
    broken.close()  # as when PostgreSQL restarts under the worker
    connection.errors_occurred = True
    one_task_as_a_worker_runs_it(fixup)
    assert connection.connection is not broken
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)

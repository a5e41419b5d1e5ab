import pytest
from django.db import transaction

from common.queue import enqueue_on_commit, enqueue_rollback_unsafe
from portal.models import WorkerHeartbeat
from portal.tasks import record_heartbeat

pytestmark = pytest.mark.django_db


def test_a_task_asked_for_in_a_transaction_runs_once_it_commits(eager_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue_on_commit(record_heartbeat)
        assert not WorkerHeartbeat.objects.exists()
    assert WorkerHeartbeat.objects.count() == 1


def test_a_task_asked_for_in_a_transaction_that_rolls_back_is_never_sent(
    dead_broker, django_capture_on_commit_callbacks
):
    # Behind a dead broker any try to send would be reported: none is.
    refusals = []
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue_on_commit(record_heartbeat, on_failure=refusals.append)
        raise RuntimeError("the request failed")
    assert callbacks == [] and refusals == []


def test_a_broker_that_is_down_is_reported_to_the_caller_not_raised(dead_broker):
    refusals = []
    assert enqueue_rollback_unsafe(record_heartbeat, on_failure=refusals.append) is False
    assert len(refusals) == 1

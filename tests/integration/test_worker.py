"""A real Celery worker on the configured broker (Redis when REDIS_URL is set, the file-system broker
otherwise) takes a submitted suggestion from «دریافت شد» to «تحلیل شد»."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from portal.celery import app as celery_app
from suggestions.choices import State
from suggestions.models import Suggestion, Topic
from suggestions.services import submit_suggestion
from tests.conftest import service_reachable

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    if settings.REDIS_URL and not service_reachable(settings.REDIS_URL):
        pytest.skip(f"REDIS_URL is set but Redis does not answer at {settings.REDIS_URL}")
    celery_app.control.purge()  # messages earlier tests published for rows that no longer exist
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as running:
        yield running


def wait_for_state(pk: int, state: str, seconds: float = 60) -> Suggestion:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        suggestion = Suggestion.objects.get(pk=pk)
        if suggestion.state == state:
            return suggestion
        time.sleep(0.2)
    return Suggestion.objects.get(pk=pk)


def test_a_real_worker_analyzes_a_submitted_suggestion(worker, seeded_topics):
    suggestion = submit_suggestion(
        role="journalist",
        province="fars",
        topic=Topic.objects.get(slug="electronic-voting"),
        title="نوبت‌دهی اینترنتی برای شعبه‌ها",
        body="سامانهٔ نوبت‌دهی اینترنتی راه‌اندازی شود تا مردم در ساعت مشخص به شعبه بروند و صف تشکیل نشود.",
    )
    assert suggestion.state == State.RECEIVED
    analyzed = wait_for_state(suggestion.pk, State.ANALYZED)
    assert analyzed.state == State.ANALYZED
    assert analyzed.attempts == 1
    assert analyzed.fingerprint

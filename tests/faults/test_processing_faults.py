"""Faults in the services the portal leans on: no accepted suggestion is lost, and none is analyzed twice."""

import os
import signal
import time

import pytest
from django.test import Client
from django.urls import reverse

from suggestions.choices import State
from suggestions.models import SimilarSuggestion, Suggestion
from suggestions.tasks import analyze_suggestion, sweep_stuck_suggestions
from tests.faults.conftest import wait_until
from tests.suggestions.helpers import form_data

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]


def states() -> dict[str, int]:
    return {state: Suggestion.objects.filter(state=state).count() for state in State.values}


def sweep_until_analyzed(expected: int, seconds: float) -> float:
    """Run the sweeper as beat would (every few seconds here) until `expected` suggestions are analyzed."""
    started = time.monotonic()

    def done():
        sweep_stuck_suggestions()
        return Suggestion.objects.filter(state=State.ANALYZED).count() >= expected

    wait_until(done, seconds, step=2)
    return time.monotonic() - started


def test_submissions_while_redis_is_down_all_get_receipts_and_are_analyzed_after_it_returns(
    seeded_topics, private_redis, broker_at, start_worker, settings, capsys
):
    settings.SUBMIT_RATE_LIMIT = "1000/60"
    broker_at(private_redis.url)
    start_worker(private_redis.url)
    private_redis.stop()

    citizen = Client()
    responses = [citizen.post(reverse("suggestions:suggest"), form_data()) for _ in range(20)]
    assert [response.status_code for response in responses] == [302] * 20
    assert states()[State.RECEIVED] == 20

    private_redis.start()
    elapsed = sweep_until_analyzed(20, seconds=120)
    with capsys.disabled():
        print(
            f"\n  redis outage: 20 accepted, {states()[State.ANALYZED]} analyzed {elapsed:.1f} s after Redis returned"
        )
    assert states() == {State.RECEIVED: 0, State.ANALYZING: 0, State.ANALYZED: 20, State.FAILED: 0}


def test_a_worker_killed_mid_task_gets_the_task_again_and_its_effect_happens_once(
    seeded_topics, private_redis, broker_at, start_worker, settings
):
    # Longer than one slowed attempt (4 s), as in production the age exceeds the slowest task: the sweeper then
    # takes back only what a dead worker left.
    settings.ANALYSIS_STUCK_AFTER_SECONDS = 10
    broker_at(private_redis.url)
    Client().post(reverse("suggestions:suggest"), form_data())
    suggestion = Suggestion.objects.get()

    worker = start_worker(private_redis.url, faults="slow")
    assert wait_until(lambda: Suggestion.objects.get().state == State.ANALYZING, 60)
    for child in worker.children():
        os.kill(child, signal.SIGKILL)

    sweep_until_analyzed(1, seconds=90)
    suggestion.refresh_from_db()
    assert suggestion.state == State.ANALYZED
    assert suggestion.attempts == 2
    assert SimilarSuggestion.objects.filter(suggestion=suggestion).count() <= 5


def test_the_same_task_delivered_twice_is_analyzed_once(seeded_topics, private_redis, broker_at, start_worker):
    broker_at(private_redis.url)
    Client().post(reverse("suggestions:suggest"), form_data())
    suggestion = Suggestion.objects.get()
    analyze_suggestion.delay(suggestion.pk)  # the second delivery; the first went out on commit
    start_worker(private_redis.url)

    assert wait_until(lambda: Suggestion.objects.get().state == State.ANALYZED, 60)
    time.sleep(2)  # let the second delivery run too
    suggestion.refresh_from_db()
    assert suggestion.attempts == 1
    assert SimilarSuggestion.objects.filter(suggestion=suggestion).count() <= 5


def test_a_task_that_always_fails_is_marked_failed_after_five_attempts_and_shows(
    seeded_topics, private_redis, broker_at, start_worker, settings, admin_client
):
    settings.ANALYSIS_STUCK_AFTER_SECONDS = 0
    broker_at(private_redis.url)
    Client().post(reverse("suggestions:suggest"), form_data(title="پیشنهادی که تحلیلش همیشه شکست می‌خورد"))
    start_worker(private_redis.url, faults="broken")

    def failed():
        sweep_stuck_suggestions()
        return Suggestion.objects.get().state == State.FAILED

    assert wait_until(failed, 90, step=1)
    suggestion = Suggestion.objects.get()
    assert suggestion.attempts == settings.ANALYSIS_MAX_ATTEMPTS
    assert "injected fault" in suggestion.last_error
    assert Client().get("/healthz").json()["failed_suggestions"] == 1
    changelist = admin_client.get("/admin/suggestions/suggestion/?state__exact=failed").content.decode()
    assert "پیشنهادی که تحلیلش همیشه شکست می‌خورد" in changelist

    # No endless loop: more sweeps leave it failed, queue nothing and count no attempt.
    assert sweep_stuck_suggestions() == {"failed": 0, "requeued": 0}
    assert sweep_stuck_suggestions() == {"failed": 0, "requeued": 0}
    suggestion.refresh_from_db()
    assert suggestion.state == State.FAILED and suggestion.attempts == settings.ANALYSIS_MAX_ATTEMPTS

from datetime import timedelta

import pytest
from django.utils import timezone

from suggestions.analysis import engine
from suggestions.choices import State
from suggestions.models import Contact, Suggestion
from suggestions.tasks import analyze_suggestion, purge_expired_contacts, sweep_stuck_suggestions
from tests.factories import ContactFactory, SuggestionFactory

pytestmark = pytest.mark.django_db


def make_analysis_fail(monkeypatch):
    def broken(text):
        raise ValueError("normaliser crashed")

    monkeypatch.setattr(engine, "display_form", broken)


def test_the_task_stores_normalised_text_and_fingerprint(suggestion):
    analyze_suggestion(suggestion.pk)
    suggestion.refresh_from_db()
    assert suggestion.state == State.ANALYZED
    assert suggestion.attempts == 1
    assert len(suggestion.fingerprint) == 32
    assert "رأی" in suggestion.normalized_text or "رای" in suggestion.normalized_text


def test_a_second_delivery_of_the_same_task_does_nothing(suggestion):
    analyze_suggestion(suggestion.pk)
    suggestion.refresh_from_db()
    first_analyzed_at = suggestion.analyzed_at
    analyze_suggestion(suggestion.pk)
    suggestion.refresh_from_db()
    assert suggestion.attempts == 1
    assert suggestion.analyzed_at == first_analyzed_at


def test_a_delivery_while_another_worker_analyzes_does_nothing():
    suggestion = SuggestionFactory(state=State.ANALYZING, attempts=1)
    analyze_suggestion(suggestion.pk)
    suggestion.refresh_from_db()
    assert suggestion.state == State.ANALYZING
    assert suggestion.attempts == 1


def test_a_failed_attempt_gives_the_suggestion_back_with_the_error(suggestion, monkeypatch):
    make_analysis_fail(monkeypatch)
    analyze_suggestion(suggestion.pk)
    suggestion.refresh_from_db()
    assert suggestion.state == State.RECEIVED
    assert suggestion.attempts == 1
    assert "normaliser crashed" in suggestion.last_error


def test_a_suggestion_that_always_fails_is_marked_failed_after_five_attempts(suggestion, monkeypatch, settings):
    make_analysis_fail(monkeypatch)
    for _ in range(10):
        analyze_suggestion(suggestion.pk)
    suggestion.refresh_from_db()
    assert suggestion.state == State.FAILED
    assert suggestion.attempts == settings.ANALYSIS_MAX_ATTEMPTS


def test_the_sweeper_analyzes_a_suggestion_whose_enqueue_was_lost(eager_tasks, settings):
    stale = timezone.now() - timedelta(seconds=settings.ANALYSIS_STUCK_AFTER_SECONDS + 5)
    suggestion = SuggestionFactory(state=State.RECEIVED, state_changed_at=stale)
    assert sweep_stuck_suggestions() == {"failed": 0, "requeued": 1}
    suggestion.refresh_from_db()
    assert suggestion.state == State.ANALYZED


def test_the_sweeper_leaves_fresh_suggestions_alone(eager_tasks):
    suggestion = SuggestionFactory(state=State.RECEIVED)
    assert sweep_stuck_suggestions() == {"failed": 0, "requeued": 0}
    suggestion.refresh_from_db()
    assert suggestion.state == State.RECEIVED


def test_the_sweeper_takes_back_a_suggestion_whose_worker_died(eager_tasks, settings):
    stale = timezone.now() - timedelta(seconds=settings.ANALYSIS_STUCK_AFTER_SECONDS + 5)
    suggestion = SuggestionFactory(state=State.ANALYZING, attempts=1, state_changed_at=stale)
    sweep_stuck_suggestions()
    suggestion.refresh_from_db()
    assert suggestion.state == State.ANALYZED
    assert suggestion.attempts == 2


def test_the_sweeper_fails_a_stuck_suggestion_out_of_attempts(eager_tasks, settings):
    stale = timezone.now() - timedelta(seconds=settings.ANALYSIS_STUCK_AFTER_SECONDS + 5)
    suggestion = SuggestionFactory(
        state=State.ANALYZING, attempts=settings.ANALYSIS_MAX_ATTEMPTS, state_changed_at=stale
    )
    assert sweep_stuck_suggestions()["failed"] == 1
    suggestion.refresh_from_db()
    assert suggestion.state == State.FAILED


def test_the_sweeper_stops_quietly_while_the_broker_is_down(dead_broker, settings):
    stale = timezone.now() - timedelta(seconds=settings.ANALYSIS_STUCK_AFTER_SECONDS + 5)
    suggestion = SuggestionFactory(state=State.RECEIVED, state_changed_at=stale)
    assert sweep_stuck_suggestions() == {"failed": 0, "requeued": 0}
    suggestion.refresh_from_db()
    assert suggestion.state == State.RECEIVED


def test_the_purge_removes_only_contact_details_past_their_date():
    expired = ContactFactory(purge_after=timezone.localdate() - timedelta(days=1))
    kept = ContactFactory(purge_after=timezone.localdate() + timedelta(days=1))
    assert purge_expired_contacts() == 1
    assert not Contact.objects.filter(pk=expired.pk).exists()
    assert Contact.objects.filter(pk=kept.pk).exists()
    assert Suggestion.objects.filter(pk=expired.suggestion_id).exists()


def test_a_suggestion_the_broker_refused_is_enqueued_by_the_next_sweep_at_once(dead_broker, settings):
    from django.test import TestCase

    from suggestions.models import Topic
    from suggestions.services import submit_suggestion

    with TestCase.captureOnCommitCallbacks(execute=True):
        suggestion = submit_suggestion(
            role="citizen",
            province="qom",
            topic=Topic.objects.get(slug="other"),
            title="صندوق سیار برای سالمندان",
            body="برای سالمندان و بیماران صندوق سیار به در منازل فرستاده شود.",
        )
    suggestion.refresh_from_db()
    assert suggestion.awaiting_enqueue
    assert Suggestion.objects.filter(state=State.RECEIVED, awaiting_enqueue=True).count() == 1


def test_the_sweep_after_the_broker_returns_takes_refused_suggestions_first(eager_tasks):
    refused = SuggestionFactory(state=State.RECEIVED, awaiting_enqueue=True)
    assert sweep_stuck_suggestions()["requeued"] == 1
    refused.refresh_from_db()
    assert refused.state == State.ANALYZED and not refused.awaiting_enqueue

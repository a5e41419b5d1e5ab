"""A worker analyzes the suggestions waiting behind the one it was sent for as one batch: what each gets is what it
would get alone, all of it written in one transaction, and one text that breaks the batch fails only itself."""

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from suggestions import pipeline
from suggestions.analysis import engine
from suggestions.analysis.engine import Engine
from suggestions.choices import State
from suggestions.models import SimilarSuggestion, Suggestion
from suggestions.tasks import analyze_suggestion
from tests.factories import SuggestionFactory
from tests.suggestions.ideas import HOURS, IDEAS

pytestmark = pytest.mark.django_db

BODIES = [text for texts in IDEAS.values() for text in texts]


def waiting(bodies: list[str]) -> list[Suggestion]:
    """Suggestions sent a minute ago, their messages still queued: a queue has formed."""
    sent = timezone.now() - timedelta(minutes=1)
    return [SuggestionFactory(title="پیشنهاد برای انتخابات", body=body, created_at=sent) for body in bodies]


def delivered(suggestion: Suggestion) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        analyze_suggestion(suggestion.pk)


def test_one_delivery_analyzes_the_suggestions_waiting_behind_it():
    suggestions = waiting([*BODIES, HOURS])
    delivered(suggestions[0])
    assert set(Suggestion.objects.values_list("state", flat=True)) == {State.ANALYZED}
    # The copy of the first text, analyzed in the same batch, joined its group.
    copy = Suggestion.objects.get(pk=suggestions[-1].pk)
    assert copy.duplicate_group.canonical_id == suggestions[0].pk
    # Each listed the others it is like, and earlier ones list the later ones offered to them.
    masks = Suggestion.objects.get(body=IDEAS["masks"][0])
    assert SimilarSuggestion.objects.filter(suggestion=masks, other__body=IDEAS["masks"][1]).exists()


def test_a_suggestion_taken_as_soon_as_it_was_sent_is_analyzed_alone():
    # No queue has formed: nothing is looked for behind it.
    suggestions = [SuggestionFactory(body=body) for body in BODIES[:3]]
    delivered(suggestions[0])
    states = list(Suggestion.objects.order_by("pk").values_list("state", flat=True))
    assert states == [State.ANALYZED, State.RECEIVED, State.RECEIVED]


def test_the_later_deliveries_of_a_batch_find_their_suggestions_analyzed_and_do_nothing():
    suggestions = waiting(BODIES[:4])
    delivered(suggestions[0])
    analyzed_at = dict(Suggestion.objects.values_list("pk", "analyzed_at"))
    for suggestion in suggestions[1:]:
        delivered(suggestion)
    assert dict(Suggestion.objects.values_list("pk", "analyzed_at")) == analyzed_at
    assert set(Suggestion.objects.values_list("attempts", flat=True)) == {1}


def test_a_batch_takes_no_more_than_its_size(settings):
    settings.ANALYSIS_BATCH = 3
    suggestions = waiting(BODIES[:5])
    delivered(suggestions[2])
    analyzed = set(Suggestion.objects.filter(state=State.ANALYZED).values_list("pk", flat=True))
    assert len(analyzed) == 3 and suggestions[2].pk in analyzed


def test_a_text_that_breaks_the_batch_fails_only_its_own_attempt(monkeypatch):
    suggestions = waiting(BODIES[:4])
    broken = suggestions[2]
    display_form = engine.display_form

    def breaks_on_one(text):
        if IDEAS["hours"][2] in text:
            raise ValueError("normaliser crashed")
        return display_form(text)

    monkeypatch.setattr(engine, "display_form", breaks_on_one)
    delivered(suggestions[0])
    states = dict(Suggestion.objects.values_list("pk", "state"))
    assert states.pop(broken.pk) == State.RECEIVED
    assert set(states.values()) == {State.ANALYZED}
    broken.refresh_from_db()
    assert "normaliser crashed" in broken.last_error and broken.attempts == 1
    assert broken.normalized_text == ""


def test_a_suggestion_whose_analysis_failed_before_waits_for_its_own_delivery():
    failed_before = SuggestionFactory(
        body=BODIES[5], last_error="ValueError: normaliser crashed", attempts=1, created_at=timezone.now()
    )
    suggestions = waiting(BODIES[:2])
    delivered(suggestions[0])
    failed_before.refresh_from_db()
    assert failed_before.state == State.RECEIVED and failed_before.attempts == 1


def test_a_claim_lost_while_the_batch_was_analyzed_writes_nothing_of_the_batch_for_it(monkeypatch):
    suggestions = waiting(BODIES[:4])
    lost = suggestions[1]
    analyze_batch = Engine.analyze_batch

    def sweeper_meanwhile(self, items, **kwargs):
        # The sweeper hands one of the batch to another delivery while the engine works.
        Suggestion.objects.filter(pk=lost.pk).update(state=State.RECEIVED)
        return analyze_batch(self, items, **kwargs)

    monkeypatch.setattr(Engine, "analyze_batch", sweeper_meanwhile)
    writes = []
    monkeypatch.setattr(pipeline, "_write_forms", lambda *args: writes.append(args) or None)
    delivered(suggestions[0])
    assert writes == []  # the batch wrote nothing; each still claimed was analyzed alone
    lost.refresh_from_db()
    assert lost.state == State.RECEIVED and lost.normalized_text == ""
    others = Suggestion.objects.exclude(pk=lost.pk)
    assert set(others.values_list("state", flat=True)) == {State.ANALYZED}


def test_lists_longer_than_one_statement_are_written_whole(monkeypatch):
    monkeypatch.setattr(pipeline, "INSERT_ROWS", 3)
    a, b, c = waiting(BODIES[:3])
    pipeline._create_lists({a.pk: [(b.pk, 0.5), (c.pk, 0.4)], b.pk: [(a.pk, 0.5), (c.pk, 0.3)], c.pk: []})
    written = set(SimilarSuggestion.objects.values_list("suggestion_id", "other_id", "rank"))
    assert written == {(a.pk, b.pk, 0), (a.pk, c.pk, 1), (b.pk, a.pk, 0), (b.pk, c.pk, 1)}

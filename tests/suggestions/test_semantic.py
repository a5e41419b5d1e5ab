"""The semantic tier: an e5 vector per analyzed suggestion, made on its own queue with the real model, and the
similar suggestions re-ranked with it."""

from datetime import timedelta

import numpy as np
import pytest
from django.test import TestCase
from django.utils import timezone

from portal.celery import app as celery_app
from suggestions import pipeline, semantic
from suggestions.choices import State
from suggestions.models import SimilarSuggestion, SuggestionEmbedding
from suggestions.tasks import embed_suggestion, sweep_missing_embeddings
from tests.factories import SuggestionFactory
from tests.suggestions.ideas import HOURS, IDEAS, analyzed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("e5_model")]


def similar_ids(suggestion) -> list[int]:
    return list(SimilarSuggestion.objects.filter(suggestion=suggestion).values_list("other_id", flat=True))


def embed(suggestion) -> SuggestionEmbedding:
    with TestCase.captureOnCommitCallbacks(execute=True):
        embed_suggestion(suggestion.pk)
    return SuggestionEmbedding.objects.get(suggestion=suggestion)


def test_the_vector_is_made_after_the_analysis_and_a_second_delivery_does_nothing(eager_tasks):
    suggestion = analyzed(IDEAS["masks"][0])
    embedding = SuggestionEmbedding.objects.get(suggestion=suggestion)
    assert embedding.state == SuggestionEmbedding.State.STORED
    assert embedding.attempts == 1
    vector = semantic.vector_from_bytes(embedding.vector)
    assert vector.shape == (384,)
    assert abs(float(np.linalg.norm(vector)) - 1) < 0.01

    again = embed(suggestion)
    assert again.attempts == 1
    assert again.stored_at == embedding.stored_at


def test_a_suggestion_not_analyzed_gets_no_vector():
    suggestion = SuggestionFactory(state=State.RECEIVED)
    embed_suggestion(suggestion.pk)
    assert not SuggestionEmbedding.objects.filter(suggestion=suggestion).exists()


def test_a_failing_vector_leaves_the_suggestion_analyzed_with_its_lexical_list(monkeypatch):
    for body in IDEAS["masks"][1:] + IDEAS["hours"]:
        analyzed(body)
    suggestion = analyzed(IDEAS["masks"][0])
    lexical = similar_ids(suggestion)

    def broken(display):
        raise RuntimeError("e5 crashed")

    monkeypatch.setattr(semantic, "embed", broken)
    embedding = embed(suggestion)
    suggestion.refresh_from_db()
    assert suggestion.state == State.ANALYZED
    assert suggestion.last_error == ""
    assert similar_ids(suggestion) == lexical
    assert embedding.state == SuggestionEmbedding.State.PENDING
    assert "e5 crashed" in embedding.last_error


def test_a_vector_that_always_fails_is_given_up_after_the_last_attempt(monkeypatch, settings):
    suggestion = analyzed(IDEAS["masks"][0])
    monkeypatch.setattr(semantic, "embed", lambda display: 1 / 0)
    for _ in range(settings.EMBEDDING_MAX_ATTEMPTS + 2):
        embed_suggestion(suggestion.pk)
    embedding = SuggestionEmbedding.objects.get(suggestion=suggestion)
    assert embedding.state == SuggestionEmbedding.State.FAILED
    assert embedding.attempts == settings.EMBEDDING_MAX_ATTEMPTS
    suggestion.refresh_from_db()
    assert suggestion.state == State.ANALYZED


def test_the_sweeper_enqueues_a_suggestion_analyzed_but_never_embedded(settings):
    suggestion = analyzed(IDEAS["masks"][0])  # not eager: the message went to a broker nobody reads
    assert SuggestionEmbedding.objects.get(suggestion=suggestion).state == SuggestionEmbedding.State.QUEUED
    assert sweep_missing_embeddings() == {"embeddings_failed": 0, "embeddings_requeued": 0}  # still queued

    # As if it had been analyzed before the semantic tier existed.
    SuggestionEmbedding.objects.filter(suggestion=suggestion).delete()
    stale = timezone.now() - timedelta(seconds=settings.ANALYSIS_STUCK_AFTER_SECONDS + 5)
    type(suggestion).objects.filter(pk=suggestion.pk).update(analyzed_at=stale)
    celery_app.conf.task_always_eager = True
    try:
        assert sweep_missing_embeddings() == {"embeddings_failed": 0, "embeddings_requeued": 1}
    finally:
        celery_app.conf.task_always_eager = False
    assert SuggestionEmbedding.objects.get(suggestion=suggestion).state == SuggestionEmbedding.State.STORED


def test_the_sweeper_takes_back_a_vector_whose_worker_died(eager_tasks, settings):
    suggestion = analyzed(IDEAS["masks"][0])
    stale = timezone.now() - timedelta(seconds=settings.ANALYSIS_STUCK_AFTER_SECONDS + 5)
    SuggestionEmbedding.objects.filter(suggestion=suggestion).update(
        state=SuggestionEmbedding.State.EMBEDDING, vector=None, stored_at=None, state_changed_at=stale
    )
    assert sweep_missing_embeddings()["embeddings_requeued"] == 1
    embedding = SuggestionEmbedding.objects.get(suggestion=suggestion)
    assert embedding.state == SuggestionEmbedding.State.STORED
    assert embedding.attempts == 2


# The idea of HOURS (keep the polling stations open until midnight) in words it does not use.
UNWORDED_HOURS = "بهتر است صندوق‌ها تا پاسی از شب باز بمانند تا کسانی که روزها کار می‌کنند هم برسند."


def test_the_semantic_tier_lists_a_paraphrase_the_words_alone_did_not(eager_tasks):
    original = analyzed(HOURS)
    for bodies in IDEAS.values():
        for body in bodies[1:]:
            analyzed(body)
    celery_app.conf.task_always_eager = False  # analyze it alone first: the lexical list
    paraphrase = analyzed(UNWORDED_HOURS)
    # In a large collection the original may sit in another theme, which the lexical tier never searches.
    SimilarSuggestion.objects.filter(suggestion=paraphrase, other=original).delete()

    embedding = embed(paraphrase)
    assert embedding.state == SuggestionEmbedding.State.STORED
    listed = similar_ids(paraphrase)
    assert original.pk in listed
    assert len(listed) == pipeline.SIMILAR_K
    assert paraphrase.pk not in listed


def test_the_semantic_list_keeps_out_the_suggestion_and_its_own_copies(eager_tasks):
    for bodies in IDEAS.values():
        for body in bodies:
            analyzed(body)
    first = analyzed(IDEAS["masks"][1])
    copy = analyzed(IDEAS["masks"][1])
    listed = similar_ids(copy)
    assert SuggestionEmbedding.objects.get(suggestion=copy).state == SuggestionEmbedding.State.STORED
    assert copy.pk not in listed and first.pk not in listed
    assert len(listed) == pipeline.SIMILAR_K


def test_the_vector_matrix_finds_the_nearest_and_leaves_out_what_it_is_told():
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(3000, semantic.DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    matrix = semantic.VectorMatrix(capacity=16)
    matrix.add(list(range(1, 3001)), vectors)
    found = matrix.nearest(vectors[41], k=3)
    assert found[0][0] == 42 and found[0][1] == pytest.approx(1.0, abs=1e-5)
    assert 42 not in [pk for pk, _ in matrix.nearest(vectors[41], k=3, exclude={42})]
    assert len(matrix) == 3000


def test_half_precision_storage_moves_no_cosine_by_more_than_a_thousandth():
    a, b = semantic.embed(IDEAS["hours"][0]), semantic.embed(IDEAS["hours"][1])
    stored = (
        semantic.vector_from_bytes(semantic.vector_to_bytes(a)),
        semantic.vector_from_bytes(semantic.vector_to_bytes(b)),
    )
    assert abs(float(a @ b) - float(stored[0] @ stored[1])) < 1e-3


def test_an_earlier_suggestion_lists_a_later_paraphrase_of_it(eager_tasks):
    original = analyzed(IDEAS["hours"][0])
    for idea in ("masks", "ballots"):
        for body in IDEAS[idea]:
            analyzed(body)
    paraphrase = analyzed(IDEAS["hours"][2])
    assert paraphrase.pk in similar_ids(original)


def test_reclustering_weighs_meaning_once_most_suggestions_have_a_vector(eager_tasks):
    for bodies in IDEAS.values():
        for body in bodies:
            analyzed(body)
    pipeline.recluster()
    assert pipeline.current_snapshot().space.mean is not None


def test_reclustering_is_lexical_while_most_suggestions_wait_for_their_vector():
    for bodies in IDEAS.values():
        for body in bodies:
            analyzed(body)  # not eager: no vector is made
    pipeline.recluster()
    assert pipeline.current_snapshot().space.mean is None

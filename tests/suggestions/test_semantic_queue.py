"""The semantic queue with no worker reading it: each missing vector waits there once, a message presumed lost
is sent again and counted, and a vector out of attempts is given up where operators see it."""

import logging
from datetime import timedelta

import pytest
from django.db.models import F

from portal.celery import app as celery_app
from suggestions.choices import State
from suggestions.models import Suggestion, SuggestionEmbedding
from suggestions.services import enqueue_embedding, sweep_missing_embeddings
from tests.conftest import REDIS_URL, _reset_producer_pool, service_reachable
from tests.factories import SuggestionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def semantic_broker(tmp_path):
    """A real broker nobody consumes from: the run's Redis when it has one (CI), else its own broker file."""
    previous = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    if REDIS_URL and service_reachable(REDIS_URL):
        celery_app.conf.broker_url = REDIS_URL
        celery_app.conf.broker_transport_options = {"socket_connect_timeout": 1, "socket_timeout": 2}
    else:
        celery_app.conf.broker_url = f"embedded+sqlite:///{tmp_path / 'broker.sqlite3'}"
        celery_app.conf.broker_transport_options = {"connect_args": {"timeout": 30}}
    _reset_producer_pool()
    purge_semantic_queue()
    yield
    purge_semantic_queue()
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = previous
    _reset_producer_pool()


def purge_semantic_queue():
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("semantic")


def semantic_queue_length(client) -> int | None:
    return client.get("/healthz").json()["semantic_queue"]["length"]


def analyzed_long_ago(count: int) -> list[Suggestion]:
    """Suggestions analyzed before the semantic tier existed: no vector, no message."""
    made = [SuggestionFactory(state=State.ANALYZED) for _ in range(count)]
    Suggestion.objects.filter(pk__in=[s.pk for s in made]).update(analyzed_at=F("created_at") - timedelta(days=1))
    return made


def let_time_pass(seconds: int):
    """Move every clock the sweeper reads back, as if that much time had passed with no worker."""
    shift = timedelta(seconds=seconds)
    Suggestion.objects.filter(analyzed_at__isnull=False).update(analyzed_at=F("analyzed_at") - shift)
    SuggestionEmbedding.objects.update(state_changed_at=F("state_changed_at") - shift)


def embedding(suggestion) -> SuggestionEmbedding:
    return SuggestionEmbedding.objects.get(suggestion=suggestion)


def test_without_a_semantic_worker_each_missing_vector_waits_in_the_queue_once(semantic_broker, settings, client):
    suggestions = analyzed_long_ago(4)
    # Seventeen minutes of a sweep every two minutes, as when 7,786 messages piled up.
    for _ in range(9):
        sweep_missing_embeddings()
        let_time_pass(settings.ANALYSIS_STUCK_AFTER_SECONDS)
    assert semantic_queue_length(client) == len(suggestions)
    for suggestion in suggestions:
        assert embedding(suggestion).state == SuggestionEmbedding.State.QUEUED
        assert embedding(suggestion).attempts == 1


def test_a_message_waiting_past_the_requeue_limit_is_sent_again_and_counted(semantic_broker, settings, client):
    [suggestion] = analyzed_long_ago(1)
    sweep_missing_embeddings()
    let_time_pass(settings.EMBEDDING_REQUEUE_AFTER_SECONDS + 1)
    assert sweep_missing_embeddings()["embeddings_requeued"] == 1
    assert embedding(suggestion).attempts == 2
    assert embedding(suggestion).state == SuggestionEmbedding.State.QUEUED
    assert semantic_queue_length(client) == 2


def test_a_vector_no_worker_takes_is_given_up_after_the_last_attempt_once_and_visibly(
    semantic_broker, settings, client, caplog
):
    settings.EMBEDDING_MAX_ATTEMPTS = 3
    [suggestion] = analyzed_long_ago(1)
    for attempt in range(1, settings.EMBEDDING_MAX_ATTEMPTS + 1):
        sweep_missing_embeddings()
        assert embedding(suggestion).attempts == attempt
        let_time_pass(settings.EMBEDDING_REQUEUE_AFTER_SECONDS + 1)
    with caplog.at_level(logging.WARNING, logger="suggestions.services"):
        assert sweep_missing_embeddings() == {"embeddings_failed": 1, "embeddings_requeued": 0}
        for _ in range(5):
            let_time_pass(settings.EMBEDDING_REQUEUE_AFTER_SECONDS + 1)
            assert sweep_missing_embeddings() == {"embeddings_failed": 0, "embeddings_requeued": 0}
    given_up = [record for record in caplog.records if "Gave up the vectors" in record.getMessage()]
    assert len(given_up) == 1
    assert given_up[0].levelno == logging.WARNING
    assert embedding(suggestion).state == SuggestionEmbedding.State.FAILED
    assert embedding(suggestion).attempts == settings.EMBEDDING_MAX_ATTEMPTS
    suggestion.refresh_from_db()
    assert suggestion.state == State.ANALYZED  # its lexical analysis stands
    health = client.get("/healthz").json()
    assert health["embeddings_given_up"] == 1
    assert health["semantic_queue"]["length"] == settings.EMBEDDING_MAX_ATTEMPTS  # bounded, however long it waits


def test_the_vector_of_a_new_analysis_is_sent_once_however_often_it_is_asked_for(semantic_broker, client):
    [suggestion] = analyzed_long_ago(1)
    assert enqueue_embedding(suggestion.pk) is True
    assert enqueue_embedding(suggestion.pk) is False
    assert sweep_missing_embeddings()["embeddings_requeued"] == 0
    assert semantic_queue_length(client) == 1


def test_a_broker_that_refuses_the_message_leaves_the_vector_pending_and_uncounted(dead_broker, settings):
    [suggestion] = analyzed_long_ago(1)
    assert sweep_missing_embeddings()["embeddings_requeued"] == 0
    assert embedding(suggestion).state == SuggestionEmbedding.State.PENDING
    assert embedding(suggestion).attempts == 0


def test_healthz_reports_an_empty_semantic_queue_as_zero(semantic_broker, client):
    assert client.get("/healthz").json()["semantic_queue"] == {"length": 0}


def test_healthz_gives_no_semantic_queue_length_and_says_why_when_the_broker_is_down(dead_broker, client):
    queue = client.get("/healthz").json()["semantic_queue"]
    assert queue["length"] is None
    assert "Error" in queue["unknown_because"]

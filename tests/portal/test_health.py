import pytest
from django.db import OperationalError
from django.test import RequestFactory
from django.utils import timezone

from portal.middleware import DatabaseUnavailableMiddleware
from portal.models import WorkerHeartbeat
from portal.tasks import record_heartbeat
from suggestions.choices import State
from tests.factories import SuggestionFactory

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_broker_heartbeat_and_backlog(client):
    SuggestionFactory(created_at=timezone.now() - timezone.timedelta(minutes=5))
    record_heartbeat()
    body = client.get("/healthz").json()
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["worker"] == "ok"
    assert body["oldest_unprocessed_age_seconds"] >= 300


def test_healthz_counts_failed_suggestions(client):
    SuggestionFactory(state=State.FAILED)
    assert client.get("/healthz").json()["failed_suggestions"] == 1


def test_healthz_says_the_worker_is_stale_without_a_recent_heartbeat(client):
    WorkerHeartbeat.objects.create(hostname="old", seen_at=timezone.now() - timezone.timedelta(hours=1))
    assert client.get("/healthz").json()["worker"] == "stale"


def test_healthz_answers_503_when_the_broker_is_down(client, dead_broker):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "error"


def test_a_database_that_cannot_be_reached_gives_a_persian_503():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = RequestFactory().post("/suggest/")
    response = middleware.process_exception(request, OperationalError("could not connect to server"))
    assert response.status_code == 503
    assert "ثبت <strong>نشد</strong>" in response.content.decode()


def test_other_errors_are_left_to_django():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("bug")) is None


def test_a_page_read_while_the_database_is_unreachable_does_not_speak_of_a_lost_suggestion():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = RequestFactory().get("/review/")
    response = middleware.process_exception(request, OperationalError("could not connect to server"))
    page = response.content.decode()
    assert response.status_code == 503
    assert "پیشنهاد شما" not in page and "موقتاً در دسترس نیست" in page


def test_healthz_tries_a_dead_broker_once_not_once_per_question(client, dead_broker, monkeypatch):
    from portal.celery import app as celery_app

    attempts = []
    for name in ("connection_for_read", "connection_for_write"):
        opened = getattr(celery_app, name)
        monkeypatch.setattr(celery_app, name, lambda *a, _opened=opened, **k: attempts.append(1) or _opened(*a, **k))
    body = client.get("/healthz").json()
    assert body["broker"] == "error" and body["semantic_queue"]["length"] is None
    assert len(attempts) == 1

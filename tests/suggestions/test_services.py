import uuid

import pytest
from django.db import DatabaseError

from suggestions.choices import State
from suggestions.models import Contact, Suggestion, Topic
from suggestions.services import submit_suggestion

pytestmark = pytest.mark.django_db


def submit(**overrides):
    fields = {
        "role": "citizen",
        "province": "tehran",
        "topic": overrides.pop("topic", None) or Topic.objects.get(slug="observation"),
        "title": "پخش زندهٔ شمارش آرا",
        "body": "شمارش آرا در همهٔ شعبه‌ها به صورت زنده پخش شود تا اعتماد عمومی بیشتر شود.",
    }
    fields.update(overrides)
    return submit_suggestion(**fields)


def test_a_submission_without_contact_details_stores_no_contact_row():
    suggestion = submit()
    assert not Contact.objects.filter(suggestion=suggestion).exists()


def test_contact_details_are_stored_apart_with_a_purge_date(settings):
    settings.CONTACT_RETENTION_DAYS = 30
    suggestion = submit(email="reza@example.ir", consent=True)
    contact = Contact.objects.get(suggestion=suggestion)
    assert contact.email == "reza@example.ir"
    assert (contact.purge_after - suggestion.created_at.date()).days == 30


def test_the_same_idempotency_key_twice_makes_one_suggestion():
    key = uuid.uuid4()
    first = submit(idempotency_key=key)
    second = submit(idempotency_key=key)
    assert first.pk == second.pk
    assert Suggestion.objects.count() == 1


def test_a_failure_while_storing_contact_details_stores_no_suggestion(monkeypatch):
    def disk_full(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Contact, "save", disk_full)
    with pytest.raises(DatabaseError):
        submit(email="a@example.ir", consent=True)
    assert Suggestion.objects.count() == 0


def test_a_submission_is_analyzed_once_the_transaction_commits(django_capture_on_commit_callbacks, eager_tasks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        suggestion = submit(title="پخش زنده شمارش آراء در شعبه ها")
        assert Suggestion.objects.get(pk=suggestion.pk).state == State.RECEIVED
    suggestion.refresh_from_db()
    assert callbacks, "the analysis is enqueued only once the transaction commits"
    assert suggestion.state == State.ANALYZED
    assert suggestion.fingerprint and suggestion.normalized_text


def test_a_broker_that_is_down_still_gives_a_receipt(django_capture_on_commit_callbacks, dead_broker):
    with django_capture_on_commit_callbacks(execute=True):
        suggestion = submit()
    suggestion.refresh_from_db()
    assert suggestion.tracking_code
    assert suggestion.state == State.RECEIVED


@pytest.mark.django_db(transaction=True)
def test_a_double_click_outside_any_transaction_stores_one_suggestion(seeded_topics, dead_broker):
    # As in a web request: no surrounding transaction, so the refused second insert must not poison one.
    key = uuid.uuid4()
    first, second = submit(idempotency_key=key), submit(idempotency_key=key)
    assert first.pk == second.pk
    assert Suggestion.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_submission_without_contact_details_is_one_insert_without_a_savepoint(seeded_topics, dead_broker):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    topic = Topic.objects.get(slug="observation")
    with CaptureQueriesContext(connection) as captured:
        submit(topic=topic)
    statements = [query["sql"].split()[0].upper() for query in captured]
    assert statements[0] == "INSERT", captured.captured_queries
    assert "SAVEPOINT" not in statements

"""The audit list at /review/audit/: filters, pages and a CSV export without personal data."""

import csv
import io

import pytest
from django.test import Client
from django.utils import timezone

from common.persian import persian_digits
from review.audit import record_action
from tests.factories import AnalyzedSuggestionFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def test_the_audit_log_lists_actions_newest_first(editor_client, reviewer, theme):
    suggestion = AnalyzedSuggestionFactory()
    record_action(actor=reviewer, action="claim", target=suggestion)
    record_action(
        actor=reviewer, action="accept", target=suggestion, before={"status": "pending"}, after={"status": "accepted"}
    )
    response = editor_client.get("/review/audit/")
    entries = response.context["entries"]
    assert [e.action for e in entries] == ["accept", "claim"]
    page = response.content.decode()
    assert "پذیرش" in page and "برداشتن برای بررسی" in page and persian_digits(f"پیشنهاد {suggestion.pk}") in page


def test_the_audit_log_filters_by_actor_action_object_and_jalali_dates(editor_client, reviewer, editor):
    first, second = AnalyzedSuggestionFactory(), AnalyzedSuggestionFactory()
    record_action(actor=reviewer, action="accept", target=first)
    record_action(actor=editor, action="reject", target=second)
    assert [
        e.actor_name for e in editor_client.get("/review/audit/", {"actor": "reviewer-persona"}).context["entries"]
    ] == ["reviewer-persona"]
    assert [e.action for e in editor_client.get("/review/audit/", {"action": "reject"}).context["entries"]] == [
        "reject"
    ]
    by_object = editor_client.get("/review/audit/", {"object_id": str(first.pk)}).context["entries"]
    assert [e.object_id for e in by_object] == [str(first.pk)]
    import jdatetime

    today = jdatetime.date.fromgregorian(date=timezone.localdate())
    tomorrow = today + jdatetime.timedelta(days=1)
    assert len(editor_client.get("/review/audit/", {"date_from": today.strftime("%Y/%m/%d")}).context["entries"]) == 2
    assert (
        len(editor_client.get("/review/audit/", {"date_from": tomorrow.strftime("%Y/%m/%d")}).context["entries"]) == 0
    )


def test_a_bad_audit_filter_gets_a_persian_error(editor_client):
    response = editor_client.get("/review/audit/", {"object_id": "abc"})
    assert response.status_code == 400 and "فقط رقم" in response.content.decode()


def test_the_csv_export_has_utc_times_and_no_personal_data(reviewer, administrator, editor):
    contact = ContactFactory(email="canary-9913@example.ir", phone="09129913000", name="مریم احمدی")
    suggestion = contact.suggestion
    suggestion.state = "analyzed"
    suggestion.save()
    as_reviewer, as_administrator, as_editor = Client(), Client(), Client()
    as_reviewer.force_login(reviewer)
    as_administrator.force_login(administrator)
    as_editor.force_login(editor)
    as_reviewer.post(
        f"/review/{suggestion.pk}/notes/", {"private_notes": "تماس با 09129913000 گرفته شد", "tags": "فوری"}
    )
    as_reviewer.post(f"/review/{suggestion.pk}/reject/", {"version": 0, "reason": "spam"})
    as_administrator.get(f"/review/{suggestion.pk}/contact/")
    response = as_editor.get("/review/audit/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["at_utc", "actor", "action", "object_type", "object_id", "before", "after"]
    assert {row[2] for row in rows[1:]} == {"notes", "reject", "view_contact"}
    assert all(row[0].endswith("+00:00") for row in rows[1:])
    for secret in ("canary-9913", "9913000", "مریم", "تماس با"):
        assert secret not in text


def test_the_csv_export_follows_the_filters(editor_client, reviewer):
    suggestion = AnalyzedSuggestionFactory()
    record_action(actor=reviewer, action="accept", target=suggestion)
    record_action(actor=reviewer, action="claim", target=suggestion)
    text = b"".join(editor_client.get("/review/audit/export.csv", {"action": "claim"}).streaming_content).decode()
    assert text.count("\n") == 2 and ",claim," in text

"""The audit log, which review owns, names report actions and report objects because the reports app
registers them when it starts, not because importing its models changes review's tables."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from common.persian import persian_digits
from reports.models import ReportStatus
from review import audit
from review.models import ACTION_LABELS, AuditEntry
from tests.reports.data import draft_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(editor):
    client = Client()
    client.force_login(editor)
    return client


def test_report_actions_are_named_through_the_audit_registry_not_added_to_reviews_own_table():
    assert audit.action_labels()["report_publish"] == "انتشار گزارش"
    assert audit.action_labels()["accept"] == ACTION_LABELS["accept"] == "پذیرش"
    assert "report_publish" not in ACTION_LABELS


def test_the_audit_filter_offers_report_actions_by_their_persian_names(editor_client):
    page = editor_client.get("/review/audit/").content.decode()
    assert '<option value="report_publish">انتشار گزارش</option>' in page


def test_an_action_already_named_otherwise_cannot_be_named_again():
    with pytest.raises(ImproperlyConfigured, match="report_publish"):
        audit.register_action_labels({"report_publish": "چیز دیگری"})
    assert audit.action_labels()["report_publish"] == "انتشار گزارش"
    audit.register_action_labels({"report_publish": "انتشار گزارش"})  # the same name again is harmless


def test_a_report_version_audited_while_reports_were_reviews_keeps_its_name_status_and_history(
    editor_client, editor, theme
):
    version = draft_report(author=editor, themes=[theme], title="گزارش پیش از جابه‌جایی")
    # A row written before the models moved, when the version's type was review's.
    AuditEntry.objects.create(
        actor=editor,
        actor_name=editor.username,
        action="report_submit",
        object_type="review.reportversion",
        object_id=str(version.pk),
        before={"status": ReportStatus.DRAFT},
        after={"status": ReportStatus.SUBMITTED},
    )
    page = editor_client.get("/review/audit/").content.decode()
    table = page[page.index("<table") : page.index("</table>")]
    assert table.count(f"گزارش «گزارش پیش از جابه‌جایی» نسخهٔ {persian_digits(version.number)}") == 2
    assert "(پاک‌شده)" not in table
    assert "در انتظار تأیید" in table  # the report status, in Persian
    history = AuditEntry.objects.for_object(version)
    assert sorted(history.values_list("action", flat=True)) == ["report_create", "report_submit"]

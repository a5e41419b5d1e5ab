"""The audit page as a person reads it: Persian field names and values, Jalali Tehran times, objects by name;
and a tab shown only to those it opens for."""

import pytest
from django.test import Client

from common.persian import jalali_datetime, persian_digits
from review import queries, services
from review.audit import record_action
from tests.factories import AnalyzedSuggestionFactory, ThemeMembershipFactory
from tests.reports.data import draft_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(editor):
    client = Client()
    client.force_login(editor)
    return client


def _audit_table(client) -> str:
    page = client.get("/review/audit/").content.decode()
    return page[page.index("<table") : page.index("</table>")]


def test_a_decision_shows_before_and_after_as_persian_fields_and_values(editor_client, reviewer, theme):
    suggestion = AnalyzedSuggestionFactory()
    ThemeMembershipFactory(suggestion=suggestion, theme=theme)
    services.accept_suggestion(suggestion=suggestion, reviewer=reviewer, theme=theme, version=None)
    table = _audit_table(editor_client)
    assert "وضعیت بررسی" in table and "در انتظار بررسی" in table and "پذیرفته" in table
    assert f"«{theme.label}»" in table
    for raw in ("{'", "'status'", "accepted", "None", "[]"):
        assert raw not in table


def test_a_claim_shows_its_end_as_a_jalali_tehran_time(editor_client, reviewer):
    suggestion = AnalyzedSuggestionFactory()
    services.claim_next_suggestion(reviewer=reviewer, queue=queries.queue())
    review = suggestion.review
    review.refresh_from_db()
    table = _audit_table(editor_client)
    assert jalali_datetime(review.claim_expires_at) in table
    assert review.claim_expires_at.isoformat()[:10] not in table


def test_a_report_version_is_named_by_its_title_and_number(editor_client, editor, theme):
    version = draft_report(author=editor, themes=[theme], title="گزارش پاییز")
    table = _audit_table(editor_client)
    assert f"گزارش «گزارش پاییز» نسخهٔ {persian_digits(version.number)}" in table
    assert "review.reportversion" not in table


def test_tag_notes_show_the_tags_and_the_length_of_the_note_not_its_text(editor_client, reviewer):
    suggestion = AnalyzedSuggestionFactory()
    services.save_private_notes(suggestion=suggestion, reviewer=reviewer, notes="یادداشت محرمانه", tags=["فوری"])
    table = _audit_table(editor_client)
    assert "برچسب‌ها" in table and "فوری" in table
    assert "یادداشت محرمانه" not in table
    assert persian_digits(len("یادداشت محرمانه")) in table


def test_a_reviewer_opens_the_audit_page_and_sees_actions_on_suggestions_but_not_the_export(
    reviewer, editor, second_reviewer, theme
):
    suggestion = AnalyzedSuggestionFactory()
    record_action(actor=second_reviewer, action="claim", target=suggestion)
    draft_report(author=editor, themes=[theme], title="گزارش محرمانهٔ ویراستار")
    client = Client()
    client.force_login(reviewer)
    queue_page = client.get("/review/").content.decode()
    assert 'href="/review/audit/"' in queue_page
    response = client.get("/review/audit/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"/review/{suggestion.pk}/" in page
    assert "گزارش محرمانهٔ ویراستار" not in page
    assert "export.csv" not in page
    assert client.get("/review/audit/export.csv").status_code == 403


def test_an_outsider_sees_no_audit_tab_and_is_refused_the_page(outsider):
    client = Client()
    client.force_login(outsider)
    assert client.get("/review/audit/").status_code == 403

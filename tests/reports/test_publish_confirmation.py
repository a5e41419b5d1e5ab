"""Publishing cannot be undone, so it takes two steps: a page that says what will become public, then a POST
that carries the editor's confirmation. A POST without it publishes nothing."""

import pytest
from django.urls import reverse

from reports import services
from reports.models import ReportStatus, ReportVersion
from review.models import AuditEntry
from tests.factories import UserFactory
from tests.reports.data import draft_report, quote_and_confirm, theme_with_accepted, write_summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(reviewer, editor):
    theme, accepted = theme_with_accepted("ساعت رأی‌گیری")
    write_summary(theme, by=reviewer)
    quote_and_confirm(theme, accepted[0], by=reviewer)
    version = draft_report(author=reviewer, themes=[theme], title="گزارش آزمایشی انتشار")
    version = services.submit_report(version=version, submitter=reviewer)
    return services.approve_report(version=version, editor=editor)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def status_of(version) -> str:
    return ReportVersion.objects.get(pk=version.pk).status


def test_a_publish_post_without_the_confirmation_publishes_nothing_and_says_why_in_persian(editor_client, approved):
    response = editor_client.post(reverse("review_reports:publish", args=[approved.pk]), {})
    assert response.status_code == 400
    assert "برای انتشار، تأیید کنید" in response.content.decode()
    assert status_of(approved) == ReportStatus.APPROVED
    assert not AuditEntry.objects.for_object(approved).filter(action="report_publish").exists()


def test_the_confirmation_page_says_what_becomes_public_and_that_it_cannot_be_undone(editor_client, approved):
    response = editor_client.get(reverse("review_reports:publish", args=[approved.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "گزارش آزمایشی انتشار" in page and "ساعت رأی‌گیری" in page
    assert "برگشت‌پذیر نیست" in page
    assert 'name="confirm"' in page and f'action="{reverse("review_reports:publish", args=[approved.pk])}"' in page
    assert "no-store" in response["Cache-Control"]
    assert status_of(approved) == ReportStatus.APPROVED


def test_a_publish_post_with_the_confirmation_publishes_the_report(editor_client, approved):
    response = editor_client.post(reverse("review_reports:publish", args=[approved.pk]), {"confirm": "on"})
    assert response.status_code == 302
    assert status_of(approved) == ReportStatus.PUBLISHED


def test_the_version_page_leads_to_the_confirmation_page_rather_than_publishing_at_once(editor_client, approved):
    page = editor_client.get(reverse("review_reports:version", args=[approved.pk])).content.decode()
    url = reverse("review_reports:publish", args=[approved.pk])
    assert f'href="{url}"' in page
    assert f'action="{url}"' not in page


def test_a_reviewer_cannot_open_the_confirmation_page(client, reviewer, approved):
    client.force_login(reviewer)
    assert client.get(reverse("review_reports:publish", args=[approved.pk])).status_code == 403


def test_the_confirmation_page_of_a_report_not_yet_approved_offers_nothing_to_confirm(editor_client, reviewer):
    theme, _ = theme_with_accepted()
    write_summary(theme, by=reviewer)
    draft = draft_report(author=reviewer, themes=[theme])
    response = editor_client.get(reverse("review_reports:publish", args=[draft.pk]), follow=True)
    page = response.content.decode()
    assert "فقط گزارش تأییدشده را می‌توان منتشر کرد" in page
    assert 'name="confirm"' not in page


def test_an_editor_who_did_not_approve_may_publish_after_confirming(client, approved):
    other = UserFactory(username="other-editor", groups=["editor"])
    client.force_login(other)
    client.post(reverse("review_reports:publish", args=[approved.pk]), {"confirm": "on"})
    assert status_of(approved) == ReportStatus.PUBLISHED

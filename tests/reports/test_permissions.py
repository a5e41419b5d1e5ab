"""Every staff page of reports for the four personas: anonymous, outsider, reviewer, editor."""

import pytest
from django.urls import reverse

from reports import services
from tests.reports.data import draft_report, theme_with_accepted, write_summary

pytestmark = pytest.mark.django_db

READ = "read"  # reviewers and editors
WRITE = "write"  # reviewers and editors, POST
EDIT = "edit"  # editors only, POST


@pytest.fixture
def staff_urls(reviewer):
    theme, accepted = theme_with_accepted()
    write_summary(theme, by=reviewer)
    quote = services.add_quote(
        theme=theme, suggestion=accepted[0], reviewer=reviewer, excerpt=accepted[0].body, extra_terms=[]
    )
    version = draft_report(author=reviewer, themes=[theme])
    return [
        ("GET", reverse("review_reports:desk"), READ),
        ("GET", reverse("review_reports:create"), READ),
        ("GET", reverse("review_reports:version", args=[version.pk]), READ),
        ("GET", reverse("review_reports:edit", args=[version.pk]), READ),
        ("GET", reverse("review_reports:theme", args=[theme.pk]), READ),
        ("POST", reverse("review_reports:create"), WRITE),
        ("POST", reverse("review_reports:edit", args=[version.pk]), WRITE),
        ("POST", reverse("review_reports:theme", args=[theme.pk]), WRITE),
        ("POST", reverse("review_reports:add_quote", args=[theme.pk]), WRITE),
        ("POST", reverse("review_reports:confirm_quote", args=[quote.pk]), WRITE),
        ("POST", reverse("review_reports:submit", args=[version.pk]), WRITE),
        ("POST", reverse("review_reports:return", args=[version.pk]), WRITE),
        ("POST", reverse("review_reports:correct", args=[version.pk]), WRITE),
        ("POST", reverse("review_reports:remove_quote", args=[quote.pk]), WRITE),
        ("POST", reverse("review_reports:approve", args=[version.pk]), EDIT),
        ("POST", reverse("review_reports:publish", args=[version.pk]), EDIT),
    ]


def call(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, {})


def test_an_anonymous_visitor_is_sent_to_sign_in_from_every_staff_report_url(client, staff_urls):
    for method, url, _ in staff_urls:
        response = call(client, method, url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_an_outsider_is_refused_every_staff_report_url(client, outsider, staff_urls):
    client.force_login(outsider)
    for method, url, _ in staff_urls:
        assert call(client, method, url).status_code == 403, url


def test_a_reviewer_may_write_but_not_approve_or_publish(client, reviewer, staff_urls):
    client.force_login(reviewer)
    for method, url, need in staff_urls:
        status = call(client, method, url).status_code
        if need == EDIT:
            assert status == 403, url
        else:
            assert status in (200, 302, 400), url


def test_an_editor_may_open_every_staff_report_url(client, editor, staff_urls):
    client.force_login(editor)
    for method, url, _ in staff_urls:
        assert call(client, method, url).status_code in (200, 302, 400), url


def test_staff_report_pages_are_never_cached(client, reviewer, staff_urls):
    client.force_login(reviewer)
    for method, url, _ in staff_urls:
        if method == "GET":
            assert "no-store" in client.get(url)["Cache-Control"], url


def test_the_public_never_sees_a_draft(client, reviewer):
    theme, _ = theme_with_accepted()
    version = draft_report(author=reviewer, themes=[theme])
    assert client.get(reverse("reports:latest", args=[version.report_id])).status_code == 404
    for name in ("version", "pdf", "csv", "json"):
        assert client.get(reverse(f"reports:{name}", args=[version.report_id, 1])).status_code == 404, name

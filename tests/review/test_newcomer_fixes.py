"""What a newcomer to the reviewer workspace tripped over: bulk results, counts across processes, tracking codes."""

import pytest
from django.core.cache import cache

from review.models import Review, ReviewStatus
from suggestions.tracking import display_tracking_code
from tests.factories import AnalyzedSuggestionFactory, ThemeMembershipFactory

pytestmark = pytest.mark.django_db


def test_marking_one_ticked_row_reviewed_reports_one_change_and_nothing_untouched(reviewer_client, theme):
    ticked = AnalyzedSuggestionFactory()
    ThemeMembershipFactory(suggestion=ticked, theme=theme)
    AnalyzedSuggestionFactory()
    response = reviewer_client.post(
        "/review/bulk/",
        {"action": "mark_reviewed", "scope": "selected", "ids": [ticked.pk], "filters": "status=pending&sort=newest"},
        follow=True,
    )
    page = response.content.decode()
    assert "۱ پیشنهاد تغییر کرد." in page
    assert "دست نخورد" not in page
    assert Review.objects.get(pk=ticked.pk).status == ReviewStatus.ACCEPTED


def test_marking_two_rows_reviewed_counts_a_decided_one_as_untouched(reviewer_client, theme):
    waiting, decided = AnalyzedSuggestionFactory(), AnalyzedSuggestionFactory()
    ThemeMembershipFactory(suggestion=waiting, theme=theme)
    Review.objects.create(suggestion=decided, status=ReviewStatus.REJECTED, reject_reason="spam", version=1)
    response = reviewer_client.post(
        "/review/bulk/", {"action": "mark_reviewed", "scope": "selected", "ids": [waiting.pk, decided.pk]}, follow=True
    )
    page = response.content.decode()
    assert "۱ پیشنهاد تغییر کرد." in page
    assert "۱ پیشنهاد تصمیم‌گرفته" in page
    assert Review.objects.get(pk=decided.pk).status == ReviewStatus.REJECTED


def _result_count(client, query: str) -> str:
    page = client.get(f"/review/?{query}").content.decode()
    start = page.index('id="result-count"')
    return page[start : page.index("</p>", start)]


def test_the_queue_count_follows_a_decision_made_in_another_process(reviewer_client, reviewer, theme):
    AnalyzedSuggestionFactory()
    second = AnalyzedSuggestionFactory()
    AnalyzedSuggestionFactory()
    assert "۳ پیشنهاد" in _result_count(reviewer_client, "status=pending")
    # Another worker decides one; this worker's own memory of the counts is all it has.
    Review.objects.create(suggestion=second, status=ReviewStatus.REJECTED, reject_reason="spam", version=1)
    assert "۲ پیشنهاد" in _result_count(reviewer_client, "status=pending")
    # A second process with an empty memory says the same.
    cache.clear()
    assert "۲ پیشنهاد" in _result_count(reviewer_client, "status=pending")
    assert "۲ پیشنهاد" in _result_count(reviewer_client, "")


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code,
        lambda code: display_tracking_code(code),
        lambda code: display_tracking_code(code).replace("-", ""),
        lambda code: "-".join(code[i : i + 4] for i in range(0, 16, 4)),
    ],
    ids=["latin", "persian-with-dashes", "persian-without-dashes", "latin-with-dashes"],
)
def test_staff_search_finds_a_suggestion_by_its_tracking_code(reviewer_client, typed):
    wanted = AnalyzedSuggestionFactory(title="پیشنهادی که شهروند تلفنی پیگیری می‌کند")
    AnalyzedSuggestionFactory(title="پیشنهادی دیگر")
    page = reviewer_client.get("/review/", {"q": typed(wanted.tracking_code)}).content.decode()
    assert f"/review/{wanted.pk}/" in page
    assert "پیشنهادی دیگر" not in page


def test_a_tracking_code_finds_its_suggestion_even_after_a_decision(reviewer_client):
    decided = AnalyzedSuggestionFactory(title="پیشنهادی که رد شد")
    Review.objects.create(suggestion=decided, status=ReviewStatus.REJECTED, reject_reason="spam", version=1)
    page = reviewer_client.get("/review/", {"q": display_tracking_code(decided.tracking_code)}).content.decode()
    assert f"/review/{decided.pk}/" in page


def test_the_counts_beside_the_filters_are_recounted_soon_after_a_decision(
    reviewer, theme, eager_tasks, django_capture_on_commit_callbacks
):
    from review import queries, services

    first = AnalyzedSuggestionFactory()
    AnalyzedSuggestionFactory()
    assert queries.counts_for_status(queries.filter_counts(), "open")["status"]["open"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_suggestion(suggestion=first, reviewer=reviewer, theme=theme, version=None)
    counts = queries.counts_for_status(queries.filter_counts(), "open")
    assert (counts["status"]["open"], counts["status"]["accepted"]) == (1, 1)

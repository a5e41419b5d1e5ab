"""The queue at /review/: filters, search over the match form, sorting, pagination, counts, and a fixed
number of queries per page."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from review.models import Review, ReviewStatus
from suggestions.choices import Province, Role
from suggestions.models import DuplicateGroup, GroupKind, Topic
from tests.factories import AnalyzedSuggestionFactory, SuggestionFactory, ThemeMembershipFactory

pytestmark = pytest.mark.django_db


def titles(response):
    return [row.title for row in response.context["page"].rows]


def test_the_queue_shows_every_analyzed_suggestion_and_nothing_unanalyzed(reviewer_client):
    shown = AnalyzedSuggestionFactory(title="پیشنهاد تحلیل‌شده برای صف")
    SuggestionFactory(title="پیشنهاد هنوز تحلیل‌نشده")
    response = reviewer_client.get("/review/")
    assert titles(response) == [shown.title]
    assert "پیشنهاد تحلیل‌شده برای صف" in response.content.decode()


def test_the_queue_lists_the_oldest_first_and_can_sort_newest_first(reviewer_client):
    old = AnalyzedSuggestionFactory(title="پیشنهاد قدیمی‌تر", created_at=timezone.now() - timezone.timedelta(days=3))
    new = AnalyzedSuggestionFactory(title="پیشنهاد تازه‌تر")
    assert titles(reviewer_client.get("/review/")) == [old.title, new.title]
    assert titles(reviewer_client.get("/review/", {"sort": "newest"})) == [new.title, old.title]


def test_the_queue_filters_by_review_status(reviewer_client, reviewer):
    waiting = AnalyzedSuggestionFactory(title="در انتظار")
    rejected = AnalyzedSuggestionFactory(title="رد شده")
    Review.objects.create(suggestion=rejected, status=ReviewStatus.REJECTED, reject_reason="spam")
    assert titles(reviewer_client.get("/review/")) == [waiting.title]
    assert titles(reviewer_client.get("/review/", {"status": "rejected"})) == [rejected.title]
    assert titles(reviewer_client.get("/review/", {"status": "pending"})) == [waiting.title]
    assert set(titles(reviewer_client.get("/review/", {"status": "all"}))) == {waiting.title, rejected.title}


def test_the_queue_filters_by_theme_province_role_and_topic(reviewer_client, theme):
    match = AnalyzedSuggestionFactory(title="مطابق همه", province=Province.FARS, role=Role.LAWYER)
    ThemeMembershipFactory(suggestion=match, theme=theme)
    AnalyzedSuggestionFactory(title="استان دیگر", province=Province.TEHRAN, role=Role.LAWYER)
    AnalyzedSuggestionFactory(
        title="موضوع دیگر", province=Province.FARS, role=Role.LAWYER, topic=Topic.objects.get(slug="other")
    )
    query = {"theme": theme.pk, "province": "fars", "role": "lawyer", "topic": match.topic_id}
    assert titles(reviewer_client.get("/review/", query)) == [match.title]
    assert titles(reviewer_client.get("/review/", {"province": "fars"})) == ["مطابق همه", "موضوع دیگر"]


def test_the_queue_filters_by_a_jalali_date_range_in_persian_digits(reviewer_client):
    inside = AnalyzedSuggestionFactory(title="آذر ۱۴۰۵", created_at=timezone.make_aware(datetime(2026, 11, 26, 10, 0)))
    AnalyzedSuggestionFactory(title="پیش از بازه", created_at=timezone.make_aware(datetime(2026, 11, 1, 10, 0)))
    AnalyzedSuggestionFactory(title="پس از بازه", created_at=timezone.make_aware(datetime(2026, 12, 20, 10, 0)))
    # 1405/09/05 is 26 November 2026.
    response = reviewer_client.get("/review/", {"date_from": "۱۴۰۵/۰۹/۰۵", "date_to": "1405-09-05"})
    assert titles(response) == [inside.title]


def test_a_bad_jalali_date_gets_a_persian_error_and_no_list(reviewer_client):
    AnalyzedSuggestionFactory()
    response = reviewer_client.get("/review/", {"date_from": "۱۴۰۵/۱۳/۴۰"})
    assert response.status_code == 400
    assert "سال/ماه/روز خورشیدی" in response.content.decode()
    assert response.context["page"] is None


def test_the_queue_filters_suggestions_with_duplicates_and_campaign_members(reviewer_client):
    first, second, alone = (
        AnalyzedSuggestionFactory(title="یک"),
        AnalyzedSuggestionFactory(title="دو"),
        AnalyzedSuggestionFactory(title="تنها"),
    )
    group = DuplicateGroup.objects.create(canonical=first, size=2, kind=GroupKind.CAMPAIGN)
    first.duplicate_group = second.duplicate_group = group
    first.save()
    second.save()
    assert titles(reviewer_client.get("/review/", {"has_duplicates": "on"})) == ["یک", "دو"]
    assert titles(reviewer_client.get("/review/", {"campaign": "on"})) == ["یک", "دو"]
    assert alone.title in titles(reviewer_client.get("/review/"))


@pytest.mark.parametrize("query", ["برنامه‌ریزی", "برنامه ریزی", "برنامهريزي", "بَرنامه‌ریزی"])
def test_search_finds_spelling_variants_through_the_match_form(reviewer_client, query):
    found = AnalyzedSuggestionFactory(
        title="برنامه‌ریزی دقیق نوبت‌ها", body="برای هر شعبه برنامه‌ریزی نوبت اینترنتی انجام شود تا صف نباشد."
    )
    AnalyzedSuggestionFactory(title="ماسک رایگان", body="در ورودی همهٔ شعبه‌ها ماسک رایگان به رأی‌دهندگان داده شود.")
    assert titles(reviewer_client.get("/review/", {"q": query})) == [found.title]


def test_search_requires_every_word(reviewer_client):
    AnalyzedSuggestionFactory(title="ماسک رایگان", body="در ورودی همهٔ شعبه‌ها ماسک رایگان داده شود.")
    AnalyzedSuggestionFactory(title="ماسک و دستکش", body="ماسک و دستکش به عوامل اجرایی داده شود.")
    assert titles(reviewer_client.get("/review/", {"q": "ماسک دستکش"})) == ["ماسک و دستکش"]


def test_the_queue_pages_through_many_suggestions(reviewer_client, settings):
    settings.REVIEW_PAGE_SIZE = 5
    made = [
        AnalyzedSuggestionFactory(
            title=f"پیشنهاد شمارهٔ {n:02d}", created_at=timezone.now() - timezone.timedelta(minutes=60 - n)
        )
        for n in range(12)
    ]
    second = reviewer_client.get("/review/", {"page": 2})
    assert titles(second) == [s.title for s in made[5:10]]
    assert "صفحهٔ ۲ از ۳" in second.content.decode()
    assert "۱۲ پیشنهاد" in second.content.decode()
    assert titles(reviewer_client.get("/review/", {"page": 99})) == [s.title for s in made[10:]]


def test_a_count_over_the_limit_says_more_than(reviewer_client, settings):
    settings.REVIEW_COUNT_LIMIT = 3
    settings.REVIEW_PAGE_SIZE = 2
    for _ in range(5):
        AnalyzedSuggestionFactory()
    page = reviewer_client.get("/review/").content.decode()
    assert "بیش از ۳ پیشنهاد" in page


def test_counts_stand_beside_each_filter(reviewer_client, theme):
    ThemeMembershipFactory(suggestion=AnalyzedSuggestionFactory(province=Province.FARS), theme=theme)
    AnalyzedSuggestionFactory(province=Province.FARS)
    AnalyzedSuggestionFactory(province=Province.ILAM, role=Role.JOURNALIST)
    page = reviewer_client.get("/review/").content.decode()
    assert "فارس (۲)" in page
    assert "ایلام (۱)" in page
    assert "روزنامه‌نگار یا خبرنگار (۱)" in page
    assert "ساعت رأی‌گیری (۱)" in page
    assert "در انتظار تصمیم (۳)" in page


@pytest.mark.parametrize(
    "query",
    [{"status": "open"}, {"province": "tehran"}, {"status": "all", "province": "tehran", "q": "ساعت"}],
    ids=["counted from the cache", "one facet", "search and filters"],
)
def test_a_queue_page_costs_the_same_number_of_queries_however_many_rows(
    reviewer_client, django_assert_num_queries, theme, query
):
    def queries_for_page():
        reviewer_client.get("/review/")  # warms the session and the cached counts
        with CaptureQueriesContext(connection) as captured:
            assert reviewer_client.get("/review/", query).status_code == 200
        return len(captured)

    for _ in range(2):
        ThemeMembershipFactory(suggestion=AnalyzedSuggestionFactory(), theme=theme)
    few = queries_for_page()
    for _ in range(20):
        suggestion = AnalyzedSuggestionFactory()
        ThemeMembershipFactory(suggestion=suggestion, theme=theme)
        Review.objects.create(suggestion=suggestion, status=ReviewStatus.PENDING)
    # Session, user, roles, the reviewers to filter by, themes, topics, this reviewer's open assignments, the
    # count, the page, who each row is assigned to and the supporters of the rows' ideas; on PostgreSQL also the
    # transaction's settings and the count's time budget in a savepoint. The count is always read now: a cached
    # one lags behind decisions.
    assert queries_for_page() == few <= 18
    with django_assert_num_queries(few):
        reviewer_client.get("/review/", query)


def test_htmx_gets_the_queue_partial_without_the_page_around_it(reviewer_client):
    AnalyzedSuggestionFactory(title="پیشنهاد در پاسخ htmx")
    response = reviewer_client.get("/review/", HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and "پیشنهاد در پاسخ htmx" in page
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_queue_page_though_htmx_sent_it(reviewer_client):
    # htmx puts what a restore gets in place of the whole page: a partial there would leave no header or menu.
    response = reviewer_client.get("/review/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_a_count_that_runs_out_of_time_still_lets_the_reviewer_page_on(reviewer_client, settings, monkeypatch):
    from review import queries

    settings.REVIEW_PAGE_SIZE = 2
    for _ in range(5):
        AnalyzedSuggestionFactory()
    monkeypatch.setattr(queries, "bounded_count", lambda queryset, limit: None)
    response = reviewer_client.get("/review/", {"q": "ساعت", "province": "tehran"})
    page = response.content.decode()
    assert "دست‌کم ۲ پیشنهاد" in page and 'rel="next"' in page

"""The queue's queries fork on PostgreSQL: the counts beside the filters come from one GROUPING SETS pass, a
count has a time budget set with set_config, and a page runs without parallel workers. These tests hold the
PostgreSQL branches to what the portable ones do; CI runs them, and on SQLite `-ra` says they were skipped."""

from collections import Counter

import pytest
from django.db import connection

from review import queries
from review.models import ReviewStatus
from suggestions.choices import Province, Role
from tests.factories import (
    AnalyzedSuggestionFactory,
    DuplicateGroupFactory,
    ReviewFactory,
    SuggestionFactory,
    ThemeFactory,
    ThemeMembershipFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def show(setting: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {setting}")
        return cursor.fetchone()[0]


def summed(rows) -> Counter:
    counted = Counter()
    for status, facet, value, n in rows:
        counted[status, facet, value] += n
    return counted


@pytest.fixture
def a_mixed_queue():
    """Analyzed suggestions in two provinces and roles, two themes, a near group, a campaign and three review
    statuses; one suggestion still waiting for the analysis, which no count may include."""
    hours, masks = ThemeFactory(), ThemeFactory()
    alone = [AnalyzedSuggestionFactory(province=Province.FARS, role=Role.JOURNALIST) for _ in range(3)]
    near = [AnalyzedSuggestionFactory(body=f"صندوق سیار برای روستاهای {place}") for place in ("دور", "کوهستانی")]
    campaign = [AnalyzedSuggestionFactory(body="کارزار ساعت رأی‌گیری تا نیمه‌شب") for _ in range(5)]
    DuplicateGroupFactory(members=near)
    DuplicateGroupFactory(members=campaign, kind="campaign")
    for suggestion in alone[:2] + near:
        ThemeMembershipFactory(suggestion=suggestion, theme=hours)
    ThemeMembershipFactory(suggestion=campaign[0], theme=masks)
    ReviewFactory(suggestion=alone[0], status=ReviewStatus.ACCEPTED)
    ReviewFactory(suggestion=near[1], status=ReviewStatus.REJECTED)
    ReviewFactory(suggestion=campaign[2])
    SuggestionFactory()  # received, not analyzed


def test_the_grouping_sets_counts_equal_the_portable_counts(a_mixed_queue):
    grouping_sets = summed(queries._facet_rows_grouping_sets())
    assert grouping_sets == summed(queries._facet_rows_portable())
    assert grouping_sets[ReviewStatus.PENDING, "campaign", 1] == 5
    assert sum(n for (_, facet, _), n in grouping_sets.items() if facet == "province") == 10


def test_the_filter_counts_on_postgresql_count_each_status_once(a_mixed_queue):
    by_status = queries.compute_filter_counts()["by_status"]
    assert {status: facets["status"][status] for status, facets in by_status.items()} == {
        ReviewStatus.PENDING: 8,
        ReviewStatus.ACCEPTED: 1,
        ReviewStatus.REJECTED: 1,
    }


def test_a_bounded_count_counts_and_gives_the_transaction_its_timeout_back(a_mixed_queue, settings):
    settings.REVIEW_COUNT_BUDGET_MS = 5000
    before = show("statement_timeout")
    assert queries.bounded_count(queries.queue(), limit=100) == 10
    assert queries.bounded_count(queries.queue(), limit=3) == 4  # one past the limit: «more than»
    assert show("statement_timeout") == before


@pytest.mark.django_db(transaction=True)  # the setting lasts to the end of the transaction, not a savepoint's
def test_a_queue_page_runs_without_parallel_workers_and_only_for_its_own_transaction():
    before = show("max_parallel_workers_per_gather")
    with queries.page_queries():
        assert show("max_parallel_workers_per_gather") == "0"
    assert show("max_parallel_workers_per_gather") == before != "0"

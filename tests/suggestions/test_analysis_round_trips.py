"""How many database round trips analyzing one suggestion on a worker takes: a fixed few, however large the theme
it joins and however many lists it is offered to."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from suggestions.models import Suggestion, Theme, ThemeMembership
from suggestions.tasks import analyze_suggestion
from tests.factories import AnalyzedSuggestionFactory, SuggestionFactory
from tests.suggestions.ideas import IDEAS, clustered_corpus

pytestmark = pytest.mark.django_db

# Claim, read the row, near-duplicates, theme, pool, similar list, placement, state, offers: a fixed budget.
MOST_QUERIES = 30
NEWCOMER = "ماسک و دستکش رایگان در ورودی شعبه‌ها به مردم داده شود تا بیماری کرونا منتقل نشود."


def grow_theme_of_masks_to(members: int) -> Theme:
    """The masks theme with `members` members, the corpus's own among them, as a long-lived theme holds."""
    theme = Suggestion.objects.get(body=IDEAS["masks"][0]).theme_membership.theme
    have = ThemeMembership.objects.filter(theme=theme).count()
    extra = AnalyzedSuggestionFactory.create_batch(max(0, members - have))
    now = timezone.now()
    ThemeMembership.objects.bulk_create(
        ThemeMembership(suggestion=s, theme=theme, score=0.5, source=ThemeMembership.Source.MACHINE, assigned_at=now)
        for s in extra
    )
    Theme.objects.filter(pk=theme.pk).update(size=members)
    return theme


def queries_to_analyze_a_newcomer(django_capture_on_commit_callbacks) -> tuple[int, list[str]]:
    suggestion = SuggestionFactory(title="پیشنهاد برای انتخابات", body=NEWCOMER)
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        analyze_suggestion(suggestion.pk)
    return len(queries), [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize("members", [5, 500])
def test_analyzing_one_suggestion_takes_a_fixed_few_queries_however_large_its_theme(
    members, django_capture_on_commit_callbacks
):
    clustered_corpus()
    theme = grow_theme_of_masks_to(members)
    count, sql = queries_to_analyze_a_newcomer(django_capture_on_commit_callbacks)
    newcomer = Suggestion.objects.get(body=NEWCOMER)
    assert newcomer.theme_membership.theme_id == theme.pk
    assert Theme.objects.get(pk=theme.pk).size == members + 1
    assert count <= MOST_QUERIES, "\n".join(sql)
    # No placement counts the theme's members: that count grows with the theme.
    assert not [q for q in sql if "COUNT(" in q.upper() and "thememembership" in q.lower()], "\n".join(sql)

"""What a worker keeps between analyses (the snapshot, the theme pools, the stored signatures) never gives an
answer a fresh process would not: a re-clustering, a reviewer's merge or move of themes and a reviewer's
separation of copies are seen by the next look-up."""

import pytest
from django.test import TestCase

from suggestions import grouping, pipeline
from suggestions.analysis.engine import Engine
from suggestions.caches import process_caches
from suggestions.choices import State
from suggestions.models import Suggestion, Theme, ThemeMembership
from suggestions.tasks import analyze_suggestion
from tests.suggestions.ideas import HOURS, IDEAS, analyzed, clustered_corpus, near_copies

pytestmark = pytest.mark.django_db

TYPED = "ماسک و دستکش رایگان در ورودی شعبه‌ها به رأی‌دهندگان داده شود"


@pytest.fixture
def searched_by_theme(monkeypatch):
    """Similar texts are searched among the members of the nearest theme, as in a collection of thousands."""
    monkeypatch.setattr(Engine, "WHOLE_POOL", 0)


def pool_of(theme: Theme) -> list[int]:
    return list(pipeline._pool(pipeline.current_snapshot(), theme.pk).pks)


def as_a_fresh_process(look_up):
    process_caches.reset()
    return look_up()


def members_of(theme: Theme) -> list[int]:
    return sorted(ThemeMembership.objects.filter(theme=theme).values_list("suggestion_id", flat=True))


def test_after_a_reclustering_the_live_look_up_answers_as_a_fresh_process_would():
    clustered_corpus()
    before = pipeline.lexical_neighbours(TYPED)  # the snapshot and the pools of the first re-clustering are kept
    for body in ("ماسک رایگان در شعبه‌ها توزیع شود.", "شعبه‌ها تا نیمه شب باز بمانند."):
        analyzed(body)
    pipeline.recluster()
    after = pipeline.lexical_neighbours(TYPED)
    assert after == as_a_fresh_process(lambda: pipeline.lexical_neighbours(TYPED))
    assert after != before  # the vocabulary moved: a kept pool of the first snapshot would have answered `before`


def test_a_pool_grown_by_a_workers_own_analyses_equals_one_read_afresh(searched_by_theme):
    themes = clustered_corpus()
    kept = {theme.pk: pool_of(theme) for theme in themes}
    for body in IDEAS["masks"] + IDEAS["hours"]:
        analyzed(body.replace("شعبه", "حوزه"))
    grown = {theme.pk: pool_of(theme) for theme in themes}
    assert grown != kept
    assert grown == as_a_fresh_process(lambda: {theme.pk: pool_of(theme) for theme in themes})
    for theme in themes:
        assert grown[theme.pk] == members_of(theme)


def test_a_theme_a_reviewer_merged_into_another_is_searched_with_the_members_it_gained(searched_by_theme):
    target, source, *_ = clustered_corpus()
    pool_of(target)  # kept before the merge
    grouping.merge_themes(source=source, target=target)
    assert pool_of(target) == members_of(target)
    assert set(members_of(target)) > set(pool_of(source) or []) | set(members_of(source))


def test_a_suggestion_a_reviewer_moved_to_another_theme_leaves_the_pool_of_the_first(searched_by_theme):
    first, second, *_ = clustered_corpus()
    moved = pool_of(first)[0]
    pool_of(second)
    grouping.move_to_theme(suggestion_ids=[moved], theme=second)
    assert moved not in pool_of(first)
    assert moved in pool_of(second)


def test_a_theme_a_reviewer_merged_away_gets_no_new_suggestion():
    themes = clustered_corpus()
    masks = Suggestion.objects.get(body=IDEAS["masks"][0]).theme_membership.theme
    analyzed(IDEAS["masks"][1] + " لطفا")  # the worker now keeps the snapshot and the pools
    grouping.merge_themes(source=masks, target=next(theme for theme in themes if theme.pk != masks.pk))
    newcomer = analyzed(TYPED)
    assert newcomer.theme_membership.theme.is_active


def test_a_copy_analyzed_after_a_reviewer_separated_the_canonical_member_joins_the_group_that_is_left():
    group = near_copies(3)
    first, second, third = Suggestion.objects.filter(duplicate_group=group).order_by("pk")
    grouping.mark_separate(group=group, suggestion=first)  # the worker has seen `first` as the group's canonical

    copy_of_third = analyzed(third.body)
    copy_of_first = analyzed(first.body)

    assert copy_of_third.duplicate_group_id == group.pk
    assert copy_of_third.duplicate_group.canonical_id == second.pk
    assert copy_of_first.duplicate_group.canonical_id == first.pk
    assert copy_of_first.duplicate_group_id != group.pk


def test_a_copy_a_reviewer_separated_stays_apart_when_it_is_analyzed_again():
    original = analyzed(HOURS)
    copy = analyzed(HOURS)
    grouping.mark_separate(group=copy.duplicate_group, suggestion=copy)
    Suggestion.objects.filter(pk=copy.pk).update(state=State.RECEIVED)  # delivered again by the sweeper

    again = analyzed_again(copy)

    assert again.state == State.ANALYZED and again.duplicate_group is None
    assert analyzed(HOURS).duplicate_group.canonical_id == original.pk


def analyzed_again(suggestion: Suggestion) -> Suggestion:
    with TestCase.captureOnCommitCallbacks(execute=True):
        analyze_suggestion(suggestion.pk)
    suggestion.refresh_from_db()
    return suggestion


def test_a_pool_catching_up_with_a_move_vectorises_only_the_member_it_gained(searched_by_theme, monkeypatch):
    first, second, *_ = clustered_corpus()
    pool_of(second)
    moved = pool_of(first)[0]
    grouping.move_to_theme(suggestion_ids=[moved], theme=second)
    vectorizer = pipeline.current_snapshot().vectorizer
    vectorised = []
    real = vectorizer.transform
    monkeypatch.setattr(vectorizer, "transform", lambda texts: vectorised.append(len(texts)) or real(texts))

    assert pool_of(second) == members_of(second)
    assert vectorised == [1]


def test_a_workers_first_analysis_after_a_reclustering_makes_the_pools_of_every_theme(searched_by_theme):
    themes = clustered_corpus()
    process_caches.reset()  # a worker started after the re-clustering
    analyzed(TYPED)
    snapshot = process_caches.snapshot
    made = {theme_id: pool.pks for (key, theme_id), pool in process_caches.pools.items() if key == snapshot.key}
    # Each as a look-up would make it: the theme's members, the analysis just made among them.
    assert made == {theme.pk: members_of(theme) for theme in themes}

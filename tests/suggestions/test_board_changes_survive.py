"""What a reviewer changes on the boards outlives the pipeline: re-analyzing a suggestion and re-clustering the
collection keep a separated pair apart, a reviewer's label, merge, move and split. These run the real analysis
and clustering; the boards' own behaviour is tested on factories in tests/review/boards/."""

import pytest
from django.urls import reverse

from portal.celery import app as celery_app
from review.boards import services
from review.models import AuditEntry
from suggestions import pipeline
from suggestions.choices import State
from suggestions.models import DuplicateGroup, Suggestion, Theme, ThemeMembership
from suggestions.tasks import analyze_suggestion, recluster_themes
from tests.suggestions.ideas import HOURS, analyzed, clustered_corpus, near_copies

pytestmark = pytest.mark.django_db


@pytest.fixture
def themes():
    return clustered_corpus()


def members(theme: Theme) -> set[int]:
    return set(Suggestion.objects.filter(theme_membership__theme=theme).values_list("pk", flat=True))


def pick(theme: Theme, count: int = 1) -> list[Suggestion]:
    return list(Suggestion.objects.filter(theme_membership__theme=theme).order_by("pk")[:count])


def analyzed_again(suggestion: Suggestion) -> Suggestion:
    Suggestion.objects.filter(pk=suggestion.pk).update(state=State.RECEIVED)
    analyze_suggestion(suggestion.pk)
    suggestion.refresh_from_db()
    return suggestion


# Duplicates ----------------------------------------------------------------------------------------------


def test_a_pair_marked_not_duplicate_is_not_merged_when_analyzed_again(client, reviewer):
    original = analyzed(HOURS)
    copy = analyzed(HOURS)
    group = copy.duplicate_group
    client.force_login(reviewer)
    client.post(reverse("boards:group_not_duplicate", args=[group.pk]), {"suggestion": copy.pk})
    assert not DuplicateGroup.objects.exists()

    copy = analyzed_again(copy)
    assert copy.state == State.ANALYZED and copy.duplicate_group is None
    assert analyzed_again(original).duplicate_group is None


def test_a_member_marked_not_duplicate_stays_apart_while_the_rest_stay_grouped(reviewer):
    group = near_copies(3)
    third = Suggestion.objects.filter(duplicate_group=group).order_by("created_at", "pk").last()
    services.mark_not_duplicate(group=group, suggestion=third, actor=reviewer)
    assert analyzed_again(third).duplicate_group is None
    assert DuplicateGroup.objects.get().size == 2


# Themes --------------------------------------------------------------------------------------------------


def test_a_renamed_theme_keeps_its_reviewer_label_through_reclustering(reviewer, themes):
    theme = services.rename_theme(theme=themes[0], label="تمدید ساعت رأی‌گیری", actor=reviewer)
    pipeline.recluster()
    theme.refresh_from_db()
    assert theme.is_active and theme.label == "تمدید ساعت رأی‌گیری"


def test_a_merge_survives_reclustering(reviewer, themes):
    source, target = themes[1], themes[0]
    everyone = members(source) | members(target)
    services.merge_themes(source=source, target=target, actor=reviewer)
    pipeline.recluster()
    source.refresh_from_db()
    target.refresh_from_db()
    assert not source.is_active
    assert target.is_active and members(target) == everyone


def test_moved_suggestions_stay_where_the_reviewer_put_them_through_reclustering(reviewer, themes):
    source, target = themes[0], themes[1]
    moving = pick(source, 2)
    services.move_to_theme(suggestions=moving, from_theme=source, to_theme=target, actor=reviewer)
    pipeline.recluster()
    assert all(ThemeMembership.objects.get(suggestion=s).theme_id == target.pk for s in moving)


def test_a_moved_suggestion_keeps_its_theme_when_analyzed_again(reviewer, themes):
    moving = pick(themes[0])[0]
    services.move_to_theme(suggestions=[moving], from_theme=themes[0], to_theme=themes[1], actor=reviewer)
    analyzed_again(moving)
    assert ThemeMembership.objects.get(suggestion=moving).theme_id == themes[1].pk


def test_a_split_theme_keeps_its_label_and_members_through_reclustering(reviewer, themes):
    theme = themes[0]  # clustering decides the sizes; only the largest is sure to have two members
    chosen = pick(theme, theme.size - 1)
    new_theme = services.split_theme(theme=theme, suggestions=chosen, label="رأی‌گیری دو روزه", actor=reviewer)
    pipeline.recluster()
    new_theme.refresh_from_db()
    assert new_theme.is_active and new_theme.label == "رأی‌گیری دو روزه"
    assert members(new_theme) >= {s.pk for s in chosen}  # re-clustering may add to it, never take them away


def test_a_reclustering_started_from_the_board_runs_after_commit_and_its_page_says_it_finished(
    client, reviewer, themes, eager_tasks, django_capture_on_commit_callbacks, monkeypatch, request
):
    # Store the eager result, as a worker would, so the progress page can read it.
    monkeypatch.setattr(recluster_themes, "store_eager_result", True)
    celery_app.conf.task_store_eager_result = True
    request.addfinalizer(lambda: setattr(celery_app.conf, "task_store_eager_result", False))
    Theme.objects.filter(pk=themes[0].pk).update(label="کهنه")
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("boards:recluster_start"))
    assert len(callbacks) == 1
    task_id = AuditEntry.objects.get(action="themes.recluster").after["task_id"]
    assert response["Location"] == reverse("boards:recluster_progress", args=[task_id])
    themes[0].refresh_from_db()
    assert themes[0].label != "کهنه", "the eager task re-labelled the theme"

    page = client.get(response["Location"]).content.decode()
    recluster_themes.backend.forget(task_id)
    assert "بازخوشه‌بندی تمام شد" in page and 'value="100"' in page and "every 1s" not in page

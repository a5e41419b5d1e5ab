"""Ideas on the themes board: a theme shows its ideas with their labels and people, and reviewers merge, split and
move ideas, each change audited and refused in Persian when it cannot be made."""

import pytest
from django.urls import reverse

from common.persian import persian_digits
from portal.celery import app as celery_app
from review.models import AuditEntry
from suggestions import grouping
from suggestions.choices import State
from suggestions.models import Idea, Suggestion, Support, ThemeMembership
from suggestions.tasks import recluster_themes
from tests.factories import IdeaFactory, SuggestionFactory, ThemeFactory
from tests.suggestions.ideas import IDEAS, analyzed

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _suggestions(count: int, **fields) -> list[Suggestion]:
    return [SuggestionFactory(state=State.ANALYZED, **fields) for _ in range(count)]


def _support(suggestion: Suggestion, n: int) -> Support:
    return Support.objects.create(idea=suggestion, tracking_code=f"B{n}QWE", idea_text="متن", browser=f"b-{n}")


@pytest.fixture
def two_ideas():
    """Two ideas of one theme: 43 people behind the first (40 suggestions, 3 supporters), 2 behind the second."""
    theme = ThemeFactory(label="ساعت رأی‌گیری")
    big = IdeaFactory(theme=theme, label="ساعت رأی‌گیری تا نیمه‌شب تمدید شود", members=_suggestions(40))
    for n, member in enumerate(Suggestion.objects.filter(idea=big)[:3]):
        _support(member, n)
    small = IdeaFactory(
        theme=theme,
        label="رأی‌گیری در دو روز برگزار شود",
        members=_suggestions(2, title="رأی‌گیری دو روزه", body="رأی‌گیری در دو روز برگزار شود تا شلوغ نشود."),
    )
    return big, small


def test_the_themes_board_shows_each_themes_largest_ideas_with_their_people(client, reviewer, two_ideas):
    client.force_login(reviewer)
    page = client.get(reverse("boards:theme_board")).content.decode()
    assert "ایده‌های بزرگ" in page
    assert "ساعت رأی‌گیری تا نیمه‌شب تمدید شود" in page
    assert "۴۳ نفر" in page and "۲ نفر" in page


def test_a_theme_page_lists_its_ideas_largest_first_with_suggestions_supporters_and_people(client, reviewer, two_ideas):
    big, small = two_ideas
    client.force_login(reviewer)
    page = client.get(reverse("boards:theme_detail", args=[big.theme_id])).content.decode()
    assert "ایده‌های این محور" in page
    assert page.index(big.label) < page.index(small.label)
    assert "۴۰ پیشنهاد، ۳ حامی" in page and "۴۳ نفر" in page


def test_an_idea_page_shows_each_text_once_with_its_copies(client, reviewer):
    original = SuggestionFactory(state=State.ANALYZED, title="متن اصلی", body="ماسک رایگان در شعبه‌ها داده شود.")
    copy = SuggestionFactory(state=State.ANALYZED, title="عنوان نسخهٔ دوم", body=original.body)
    grouping.join_duplicate_group(suggestion=copy, original=original, by_reviewer=True)
    idea = IdeaFactory(members=[original, copy, *_suggestions(1)])
    client.force_login(reviewer)

    page = client.get(reverse("boards:idea_detail", args=[idea.pk])).content.decode()

    assert "متن اصلی" in page and "عنوان نسخهٔ دوم" not in page
    assert "با رونوشت‌ها" in page and "۲ پیشنهاد" in page
    assert "(۲ متن، ۳ پیشنهاد)" in page


def test_a_reviewer_merges_two_ideas_and_the_audit_log_says_so(client, reviewer, two_ideas):
    big, small = two_ideas
    client.force_login(reviewer)

    response = client.post(reverse("boards:idea_merge", args=[small.pk]), {"target": big.pk})

    assert response.status_code == 302 and response["Location"] == reverse("boards:idea_detail", args=[big.pk])
    big.refresh_from_db(), small.refresh_from_db()
    assert (big.size, small.is_active) == (42, False)
    entry = AuditEntry.objects.get(action="ideas.merge")
    assert (entry.actor, entry.object_id, entry.after["moved"]) == (reviewer, str(big.pk), 2)


def test_the_audit_page_names_an_idea_merge_and_the_idea_in_persian(client, editor, two_ideas):
    big, small = two_ideas
    client.force_login(editor)
    client.post(reverse("boards:idea_merge", args=[small.pk]), {"target": big.pk})

    page = client.get(reverse("review:audit")).content.decode()

    assert "ادغام ایده‌ها" in page and f"ایدهٔ «{big.label}»" in page
    assert "ایدهٔ مبدأ" in page


def test_merging_an_idea_into_one_of_another_theme_is_refused_in_persian_and_changes_nothing(
    client, reviewer, two_ideas
):
    big, _ = two_ideas
    stranger = IdeaFactory(members=_suggestions(1))
    client.force_login(reviewer)

    response = client.post(reverse("boards:idea_merge", args=[stranger.pk]), {"target": big.pk}, **HTMX)

    assert response.status_code == 400
    assert "دو محور جدا" in response.content.decode()
    assert Suggestion.objects.filter(idea=stranger).count() == 1
    assert not AuditEntry.objects.filter(action="ideas.merge").exists()


def test_a_reviewer_splits_chosen_texts_into_a_new_idea_with_their_label(client, reviewer, two_ideas):
    big, _ = two_ideas
    chosen = list(Suggestion.objects.filter(idea=big).order_by("pk").values_list("pk", flat=True)[:5])
    client.force_login(reviewer)

    response = client.post(
        reverse("boards:idea_split", args=[big.pk]), {"suggestions": chosen, "label": "تمدید در شهرهای بزرگ"}, **HTMX
    )

    assert response.status_code == 200
    assert "۵ پیشنهاد به ایدهٔ تازهٔ «تمدید در شهرهای بزرگ» رفت." in response.content.decode()
    new_idea = Idea.objects.get(label="تمدید در شهرهای بزرگ")
    assert (new_idea.theme_id, new_idea.size) == (big.theme_id, 5)
    assert set(Suggestion.objects.filter(idea=new_idea).values_list("pk", flat=True)) == set(chosen)
    entry = AuditEntry.objects.get(action="ideas.split")
    assert entry.after == {"idea": new_idea.pk, "label": "تمدید در شهرهای بزرگ", "moved": 5, "size": 35}


def test_a_split_without_a_label_or_without_a_choice_is_refused_in_persian(client, reviewer, two_ideas):
    big, _ = two_ideas
    one = Suggestion.objects.filter(idea=big).first()
    client.force_login(reviewer)

    no_label = client.post(reverse("boards:idea_split", args=[big.pk]), {"suggestions": [one.pk], "label": ""}, **HTMX)
    no_choice = client.post(reverse("boards:idea_split", args=[big.pk]), {"label": "تازه"}, **HTMX)

    assert no_label.status_code == no_choice.status_code == 400
    assert "عنوان ایده نمی‌تواند خالی باشد." in no_label.content.decode()
    assert "هیچ پیشنهادی انتخاب نشده است." in no_choice.content.decode()
    assert Idea.objects.count() == 2 and not AuditEntry.objects.exists()


def test_a_reviewer_moves_an_idea_to_another_theme_with_all_its_suggestions(client, reviewer, two_ideas):
    _, small = two_ideas
    other = IdeaFactory(members=_suggestions(1)).theme
    client.force_login(reviewer)

    response = client.post(reverse("boards:idea_move", args=[small.pk]), {"target": other.pk})

    assert response.status_code == 302
    small.refresh_from_db()
    assert small.theme_id == other.pk
    assert set(ThemeMembership.objects.filter(suggestion__idea=small).values_list("theme_id", "source")) == {
        (other.pk, ThemeMembership.Source.REVIEWER)
    }
    entry = AuditEntry.objects.get(action="ideas.move")
    assert (entry.before["theme"], entry.after["theme"]) == (two_ideas[0].theme_id, other.pk)


def test_outsiders_and_anonymous_visitors_cannot_open_or_change_ideas(client, outsider, two_ideas):
    big, small = two_ideas
    assert client.get(reverse("boards:idea_detail", args=[big.pk])).status_code == 302
    client.force_login(outsider)
    assert client.get(reverse("boards:idea_detail", args=[big.pk])).status_code == 403
    assert client.post(reverse("boards:idea_merge", args=[small.pk]), {"target": big.pk}).status_code == 403
    assert Suggestion.objects.filter(idea=small).count() == 2


def test_a_retired_idea_answers_404(client, reviewer, two_ideas):
    big, small = two_ideas
    client.force_login(reviewer)
    client.post(reverse("boards:idea_merge", args=[small.pk]), {"target": big.pk})
    assert client.get(reverse("boards:idea_detail", args=[small.pk])).status_code == 404


def test_a_finished_reclusterings_page_counts_the_ideas_it_wrote(
    client, reviewer, eager_tasks, django_capture_on_commit_callbacks, monkeypatch, request
):
    for bodies in IDEAS.values():
        for body in bodies:
            analyzed(body)
    monkeypatch.setattr(recluster_themes, "store_eager_result", True)
    celery_app.conf.task_store_eager_result = True
    request.addfinalizer(lambda: setattr(celery_app.conf, "task_store_eager_result", False))
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("boards:recluster_start"))

    page = client.get(response["Location"]).content.decode()
    recluster_themes.backend.forget(AuditEntry.objects.get(action="themes.recluster").after["task_id"])

    ideas = Idea.objects.filter(is_active=True).count()
    assert ideas >= 1
    assert f"{persian_digits(Suggestion.objects.count())} پیشنهاد در {persian_digits(ideas)} ایده و" in page

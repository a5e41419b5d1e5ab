import re
import uuid

import pytest
from django.urls import reverse

from common.persian import persian_digits
from review.audit import record_action
from review.boards import services
from review.boards.services import BoardError
from review.models import AuditEntry, Review, ReviewStatus
from suggestions.models import Suggestion, Theme, ThemeMembership
from suggestions.tasks import recluster_themes
from tests.review.boards.data import lone_suggestion, members, themed_corpus

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
REVIEWER = ThemeMembership.Source.REVIEWER


@pytest.fixture
def themes():
    return themed_corpus()


def login(client, user):
    client.force_login(user)
    return client


def pick(theme: Theme, count: int = 1) -> list[Suggestion]:
    return list(Suggestion.objects.filter(theme_membership__theme=theme).order_by("pk")[:count])


def started(reviewer) -> str:
    return services.start_reclustering(actor=reviewer)


@pytest.fixture
def stored_results(reviewer):
    """Re-clusterings a reviewer started, whose state is written straight into the result backend."""
    written = []

    def store(state: str, result, *, started_here: bool = True) -> str:
        task_id = str(uuid.uuid4())
        if started_here:
            record_action(actor=reviewer, action=services.RECLUSTER_ACTION, target=reviewer, after={"task_id": task_id})
        recluster_themes.backend.store_result(task_id, result, state)
        written.append(task_id)
        return task_id

    yield store
    for task_id in written:
        recluster_themes.backend.forget(task_id)


# Who may open what -------------------------------------------------------------------------------------


def board_urls(themes, task_id: str) -> list[tuple]:
    # One suggestion moves from the first theme to the second, is split from there into a new theme, then the
    # second is merged into the first.
    first, second = themes[0], themes[1]
    moving = pick(first)[0]
    return [
        ("get", reverse("boards:theme_board")),
        ("get", reverse("boards:theme_detail", args=[first.pk])),
        ("get", reverse("boards:recluster_progress", args=[task_id])),
        ("post", reverse("boards:theme_rename", args=[first.pk]), {"label": "ساعت رأی‌گیری"}),
        ("post", reverse("boards:theme_move", args=[first.pk]), {"suggestions": [moving.pk], "target": second.pk}),
        ("post", reverse("boards:theme_split", args=[second.pk]), {"suggestions": [moving.pk], "label": "تازه"}),
        ("post", reverse("boards:theme_merge", args=[second.pk]), {"target": first.pk}),
        ("post", reverse("boards:recluster_start")),
    ]


def call(client, method, url, data=None, **headers):
    return client.post(url, data or {}, **headers) if method == "post" else client.get(url, **headers)


def test_anonymous_visitors_are_sent_to_the_login_page_from_every_themes_url(client, reviewer, themes):
    for method, url, *data in board_urls(themes, started(reviewer)):
        response = call(client, method, url, *data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url
    assert AuditEntry.objects.count() == 1  # only the re-clustering the setup started


def test_a_logged_in_outsider_without_a_role_gets_403_from_every_themes_url(client, reviewer, outsider, themes):
    task_id = started(reviewer)
    login(client, outsider)
    for method, url, *data in board_urls(themes, task_id):
        response = call(client, method, url, *data)
        assert response.status_code == 403, url
        assert "no-store" in response["Cache-Control"], url
    assert AuditEntry.objects.count() == 1
    assert not Theme.objects.filter(label_edited=True).exists()


def test_a_reviewer_can_open_and_use_every_themes_url(client, reviewer, themes, django_capture_on_commit_callbacks):
    login(client, reviewer)
    with django_capture_on_commit_callbacks(execute=False):  # the re-clustering is queued, not run, here
        for method, url, *data in board_urls(themes, started(reviewer)):
            response = call(client, method, url, *data, **HTMX)
            assert response.status_code == 200, (url, response.content.decode()[:300])
            assert "no-store" in response["Cache-Control"], url


def test_changes_to_themes_refuse_get(client, reviewer, themes):
    login(client, reviewer)
    assert client.get(reverse("boards:theme_merge", args=[themes[0].pk])).status_code == 405
    assert client.get(reverse("boards:recluster_start")).status_code == 405


# The board -----------------------------------------------------------------------------------------------


def test_the_board_shows_each_theme_with_size_label_keywords_and_samples(client, reviewer, themes):
    page = login(client, reviewer).get(reverse("boards:theme_board")).content.decode()
    for theme in themes:
        card = page.split(f'id="theme-{theme.pk}"', 1)[1].split("</article>", 1)[0]
        assert theme.label in card
        assert f">{persian_digits(theme.size)}</span>" in card
        assert all(word in card for word in theme.keywords[:3])
        assert 1 <= card.count("<li>") <= 3
    assert len(re.findall(r"<h1[\s>]", page)) == 1


def test_the_board_leaves_out_retired_and_empty_themes(client, reviewer, themes):
    Theme.objects.filter(pk=themes[0].pk).update(is_active=False)
    empty = Theme.objects.create(label="محور خالی", size=0)
    page = login(client, reviewer).get(reverse("boards:theme_board")).content.decode()
    assert f'id="theme-{themes[0].pk}"' not in page and f'id="theme-{empty.pk}"' not in page
    assert f'id="theme-{themes[1].pk}"' in page


def test_the_board_before_any_clustering_says_how_to_start(client, reviewer):
    page = login(client, reviewer).get(reverse("boards:theme_board")).content.decode()
    assert "هنوز محوری نیست" in page


def test_a_theme_page_lists_its_members_with_checkboxes(client, reviewer, themes):
    theme = themes[0]
    page = login(client, reviewer).get(reverse("boards:theme_detail", args=[theme.pk])).content.decode()
    for pk in members(theme):
        assert f'name="suggestions" value="{pk}"' in page
    assert len(re.findall(r"<h1[\s>]", page)) == 1


def test_a_retired_theme_page_is_not_found(client, reviewer, themes):
    Theme.objects.filter(pk=themes[0].pk).update(is_active=False)
    assert login(client, reviewer).get(reverse("boards:theme_detail", args=[themes[0].pk])).status_code == 404


# Rename --------------------------------------------------------------------------------------------------


def test_a_renamed_theme_takes_the_reviewer_label_tidied_and_audited(reviewer, themes):
    theme = services.rename_theme(theme=themes[0], label="  تمدید   ساعت رأی‌گیری ", actor=reviewer)
    assert theme.label == "تمدید ساعت رأی‌گیری" and theme.label_edited
    theme.refresh_from_db()
    assert theme.is_active and theme.label == "تمدید ساعت رأی‌گیری" and theme.label_edited
    entry = AuditEntry.objects.get(action="themes.rename")
    assert entry.after == {"label": "تمدید ساعت رأی‌گیری", "label_edited": True}


@pytest.mark.parametrize(("label", "message"), [("", "نمی‌تواند خالی باشد"), ("   ", "خالی"), ("ب" * 201, "۲۰۰")])
def test_an_empty_or_overlong_label_is_refused_and_changes_nothing(reviewer, themes, label, message):
    before = themes[0].label
    with pytest.raises(BoardError, match=message):
        services.rename_theme(theme=themes[0], label=label, actor=reviewer)
    themes[0].refresh_from_db()
    assert themes[0].label == before and not themes[0].label_edited
    assert not AuditEntry.objects.exists()


def test_renaming_on_the_board_answers_htmx_with_the_card_alone(client, reviewer, themes):
    theme = themes[1]
    response = login(client, reviewer).post(
        reverse("boards:theme_rename", args=[theme.pk]), {"label": "ناظران", "part": "card"}, **HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.startswith(f'<article class="card h-100 theme-card" id="theme-{theme.pk}"')
    assert "ناظران" in page and "عنوان محور ذخیره شد" in page


def test_an_empty_label_on_the_board_answers_400_with_the_reason_in_the_card(client, reviewer, themes):
    response = login(client, reviewer).post(
        reverse("boards:theme_rename", args=[themes[0].pk]), {"label": " ", "part": "card"}, **HTMX
    )
    assert response.status_code == 400
    assert "عنوان محور نمی‌تواند خالی باشد." in response.content.decode()


def test_renaming_without_htmx_redirects_to_the_theme_page(client, reviewer, themes):
    response = login(client, reviewer).post(reverse("boards:theme_rename", args=[themes[0].pk]), {"label": "ماسک"})
    assert response.status_code == 302 and response["Location"] == reverse("boards:theme_detail", args=[themes[0].pk])
    assert "عنوان محور ذخیره شد" in client.get(response["Location"]).content.decode()


def test_a_label_is_escaped_wherever_it_is_shown(client, reviewer, themes):
    services.rename_theme(theme=themes[0], label="<img src=x onerror=alert(1)>", actor=reviewer)
    login(client, reviewer)
    for url in (reverse("boards:theme_board"), reverse("boards:theme_detail", args=[themes[0].pk])):
        page = client.get(url).content.decode()
        assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


# Merge ---------------------------------------------------------------------------------------------------


def test_merging_moves_every_member_and_retires_the_merged_theme(reviewer, themes):
    source, target = themes[1], themes[0]
    moving = members(source)
    everyone = moving | members(target)
    merged = services.merge_themes(source=source, target=target, actor=reviewer)
    source.refresh_from_db()
    assert not source.is_active and source.size == 0
    assert members(merged) == everyone and merged.size == len(everyone)
    assert not ThemeMembership.objects.filter(theme=merged).exclude(source=REVIEWER).exists()
    entry = AuditEntry.objects.get(action="themes.merge")
    assert entry.object_id == str(target.pk) and entry.after["moved"] == len(moving)


def test_merging_a_theme_into_itself_is_refused(reviewer, themes):
    with pytest.raises(BoardError, match="با خودش"):
        services.merge_themes(source=themes[0], target=themes[0], actor=reviewer)
    themes[0].refresh_from_db()
    assert themes[0].is_active and not AuditEntry.objects.exists()


def test_merging_into_a_retired_theme_is_refused_and_changes_nothing(reviewer, themes):
    Theme.objects.filter(pk=themes[0].pk).update(is_active=False)
    before = members(themes[1])
    with pytest.raises(BoardError, match="دیگر فعال نیست"):
        services.merge_themes(source=themes[1], target=themes[0], actor=reviewer)
    assert members(themes[1]) == before


def test_merging_over_htmx_sends_the_browser_to_the_merged_theme(client, reviewer, themes):
    source, target = themes[1], themes[0]
    response = login(client, reviewer).post(
        reverse("boards:theme_merge", args=[source.pk]), {"target": target.pk}, **HTMX
    )
    assert response["HX-Redirect"] == reverse("boards:theme_detail", args=[target.pk])
    assert "ادغام شد" in client.get(response["HX-Redirect"]).content.decode()


def test_merging_into_itself_over_htmx_answers_400_in_persian(client, reviewer, themes):
    theme = themes[0]
    url = reverse("boards:theme_merge", args=[theme.pk])
    response = login(client, reviewer).post(url, {"target": theme.pk}, **HTMX)
    assert response.status_code == 400
    assert "یک محور را نمی‌توان با خودش ادغام کرد" in response.content.decode()


def test_merging_without_a_target_answers_400_in_persian(client, reviewer, themes):
    response = login(client, reviewer).post(reverse("boards:theme_merge", args=[themes[0].pk]), {}, **HTMX)
    assert response.status_code == 400 and "محور مقصد را برگزینید" in response.content.decode()


def test_a_decision_accepting_into_the_merged_theme_follows_to_the_target(reviewer, themes):
    source, target = themes[1], themes[0]
    accepted = Review.objects.create(suggestion=pick(source)[0], status=ReviewStatus.ACCEPTED, theme=source)
    services.merge_themes(source=source, target=target, actor=reviewer)
    accepted.refresh_from_db()
    assert accepted.theme_id == target.pk


# Move ----------------------------------------------------------------------------------------------------


def test_moved_suggestions_become_reviewer_placements_and_both_themes_are_recounted(reviewer, themes):
    source, target = themes[0], themes[1]
    moving = pick(source, 2)
    moved = services.move_to_theme(suggestions=moving, from_theme=source, to_theme=target, actor=reviewer)
    assert moved == 2
    for suggestion in moving:
        membership = ThemeMembership.objects.get(suggestion=suggestion)
        assert membership.theme_id == target.pk and membership.source == REVIEWER
    source.refresh_from_db()
    target.refresh_from_db()
    assert target.size == len(members(target)) and source.size == len(members(source))
    assert AuditEntry.objects.filter(action="themes.move").count() == 2


def test_a_decision_accepting_a_moved_suggestion_follows_it(reviewer, themes):
    moving, staying = pick(themes[0], 2)
    accepted = Review.objects.create(suggestion=moving, status=ReviewStatus.ACCEPTED, theme=themes[0])
    undecided = Review.objects.create(suggestion=staying)
    services.move_to_theme(suggestions=[moving, staying], from_theme=themes[0], to_theme=themes[1], actor=reviewer)
    accepted.refresh_from_db()
    undecided.refresh_from_db()
    assert accepted.theme_id == themes[1].pk and undecided.theme_id is None


def test_a_suggestion_without_a_theme_can_be_placed_in_one(reviewer, themes):
    newcomer = lone_suggestion("یک پیشنهاد تازه دربارهٔ رأی‌گیری پستی برای سالمندان و بیماران.")
    services.move_to_theme(suggestions=[newcomer], to_theme=themes[0], actor=reviewer)
    assert ThemeMembership.objects.get(suggestion=newcomer).theme_id == themes[0].pk


def test_a_theme_emptied_by_moving_is_retired(reviewer, themes):
    source, target = themes[-1], themes[0]
    services.move_to_theme(suggestions=pick(source, 99), from_theme=source, to_theme=target, actor=reviewer)
    source.refresh_from_db()
    assert not source.is_active and source.size == 0


def test_moving_nothing_or_into_the_same_theme_is_refused(reviewer, themes):
    with pytest.raises(BoardError, match="هیچ پیشنهادی انتخاب نشده"):
        services.move_to_theme(suggestions=[], from_theme=themes[0], to_theme=themes[1], actor=reviewer)
    with pytest.raises(BoardError, match="همان محور کنونی"):
        services.move_to_theme(suggestions=pick(themes[0]), from_theme=themes[0], to_theme=themes[0], actor=reviewer)
    with pytest.raises(BoardError, match="هم‌اکنون در همین محور"):
        services.move_to_theme(suggestions=pick(themes[0]), to_theme=themes[0], actor=reviewer)
    assert not AuditEntry.objects.exists()


def test_moving_a_suggestion_that_is_not_in_the_theme_is_refused_and_changes_nothing(reviewer, themes):
    stranger = pick(themes[1])[0]
    with pytest.raises(BoardError, match="در این محور نیستند"):
        services.move_to_theme(suggestions=[stranger], from_theme=themes[0], to_theme=themes[-1], actor=reviewer)
    assert ThemeMembership.objects.get(suggestion=stranger).theme_id == themes[1].pk


def test_moving_over_htmx_answers_with_the_theme_page(client, reviewer, themes):
    source, target = themes[0], themes[1]
    moving = pick(source)[0]
    response = login(client, reviewer).post(
        reverse("boards:theme_move", args=[source.pk]), {"suggestions": [moving.pk], "target": target.pk}, **HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200 and page.startswith('<div id="theme-page">')
    assert "۱ پیشنهاد به محور" in page and f'name="suggestions" value="{moving.pk}"' not in page


def test_moving_with_nothing_selected_answers_400_in_persian(client, reviewer, themes):
    response = login(client, reviewer).post(
        reverse("boards:theme_move", args=[themes[0].pk]), {"target": themes[1].pk}, **HTMX
    )
    assert response.status_code == 400 and "هیچ پیشنهادی انتخاب نشده است." in response.content.decode()


# Split ---------------------------------------------------------------------------------------------------


def test_splitting_makes_a_new_theme_of_reviewer_placements_with_the_reviewer_label(reviewer, themes):
    theme = themes[0]
    chosen = pick(theme, theme.size - 1)
    rest = members(theme) - {s.pk for s in chosen}
    new_theme = services.split_theme(theme=theme, suggestions=chosen, label="رأی‌گیری دو روزه", actor=reviewer)
    assert new_theme.label == "رأی‌گیری دو روزه" and new_theme.label_edited and new_theme.size == len(chosen)
    assert members(new_theme) == {s.pk for s in chosen} and members(theme) == rest
    assert new_theme.keywords, "the new theme should get the words that set it apart"
    entry = AuditEntry.objects.get(action="themes.split")
    assert entry.before == {"theme": theme.pk, "size": theme.size}
    assert set(ThemeMembership.objects.filter(theme=new_theme).values_list("source", flat=True)) == {REVIEWER}


def test_splitting_every_member_or_none_or_without_a_label_is_refused(reviewer, themes):
    theme = themes[0]
    everyone = pick(theme, 99)
    theme_count = Theme.objects.count()
    with pytest.raises(BoardError, match="دست‌کم یک پیشنهاد باید در محور بماند"):
        services.split_theme(theme=theme, suggestions=everyone, label="همه", actor=reviewer)
    with pytest.raises(BoardError, match="هیچ پیشنهادی"):
        services.split_theme(theme=theme, suggestions=[], label="هیچ", actor=reviewer)
    with pytest.raises(BoardError, match="خالی"):
        services.split_theme(theme=theme, suggestions=everyone[:1], label="", actor=reviewer)
    with pytest.raises(BoardError, match="عضو این محور نیستند"):
        services.split_theme(theme=theme, suggestions=pick(themes[1]), label="بیگانه", actor=reviewer)
    assert Theme.objects.count() == theme_count and members(theme) == {s.pk for s in everyone}
    assert not Theme.objects.filter(label_edited=True).exists() and not AuditEntry.objects.exists()


def test_splitting_over_htmx_links_to_the_new_theme(client, reviewer, themes):
    theme = themes[0]
    chosen = pick(theme)[0]
    response = login(client, reviewer).post(
        reverse("boards:theme_split", args=[theme.pk]), {"suggestions": [chosen.pk], "label": "پخش زنده"}, **HTMX
    )
    new_theme = Theme.objects.get(label="پخش زنده")
    page = response.content.decode()
    assert response.status_code == 200 and reverse("boards:theme_detail", args=[new_theme.pk]) in page


def test_splitting_without_htmx_redirects_with_a_message(client, reviewer, themes):
    theme = themes[0]
    response = login(client, reviewer).post(
        reverse("boards:theme_split", args=[theme.pk]), {"suggestions": [pick(theme)[0].pk], "label": "پخش زنده"}
    )
    assert response.status_code == 302
    assert "محور تازهٔ «پخش زنده»" in client.get(response["Location"]).content.decode()


# Re-clustering -------------------------------------------------------------------------------------------


def test_starting_over_htmx_answers_with_a_progress_bar_that_polls(
    client, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = login(client, reviewer).post(reverse("boards:recluster_start"), **HTMX)
    page = response.content.decode()
    task_id = AuditEntry.objects.get(action="themes.recluster").after["task_id"]
    assert 'hx-trigger="every 1s"' in page
    assert f'hx-get="{reverse("boards:recluster_progress", args=[task_id])}"' in page


def test_a_pending_reclustering_keeps_polling(client, reviewer):
    task_id = started(reviewer)
    response = login(client, reviewer).get(reverse("boards:recluster_progress", args=[task_id]), **HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert 'hx-trigger="every 1s"' in page and "در صف است" in page


def test_a_running_reclustering_shows_its_stage_and_percent(client, reviewer, stored_results):
    task_id = stored_results("PROGRESS", {"stage": "clustering", "done": 0, "total": 1200})
    page = login(client, reviewer).get(reverse("boards:recluster_progress", args=[task_id]), **HTMX).content.decode()
    assert "خوشه‌بندی" in page and "۱٬۲۰۰ پیشنهاد" in page and "۳۳٪" in page
    assert 'value="33"' in page and 'hx-trigger="every 1s"' in page


def test_a_finished_reclustering_stops_polling_and_reports_its_result(client, reviewer, stored_results):
    task_id = stored_results("SUCCESS", {"suggestions": 1500, "themes": 12, "version": 3})
    login(client, reviewer)
    page = client.get(reverse("boards:recluster_progress", args=[task_id]), **HTMX).content.decode()
    assert "every 1s" not in page and "۱٬۵۰۰ پیشنهاد در ۱۲ محور" in page
    full = client.get(reverse("boards:recluster_progress", args=[task_id])).content.decode()
    assert "<html" in full and "۱٬۵۰۰ پیشنهاد در ۱۲ محور" in full and 'http-equiv="refresh"' not in full


def test_a_failed_reclustering_says_so_without_the_error_text(client, reviewer, stored_results):
    task_id = stored_results("FAILURE", ValueError("secret internals"))
    page = login(client, reviewer).get(reverse("boards:recluster_progress", args=[task_id]), **HTMX).content.decode()
    assert "ناکام ماند" in page and "secret internals" not in page and "every 1s" not in page


def test_an_unknown_task_id_is_not_found(client, reviewer, stored_results):
    login(client, reviewer)
    assert client.get(reverse("boards:recluster_progress", args=[uuid.uuid4()])).status_code == 404
    someone_elses = stored_results("SUCCESS", {"themes": 1}, started_here=False)
    assert client.get(reverse("boards:recluster_progress", args=[someone_elses])).status_code == 404
    assert client.get("/review/themes/recluster/not-a-task-id/").status_code == 404


def test_a_broker_that_refuses_the_task_is_reported_on_the_progress_page(
    client, reviewer, dead_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(client, reviewer).post(reverse("boards:recluster_start"))
    page = client.get(response["Location"]).content.decode()
    assert "صف کارها در دسترس نبود" in page and "every 1s" not in page

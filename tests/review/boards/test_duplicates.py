import re

import pytest
from django.urls import reverse

from common.persian import jalali_datetime
from review.boards import services, views
from review.boards.diff import Segment, word_diff
from review.boards.queries import campaign_sample
from review.boards.services import BoardError
from review.models import AuditEntry
from suggestions.models import DuplicateGroup, GroupKind, SeparatePair, Suggestion
from tests.factories import ContactFactory
from tests.review.boards.data import IDEAS, exact_group, lone_suggestion, near_group

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def group():
    return near_group(3)


def ordered_members(group) -> list[Suggestion]:
    return list(Suggestion.objects.filter(duplicate_group=group).order_by("created_at", "pk"))


def login(client, user):
    client.force_login(user)
    return client


# Who may open what -------------------------------------------------------------------------------------


def board_urls(group) -> list[tuple[str, str]]:
    # A different member for each change, so every one of them still applies after the one before.
    first, second, last = ordered_members(group)[1], ordered_members(group)[2], ordered_members(group)[-1]
    return [
        ("get", reverse("boards:group_list")),
        ("get", reverse("boards:group_detail", args=[group.pk])),
        ("get", reverse("boards:campaign", args=[group.pk])),
        ("post", reverse("boards:group_canonical", args=[group.pk]), {"suggestion": first.pk}),
        ("post", reverse("boards:group_split", args=[group.pk]), {"suggestion": second.pk}),
        ("post", reverse("boards:group_not_duplicate", args=[group.pk]), {"suggestion": last.pk}),
    ]


def call(client, method, url, data=None, **headers):
    return client.post(url, data or {}, **headers) if method == "post" else client.get(url, **headers)


def test_anonymous_visitors_are_sent_to_the_login_page_from_every_duplicates_url(client, group):
    for method, url, *data in board_urls(group):
        response = call(client, method, url, *data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url
    assert DuplicateGroup.objects.get().size == 3


def test_a_logged_in_outsider_without_a_role_gets_403_from_every_duplicates_url(client, outsider, group):
    login(client, outsider)
    for method, url, *data in board_urls(group):
        response = call(client, method, url, *data)
        assert response.status_code == 403, url
        assert response["Cache-Control"].count("no-store") == 1, url
    assert DuplicateGroup.objects.get().size == 3 and AuditEntry.objects.count() == 0


def test_a_reviewer_can_open_and_use_every_duplicates_url(client, reviewer):
    login(client, reviewer)
    group = near_group(4)
    for method, url, *data in board_urls(group):
        response = call(client, method, url, *data, **HTMX)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_an_editor_may_work_on_duplicates_too(client, editor, group):
    login(client, editor)
    assert client.get(reverse("boards:group_detail", args=[group.pk])).status_code == 200


def test_changes_to_a_group_refuse_get(client, reviewer, group):
    login(client, reviewer)
    assert client.get(reverse("boards:group_split", args=[group.pk])).status_code == 405


# The list ------------------------------------------------------------------------------------------------


def test_the_list_shows_the_largest_groups_first_in_persian_digits(client, reviewer):
    small = near_group(2)
    large = exact_group(IDEAS["masks"][0], 4)
    page = login(client, reviewer).get(reverse("boards:group_list")).content.decode()
    first, second = (reverse("boards:group_detail", args=[g.pk]) for g in (large, small))
    assert page.index(first) < page.index(second)
    assert '<td class="fw-bold">۴</td>' in page and '<td class="fw-bold">۲</td>' in page


def test_the_list_filters_by_kind_and_counts_each_kind(client, reviewer):
    near = near_group(2)
    exact = exact_group(IDEAS["masks"][0], 2)
    login(client, reviewer)
    page = client.get(reverse("boards:group_list"), {"kind": GroupKind.NEAR}).content.decode()
    assert reverse("boards:group_detail", args=[near.pk]) in page
    assert reverse("boards:group_detail", args=[exact.pk]) not in page
    assert re.search(r"همه <span[^>]*>۲</span>", page)


def test_the_list_answers_htmx_with_the_list_alone(client, reviewer, group):
    response = login(client, reviewer).get(reverse("boards:group_list"), {"kind": "near"}, **HTMX)
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="group-list">') and "<html" not in page
    assert "HX-Request" in response["Vary"]


def test_an_unknown_kind_is_ignored_rather_than_an_error(client, reviewer, group):
    response = login(client, reviewer).get(reverse("boards:group_list"), {"kind": "<script>"})
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("<main", 1)[1].split("</main>")[0]


# The group page ------------------------------------------------------------------------------------------


def test_word_diff_marks_replaced_added_and_removed_words():
    assert word_diff("الف ب پ ت", "الف ج پ ت ث") == [
        Segment("same", "الف"),
        Segment("removed", "ب"),
        Segment("added", "ج"),
        Segment("same", "پ ت"),
        Segment("added", "ث"),
    ]


def test_word_diff_keeps_line_breaks_in_place():
    assert word_diff("عنوان\nمتن کوتاه", "عنوان\nمتن بلند") == [
        Segment("same", "عنوان \n متن"),
        Segment("removed", "کوتاه"),
        Segment("added", "بلند"),
    ]


def test_the_group_page_shows_members_beside_the_canonical_with_their_differences(client, reviewer, group):
    page = login(client, reviewer).get(reverse("boards:group_detail", args=[group.pk])).content.decode()
    assert "نمونهٔ اصلی" in page
    assert '<ins><span class="visually-hidden">افزوده: </span>' in page
    assert '<del><span class="visually-hidden">حذف‌شده: </span>' in page
    assert "اصفهان" in page and "شیراز" in page
    assert len(re.findall(r"<h1[\s>]", page)) == 1


def test_the_group_pages_escape_what_citizens_wrote(client, reviewer, group):
    canonical, member = ordered_members(group)[:2]
    Suggestion.objects.filter(pk=canonical.pk).update(title="<b>عنوان</b>", body="<i>متن</i>")
    injected = member.normalized_text + " <script>alert(1)</script>"
    Suggestion.objects.filter(pk=member.pk).update(normalized_text=injected)
    login(client, reviewer)
    for url in (
        reverse("boards:group_list"),
        reverse("boards:group_detail", args=[group.pk]),
        reverse("boards:campaign", args=[group.pk]),
    ):
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page and "<b>عنوان</b>" not in page and "<i>متن" not in page, url
    page = client.get(reverse("boards:group_detail", args=[group.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_group_page_never_shows_contact_details(client, reviewer, group):
    for member in ordered_members(group):
        ContactFactory(suggestion=member)
    login(client, reviewer)
    for url in (reverse("boards:group_detail", args=[group.pk]), reverse("boards:campaign", args=[group.pk])):
        page = client.get(url).content.decode()
        assert "maryam@example.ir" not in page and "09121234567" not in page and "مریم احمدی" not in page


def test_an_unknown_group_is_not_found(client, reviewer):
    assert login(client, reviewer).get(reverse("boards:group_detail", args=[999])).status_code == 404


# Choosing the canonical member ---------------------------------------------------------------------------


def test_a_reviewer_chooses_the_canonical_member_and_it_is_audited(reviewer, group):
    original, chosen, _ = ordered_members(group)
    group = services.choose_canonical(group=group, suggestion=chosen, actor=reviewer)
    assert group.canonical_id == chosen.pk and group.canonical_chosen_by_reviewer
    chosen.refresh_from_db()
    original.refresh_from_db()
    assert chosen.duplicate_score == 1.0 and original.duplicate_score < 1.0
    entry = AuditEntry.objects.get(action="duplicates.choose_canonical")
    assert entry.before["canonical"] == original.pk and entry.after["canonical"] == chosen.pk
    assert entry.actor_name == "reviewer-persona"


def test_choosing_a_canonical_outside_the_group_is_refused_and_changes_nothing(reviewer, group):
    stranger = lone_suggestion(IDEAS["masks"][0])
    canonical = group.canonical_id
    with pytest.raises(BoardError, match="عضو این گروه نیست"):
        services.choose_canonical(group=group, suggestion=stranger, actor=reviewer)
    group.refresh_from_db()
    assert group.canonical_id == canonical and not group.canonical_chosen_by_reviewer
    assert AuditEntry.objects.count() == 0


def test_choosing_the_current_canonical_again_is_refused(reviewer, group):
    with pytest.raises(BoardError, match="هم‌اکنون نمونهٔ اصلی"):
        services.choose_canonical(group=group, suggestion=group.canonical, actor=reviewer)


def test_the_canonical_button_answers_htmx_with_the_group_board(client, reviewer, group):
    chosen = ordered_members(group)[2]
    response = login(client, reviewer).post(
        reverse("boards:group_canonical", args=[group.pk]), {"suggestion": chosen.pk}, **HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200 and page.startswith('<div id="group-board">')
    assert "نمونهٔ اصلی گروه عوض شد" in page and "برگزیدهٔ کارشناس" in page
    assert DuplicateGroup.objects.get().canonical_id == chosen.pk


def test_without_htmx_a_change_redirects_back_to_the_group_with_a_message(client, reviewer, group):
    chosen = ordered_members(group)[2]
    login(client, reviewer)
    response = client.post(reverse("boards:group_canonical", args=[group.pk]), {"suggestion": chosen.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("boards:group_detail", args=[group.pk])
    assert "نمونهٔ اصلی گروه عوض شد" in client.get(response["Location"]).content.decode()


def test_a_suggestion_from_another_group_is_refused_in_persian_with_400(client, reviewer, group):
    stranger = lone_suggestion(IDEAS["masks"][0])
    login(client, reviewer)
    for headers in ({}, HTMX):
        response = client.post(reverse("boards:group_split", args=[group.pk]), {"suggestion": stranger.pk}, **headers)
        assert response.status_code == 400
        assert "این پیشنهاد عضو این گروه نیست." in response.content.decode()
    assert DuplicateGroup.objects.get().size == 3


def test_a_missing_or_unknown_suggestion_is_refused_in_persian(client, reviewer, group):
    login(client, reviewer)
    url = reverse("boards:group_canonical", args=[group.pk])
    assert "پیشنهادی انتخاب نشده است" in client.post(url, {}, **HTMX).content.decode()
    assert "این پیشنهاد پیدا نشد" in client.post(url, {"suggestion": 999999}, **HTMX).content.decode()


# Splitting a member out ----------------------------------------------------------------------------------


def test_a_split_member_leaves_the_group_and_the_group_is_recounted(reviewer, group):
    first, second, third = ordered_members(group)
    kept = services.split_member(group=group, suggestion=third, actor=reviewer)
    third.refresh_from_db()
    assert third.duplicate_group is None and third.duplicate_score is None
    assert kept.size == 2 and kept.last_seen == second.created_at
    entry = AuditEntry.objects.get(action="duplicates.split_member")
    assert entry.object_id == str(third.pk) and entry.before["group"] == group.pk
    assert not SeparatePair.objects.exists()


def test_splitting_the_canonical_member_hands_the_role_to_the_earliest_remaining(reviewer, group):
    first, second, _ = ordered_members(group)
    kept = services.split_member(group=group, suggestion=first, actor=reviewer)
    assert kept.canonical_id == second.pk and kept.size == 2
    second.refresh_from_db()
    assert second.duplicate_score == 1.0


def test_a_group_left_with_one_member_is_dissolved(client, reviewer):
    group = near_group(2)
    first, second = ordered_members(group)
    response = login(client, reviewer).post(
        reverse("boards:group_split", args=[group.pk]), {"suggestion": second.pk}, **HTMX
    )
    assert response["HX-Redirect"] == reverse("boards:group_list")
    assert not DuplicateGroup.objects.exists()
    assert not Suggestion.objects.filter(duplicate_group__isnull=False).exists()
    assert "برچیده شد" in client.get(reverse("boards:group_list")).content.decode()


def test_a_group_dissolved_by_another_reviewer_is_reported_not_crashed(reviewer):
    group = near_group(2)
    first, second = ordered_members(group)
    services.split_member(group=group, suggestion=second, actor=reviewer)
    with pytest.raises(BoardError, match="دیگر وجود ندارد"):
        services.split_member(group=group, suggestion=first, actor=reviewer)


# «Not a duplicate» ---------------------------------------------------------------------------------------


def test_not_a_duplicate_separates_the_member_from_every_other_member(reviewer, group):
    first, second, third = ordered_members(group)
    kept = services.mark_not_duplicate(group=group, suggestion=second, actor=reviewer)
    assert kept.size == 2
    pairs = set(SeparatePair.objects.values_list("first_id", "second_id"))
    assert pairs == {(min(second.pk, other.pk), max(second.pk, other.pk)) for other in (first, third)}
    entry = AuditEntry.objects.get(action="duplicates.not_duplicate")
    assert entry.after == {"group": None, "group_kept": True, "separated_pairs": 2}


def test_marking_twice_keeps_one_pair_per_couple(reviewer):
    group = near_group(3)
    first, second, third = ordered_members(group)
    SeparatePair.objects.create(first_id=min(first.pk, third.pk), second_id=max(first.pk, third.pk))
    services.mark_not_duplicate(group=group, suggestion=third, actor=reviewer)
    assert SeparatePair.objects.count() == 2


def test_not_a_duplicate_outside_the_group_is_refused_and_records_nothing(reviewer, group):
    stranger = lone_suggestion(IDEAS["ballots"][0])
    with pytest.raises(BoardError):
        services.mark_not_duplicate(group=group, suggestion=stranger, actor=reviewer)
    assert not SeparatePair.objects.exists() and not AuditEntry.objects.exists()
    assert DuplicateGroup.objects.get().size == 3


# Campaigns -----------------------------------------------------------------------------------------------


def test_the_campaign_view_shows_count_first_and_last_seen_and_a_sample(client, reviewer):
    campaign = near_group(6)
    assert campaign.kind == GroupKind.CAMPAIGN
    page = login(client, reviewer).get(reverse("boards:campaign", args=[campaign.pk])).content.decode()
    assert jalali_datetime(campaign.first_seen) in page and jalali_datetime(campaign.last_seen) in page
    assert '<dd class="display-6 mb-0">۶</dd>' in page
    assert page.count('<li class="card mb-2">') == 6
    assert "تهران" in page  # the province table


def test_a_large_campaign_is_sampled_across_its_life(reviewer):
    campaign = near_group(6)
    sample = campaign_sample(campaign, size=3)
    everyone = ordered_members(campaign)
    assert [s.pk for s in sample] == [everyone[0].pk, everyone[2].pk, everyone[5].pk]


def test_the_group_page_of_a_campaign_links_to_its_campaign_view(client, reviewer):
    campaign = near_group(6)
    page = login(client, reviewer).get(reverse("boards:group_detail", args=[campaign.pk])).content.decode()
    assert reverse("boards:campaign", args=[campaign.pk]) in page


def test_a_change_made_on_a_later_page_answers_with_that_page(client, reviewer, monkeypatch):
    monkeypatch.setattr(views, "MEMBERS_PER_PAGE", 1)
    group = near_group(4)
    first, second, third, fourth = ordered_members(group)
    url = reverse("boards:group_canonical", args=[group.pk]) + "?page=2"
    page = login(client, reviewer).post(url, {"suggestion": third.pk}, **HTMX).content.decode()
    # With the third as canonical, the others read first, second, fourth: page two holds the second.
    assert f'id="member-{second.pk}"' in page and "صفحهٔ ۲ از ۳" in page

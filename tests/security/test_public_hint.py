"""The «already proposed?» hint shows strangers only what a reviewer let out: accepted ideas and published
report entries, each idea once with how many people sent it, linked to its report section when it has one."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from review.models import Review, ReviewStatus
from suggestions.models import DuplicateGroup, GroupKind, Theme, ThemeMembership
from tests.factories import AnalyzedSuggestionFactory, DuplicateGroupFactory
from tests.reports.data import draft_report, publish, write_summary
from tests.suggestions.ideas import IDEAS

pytestmark = pytest.mark.django_db

PRIVATE_TITLE = "شماره من ۰۹۱۲۳۴۵۶۷۸۹ برای هماهنگی شعبه"
TYPED = "در ورودی شعبه‌های اخذ رأی به رأی‌دهندگان ماسک و دستکش رایگان داده شود."


def decide(suggestion, status=ReviewStatus.ACCEPTED, theme=None):
    Review.objects.create(suggestion=suggestion, status=status, theme=theme, decided_at=timezone.now())
    return suggestion


def live_hint(text: str = TYPED) -> str:
    return Client().post(reverse("hints:similar"), {"body": text}).content.decode()


def receipt_hint(suggestion) -> str:
    return Client().get(reverse("hints:receipt_similar", args=[suggestion.tracking_code])).content.decode()


def copies_of(body: str, title: str, count: int):
    """`count` suggestions with the same text, grouped as the analysis groups copies; the first of them."""
    copies = [AnalyzedSuggestionFactory(body=body, title=title) for _ in range(count)]
    DuplicateGroupFactory(members=copies)
    return copies[0]


def test_an_unreviewed_title_never_reaches_the_live_hint(seeded_topics):
    AnalyzedSuggestionFactory(body=IDEAS["masks"][0], title=PRIVATE_TITLE)
    assert "۰۹۱۲" not in live_hint() and "هماهنگی" not in live_hint()


def test_an_unreviewed_title_never_reaches_a_receipts_list(seeded_topics):
    AnalyzedSuggestionFactory(body=IDEAS["masks"][0], title=PRIVATE_TITLE)
    mine = AnalyzedSuggestionFactory(body=IDEAS["masks"][1], title="ماسک مجانی برای همه")
    page = receipt_hint(mine)
    assert "۰۹۱۲" not in page and "هماهنگی" not in page
    assert "هنوز ایدهٔ مشابهی بررسی و منتشر نشده است." in page


def test_rejected_and_pending_titles_stay_hidden_too(seeded_topics):
    decide(AnalyzedSuggestionFactory(body=IDEAS["masks"][0], title="هرزنامهٔ ردشده دربارهٔ ماسک"), ReviewStatus.REJECTED)
    Review.objects.create(suggestion=AnalyzedSuggestionFactory(body=IDEAS["masks"][1], title="در انتظار بررسی ماسک"))
    page = live_hint()
    assert "هرزنامه" not in page and "در انتظار" not in page


def test_an_accepted_idea_is_shown_once_with_how_many_people_sent_it(seeded_topics):
    first = copies_of(IDEAS["masks"][0], "ماسک رایگان در شعبه", 3)
    assert first.duplicate_group.size == 3
    decide(first)
    page = live_hint()
    assert page.count("ماسک رایگان در شعبه") == 1
    assert "۳ نفر" in page
    assert "پذیرفته شده، هنوز در گزارشی منتشر نشده" in page


def test_one_idea_in_two_groups_with_the_same_title_is_one_entry_with_both_counts(seeded_topics):
    decide(AnalyzedSuggestionFactory(body=IDEAS["masks"][0], title="نوبت‌دهی اینترنتی"))
    decide(AnalyzedSuggestionFactory(body=IDEAS["masks"][1], title="نوبت‌دهی  اینترنتی"))
    page = live_hint()
    assert page.count("اینترنتی") == 1
    assert "۲ نفر" in page


def test_an_accepted_idea_in_a_published_report_links_to_its_theme_section(seeded_topics, reviewer, editor):
    theme = Theme.objects.create(label="ماسک و دستکش", keywords=[], size=2)
    accepted = [AnalyzedSuggestionFactory(body=body, title=f"ماسک {n}") for n, body in enumerate(IDEAS["masks"][:2])]
    for suggestion in accepted:
        ThemeMembership.objects.update_or_create(suggestion=suggestion, defaults={"theme": theme})
        decide(suggestion, theme=theme)
    write_summary(theme, by=reviewer)
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    page = live_hint()
    section = reverse("reports:version", args=[version.report_id, version.number]) + f"#theme-{theme.pk}"
    assert f'href="{section}"' in page
    assert 'target="_blank"' in page  # the half-written form stays where it is
    assert "محور «ماسک و دستکش»" in page


def test_a_published_entry_whose_acceptance_was_withdrawn_shows_its_theme_not_its_title(
    seeded_topics, reviewer, editor
):
    theme = Theme.objects.create(label="بهداشت شعبه", keywords=[], size=1)
    suggestion = AnalyzedSuggestionFactory(body=IDEAS["masks"][0], title="عنوانی که دیگر پذیرفته نیست")
    ThemeMembership.objects.update_or_create(suggestion=suggestion, defaults={"theme": theme})
    decide(suggestion, theme=theme)
    write_summary(theme, by=reviewer)
    publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    Review.objects.filter(pk=suggestion.pk).update(status=ReviewStatus.REJECTED)
    page = live_hint()
    assert "دیگر پذیرفته نیست" not in page
    assert "بهداشت شعبه" in page


def test_the_receipt_leaves_out_the_citizens_own_idea(seeded_topics):
    others = decide(AnalyzedSuggestionFactory(body=IDEAS["masks"][1], title="ماسک مجانی دیگران"))
    mine = decide(AnalyzedSuggestionFactory(body=IDEAS["masks"][0], title="ماسک رایگان من", similar=[others]))
    copy = AnalyzedSuggestionFactory(body=IDEAS["masks"][0], title="ماسک رایگان من", similar=[mine, others])
    DuplicateGroupFactory(members=[mine, copy])
    for receipt in (mine, copy):  # nor a copy's receipt its group's idea
        page = receipt_hint(receipt)
        assert "ماسک رایگان من" not in page
        assert "ماسک مجانی دیگران" in page


def test_an_accepted_title_is_redacted_before_the_public_sees_it(seeded_topics):
    decide(AnalyzedSuggestionFactory(body=IDEAS["masks"][0], title="ماسک رایگان؛ تماس ۰۹۱۲۳۴۵۶۷۸۹"))
    page = live_hint()
    assert "ماسک رایگان" in page
    assert "۰۹۱۲۳۴۵۶۷۸۹" not in page and "09123456789" not in page


def test_a_campaign_is_one_entry_whatever_its_size(seeded_topics):
    first = copies_of(IDEAS["masks"][0], "کارزار ماسک", 4)
    DuplicateGroup.objects.filter(pk=first.duplicate_group_id).update(kind=GroupKind.CAMPAIGN)
    for member in first.duplicate_group.members.all():
        decide(member)
    page = live_hint()
    assert page.count("کارزار ماسک") == 1 and "۴ نفر" in page

"""A citizen backs an idea that is already public instead of filing a near copy: one support per idea per browser,
within the form's allowance, with a tracking code of its own; never a suggestion; refused while the idea is not
public."""

import pytest
from django.test import Client
from django.urls import reverse

from review.models import ReviewStatus
from suggestions.choices import Province, Role
from suggestions.models import Suggestion, Support
from suggestions.services import AlreadySupported, do_support_idea
from tests.reports.data import (
    draft_report,
    make_group,
    make_suggestion,
    publish,
    theme_with_accepted,
    write_summary,
)

pytestmark = pytest.mark.django_db


def support_page(browser: Client, idea) -> str:
    return browser.get(reverse("hints:support", args=[idea.pk])).content.decode()


def clock_of(page: str) -> str:
    return page.split('name="form_clock" value="')[1].split('"')[0]


def back(browser: Client, idea, **fields):
    """Open the support page in this browser and press the button, as a citizen does."""
    clock = clock_of(support_page(browser, idea))
    return browser.post(reverse("hints:support", args=[idea.pk]), {"form_clock": clock, **fields})


@pytest.fixture
def accepted_idea(db):
    return make_suggestion(status=ReviewStatus.ACCEPTED, title="نوبت‌دهی اینترنتی برای شعبه‌ها")


def test_a_citizen_backs_an_accepted_idea_and_gets_a_tracking_code(accepted_idea):
    browser = Client()
    response = back(browser, accepted_idea, role=Role.LAWYER, province=Province.FARS)
    support = Support.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("hints:support_receipt", args=[support.tracking_code])
    assert (support.idea, support.role, support.province) == (accepted_idea, Role.LAWYER, Province.FARS)
    receipt = browser.get(response["Location"]).content.decode()
    assert "حمایت شما ثبت شد" in receipt and support.display_code in receipt
    assert "نوبت‌دهی اینترنتی برای شعبه‌ها" in receipt and "حقوق‌دان" in receipt


def test_role_and_province_may_be_left_out(accepted_idea):
    assert back(Client(), accepted_idea).status_code == 302
    assert Support.objects.get().role == "" and Support.objects.get().province == ""


def test_a_support_is_never_a_suggestion_nor_analyzed_nor_queued(accepted_idea):
    before = Suggestion.objects.count()
    back(Client(), accepted_idea)
    assert Suggestion.objects.count() == before
    assert Support.objects.count() == 1


def test_a_second_support_from_the_same_browser_is_counted_once_and_shows_the_first_code(accepted_idea):
    browser = Client()
    second_tab = clock_of(support_page(browser, accepted_idea))
    back(browser, accepted_idea)
    first = Support.objects.get()
    again = browser.post(reverse("hints:support", args=[accepted_idea.pk]), {"form_clock": second_tab})
    page = again.content.decode()
    assert again.status_code == 200
    assert "پیش‌تر از همین ایده حمایت کرده‌اید" in page and first.display_code in page
    assert Support.objects.count() == 1


def test_opening_the_page_again_in_the_same_browser_says_it_was_already_counted(accepted_idea):
    browser = Client()
    back(browser, accepted_idea)
    page = support_page(browser, accepted_idea)
    assert "حمایت شما پیش‌تر شمرده شده است" in page and 'name="form_clock"' not in page


def test_two_browsers_each_count_once(accepted_idea):
    back(Client(), accepted_idea)
    back(Client(), accepted_idea)
    assert Support.objects.filter(idea=accepted_idea).count() == 2


def test_another_browsers_page_is_refused_with_a_persian_error_and_nothing_stored(accepted_idea):
    clock = clock_of(support_page(Client(), accepted_idea))
    other = Client()
    other.get(reverse("reports:track"))  # the other browser has a secret of its own
    other.cookies["csrftoken"] = "x" * 32
    response = other.post(reverse("hints:support", args=[accepted_idea.pk]), {"form_clock": clock})
    assert response.status_code == 400
    assert "مرورگر دیگری" in response.content.decode()
    assert not Support.objects.exists()


def test_a_page_for_one_idea_cannot_back_another(accepted_idea):
    other = make_suggestion(status=ReviewStatus.ACCEPTED)
    browser = Client()
    clock = clock_of(support_page(browser, accepted_idea))
    response = browser.post(reverse("hints:support", args=[other.pk]), {"form_clock": clock})
    assert response.status_code == 400
    assert "فرم معتبر نیست" in response.content.decode()
    assert not Support.objects.exists()


def test_a_support_for_an_idea_that_is_not_public_is_refused_and_nothing_stored(db):
    private = make_suggestion(title="شماره من ۰۹۱۲۳۴۵۶۷۸۹ برای هماهنگی")
    response = Client().post(reverse("hints:support", args=[private.pk]), {"form_clock": "x"})
    page = response.content.decode()
    assert response.status_code == 409
    assert "این ایده هنوز عمومی نیست" in page and "هماهنگی" not in page and "۰۹۱۲" not in page
    assert not Support.objects.exists()


def test_a_rejected_idea_cannot_be_backed(db):
    rejected = make_suggestion(status=ReviewStatus.REJECTED)
    assert Client().get(reverse("hints:support", args=[rejected.pk])).status_code == 409


def test_an_idea_taken_back_after_the_page_was_drawn_is_refused(accepted_idea):
    browser = Client()
    clock = clock_of(support_page(browser, accepted_idea))
    accepted_idea.review.status = ReviewStatus.REJECTED
    accepted_idea.review.save()
    response = browser.post(reverse("hints:support", args=[accepted_idea.pk]), {"form_clock": clock})
    assert response.status_code == 409
    assert not Support.objects.exists()


def test_an_idea_counted_in_a_published_report_can_be_backed_even_when_no_longer_accepted(reviewer, editor):
    theme, accepted = theme_with_accepted(count=3)
    write_summary(theme, by=reviewer)
    publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    idea = accepted[0]
    idea.review.status = ReviewStatus.PENDING
    idea.review.save()
    assert back(Client(), idea).status_code == 302
    assert Support.objects.get().idea_text == theme.label


def test_a_copy_in_a_duplicate_group_backs_the_groups_canonical_suggestion(accepted_idea):
    group = make_group(accepted_idea)
    copy = make_suggestion(group=group)
    assert back(Client(), copy).status_code == 302
    assert Support.objects.get().idea == accepted_idea


def test_supports_share_the_forms_allowance_per_address(accepted_idea, settings):
    settings.SUBMIT_RATE_LIMIT = "2/600"
    ideas = [
        accepted_idea,
        make_suggestion(status=ReviewStatus.ACCEPTED),
        make_suggestion(status=ReviewStatus.ACCEPTED),
    ]
    answers = [back(Client(), idea).status_code for idea in ideas]
    assert answers == [302, 302, 429]
    assert Support.objects.count() == 2


def test_track_finds_a_support_and_says_what_it_is(accepted_idea):
    back(Client(), accepted_idea)
    support = Support.objects.get()
    page = Client().get(reverse("reports:track"), {"code": support.display_code}).content.decode()
    assert "کد رهگیری یک حمایت است، نه یک پیشنهاد" in page
    assert "نوبت‌دهی اینترنتی برای شعبه‌ها" in page


def test_the_service_refuses_a_second_support_from_one_browser_and_keeps_the_first(accepted_idea):
    first = do_support_idea(idea=accepted_idea, idea_text="ایده", browser="b" * 20)
    with pytest.raises(AlreadySupported) as raised:
        do_support_idea(idea=accepted_idea, idea_text="ایده", browser="b" * 20, role=Role.CITIZEN)
    assert raised.value.earlier == first
    assert Support.objects.get().role == ""


def test_the_live_hint_offers_to_back_the_idea_and_counts_its_supporters(accepted_idea):
    back(Client(), accepted_idea)
    from reports.hints import public_hint

    [entry] = public_hint([accepted_idea])
    assert (entry.idea_id, entry.supporters) == (accepted_idea.pk, 1)


def test_a_browser_that_backed_an_idea_before_its_canonical_suggestion_changed_is_still_counted_once(accepted_idea):
    group = make_group(accepted_idea)
    other = make_suggestion(group=group, status=ReviewStatus.ACCEPTED)
    browser = Client()
    second_tab = clock_of(support_page(browser, other))
    back(browser, accepted_idea)
    group.canonical = other  # a reviewer chose the other wording to stand for the idea
    group.save()
    assert "پیش‌تر از همین ایده حمایت کرده‌اید" in support_page(browser, other)
    again = browser.post(reverse("hints:support", args=[other.pk]), {"form_clock": second_tab})
    assert again.status_code == 200 and "پیش‌تر از همین ایده حمایت کرده‌اید" in again.content.decode()
    assert Support.objects.count() == 1

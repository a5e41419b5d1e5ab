"""Browser check of ideas on the themes board at 1280 and 375 px: a theme card names its largest ideas with their
people, a theme page lists its ideas, and a reviewer splits and merges ideas from an idea's page."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from review.models import AuditEntry, ReviewStatus
from suggestions.choices import State
from suggestions.models import Idea, Suggestion, Support
from tests.factories import IdeaFactory, SuggestionFactory, ThemeFactory, UserFactory
from tests.reports.data import draft_report, make_suggestion, publish, write_summary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth + 1"


def _members(count: int, title: str, body: str) -> list[Suggestion]:
    return [SuggestionFactory(state=State.ANALYZED, title=title, body=f"{body} ({n})") for n in range(count)]


@pytest.fixture
def ideas(seeded_topics):
    hours = ThemeFactory(label="ساعت و روز رأی‌گیری")
    big = IdeaFactory(
        theme=hours,
        label="ساعت رأی‌گیری تا نیمه‌شب تمدید شود تا مردم مجبور نباشند همه در یک زمان به شعبه‌ها بروند",
        members=_members(12, "تمدید ساعت رأی‌گیری", "پیشنهاد می‌کنم ساعت رأی‌گیری تا نیمه‌شب تمدید شود"),
    )
    for n, member in enumerate(Suggestion.objects.filter(idea=big)[:3]):
        Support.objects.create(idea=member, tracking_code=f"W{n}BRWS", idea_text="متن", browser=f"w-{n}")
    two_days = IdeaFactory(
        theme=hours,
        label="رأی‌گیری در دو روز برگزار شود",
        members=_members(4, "رأی‌گیری دو روزه", "رأی‌گیری در دو روز برگزار شود تا ازدحام نشود"),
    )
    weekend = IdeaFactory(
        theme=hours,
        label="روز رأی‌گیری تعطیل رسمی باشد",
        members=_members(3, "تعطیلی روز رأی‌گیری", "روز رأی‌گیری تعطیل رسمی اعلام شود"),
    )
    masks = ThemeFactory(label="بهداشت شعبه‌ها")
    IdeaFactory(
        theme=masks,
        label="ماسک و دستکش رایگان در ورودی شعبه‌ها",
        members=_members(5, "ماسک رایگان", "در ورودی شعبه ماسک و دستکش رایگان بدهید"),
    )
    return hours, big, two_days, weekend


@pytest.fixture
def reviewer_page(page, live_server):
    reviewer = UserFactory(username="browser-idea-reviewer", groups=["reviewer"])
    client = Client()
    client.force_login(reviewer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])
    page.on("dialog", lambda dialog: dialog.accept())  # «merge» asks first
    return page


def test_a_reviewer_sees_ideas_with_their_people_and_splits_and_merges_them(
    live_server, reviewer_page, screenshot, ideas
):
    page = reviewer_page
    hours, big, two_days, weekend = ideas

    page.goto(f"{live_server.url}/review/themes/")
    card = page.locator(f"#theme-{hours.pk}")
    assert "۱۵ نفر" in card.inner_text() and "ایده‌های بزرگ" in card.inner_text()
    screenshot("ideas-board-1280")

    page.goto(f"{live_server.url}/review/themes/{hours.pk}/")
    rows = page.locator(".idea-row")
    assert rows.count() == 3 and "۱۵ نفر" in rows.first.inner_text()
    assert "۱۲ پیشنهاد، ۳ حامی" in rows.first.inner_text()
    screenshot("ideas-theme-1280")

    page.click(f"a:has-text('{two_days.label}')")
    page.wait_for_url(f"**/review/ideas/{two_days.pk}/")
    page.locator("input[name=suggestions]").first.check()
    page.fill("#idea-split-label", "رأی‌گیری دو روزه فقط در شهرهای بزرگ")
    page.click("button:has-text('جدا کردن')")
    page.wait_for_selector("text=۱ پیشنهاد به ایدهٔ تازهٔ «رأی‌گیری دو روزه فقط در شهرهای بزرگ» رفت.")
    screenshot("ideas-idea-after-split-1280")

    page.select_option("#idea-merge-target", str(weekend.pk))
    page.click("#idea-page button:has-text('ادغام')")
    page.wait_for_url(f"**/review/ideas/{weekend.pk}/")
    page.wait_for_selector(f"text=ایدهٔ «{two_days.label}» در این ایده ادغام شد.")
    weekend.refresh_from_db()
    assert weekend.size == 6 and not Idea.objects.get(pk=two_days.pk).is_active
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {"ideas.split", "ideas.merge"}

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/review/ideas/{weekend.pk}/")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot("ideas-idea-375")
    page.goto(f"{live_server.url}/review/themes/{hours.pk}/")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot("ideas-theme-375")
    page.goto(f"{live_server.url}/review/themes/")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot("ideas-board-375")


def test_a_published_report_counts_people_per_idea_at_1280_and_375_px(live_server, page, screenshot, seeded_topics):
    author = UserFactory(username="browser-idea-author", groups=["reviewer"])
    editor = UserFactory(username="browser-idea-editor", groups=["editor"])
    theme = ThemeFactory(label="ساعت و روز رأی‌گیری")
    members = [make_suggestion(theme=theme, status=ReviewStatus.ACCEPTED) for _ in range(6)]
    idea = IdeaFactory(theme=theme, label="ساعت رأی‌گیری تا نیمه‌شب تمدید شود", members=members)
    Support.objects.create(idea=members[0], tracking_code="RPBRWS", idea_text="متن", browser="r-1")
    IdeaFactory(
        theme=theme, label="روز رأی‌گیری تعطیل رسمی باشد", members=[make_suggestion(theme=theme) for _ in range(3)]
    )
    write_summary(theme, by=author)
    version = publish(draft_report(author=author, themes=[theme]), author=author, editor=editor)
    url = live_server.url + reverse("reports:version", args=[version.report_id, version.number])

    page.goto(url)
    ideas = page.locator(".report-idea")
    assert ideas.count() == 2 and "۷ نفر" in ideas.first.inner_text() and idea.label in ideas.first.inner_text()
    ideas.first.scroll_into_view_if_needed()
    screenshot("ideas-report-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(url)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot("ideas-report-375")

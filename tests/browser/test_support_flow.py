"""A citizen backs an idea already public instead of writing it again: from the hint under the form, and from a
quote in a published report; at 1280 px and on a 375 px phone, with screenshots of each step."""

import pytest

from review.models import ReviewStatus
from suggestions.models import Suggestion, Support
from suggestions.services import idea_of
from tests.browser.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def back_the_idea(page, size: str, step: str) -> str:
    """On a support page: pick a role and a province, press the button; the receipt's code."""
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.evaluate(FITS), "the support page is wider than the screen"
    page.select_option("#id_role", "journalist")
    page.select_option("#id_province", "fars")
    shot(page, f"support-{step}-form-{size}")
    page.click("#support-form button[type=submit]")
    page.wait_for_selector("#tracking-code")
    assert page.evaluate(FITS), "the support receipt is wider than the screen"
    shot(page, f"support-{step}-receipt-{size}")
    return page.inner_text("#tracking-code")


@pytest.mark.parametrize("size", WIDTHS)
def test_a_citizen_backs_an_idea_from_the_hint_instead_of_writing_it_again(live_server, browser, size, seeded_topics):
    from tests.factories import AnalyzedSuggestionFactory, DuplicateGroupFactory
    from tests.security.test_public_hint import decide
    from tests.suggestions.ideas import IDEAS

    made = {
        (name, number): AnalyzedSuggestionFactory(title=f"{name} {number}", body=body)
        for name, bodies in IDEAS.items()
        for number, body in enumerate(bodies)
    }
    idea = decide(AnalyzedSuggestionFactory(title="ماسک و دستکش رایگان در شعبه", body=IDEAS["masks"][0]))
    DuplicateGroupFactory(members=[made["masks", 0], idea])  # the same text sent twice: one group
    suggestions_before = Suggestion.objects.count()

    context = browser.new_context(locale="fa-IR", viewport=WIDTHS[size])
    page = context.new_page()
    page.goto(f"{live_server.url}/suggest/")
    page.fill("#id_title", "ماسک رایگان")
    page.fill("#id_body", "ماسک و دستکش رایگان در ورودی شعبه‌ها به رأی‌دهندگان داده شود")
    box = page.wait_for_selector(".similar-box")
    box.scroll_into_view_if_needed()
    shot(page, f"support-hint-{size}")
    assert "ماسک و دستکش رایگان در شعبه" in box.inner_text()
    with context.expect_page() as opened:  # a new tab: the half-written form stays where it was
        box.query_selector(".support-button").click()
    tab = opened.value
    tab.wait_for_selector("#support-form")
    assert "ماسک و دستکش رایگان در شعبه" in tab.inner_text("main")
    code = back_the_idea(tab, size, "hint")

    support = Support.objects.get()
    # The same text was sent before: the support counts for the group's canonical suggestion, the idea.
    assert (support.idea, support.display_code, support.role) == (idea_of(idea), code, "journalist")
    assert Suggestion.objects.count() == suggestions_before  # never a new suggestion
    assert page.input_value("#id_title") == "ماسک رایگان"

    tab.goto(f"{live_server.url}/suggest/idea/{idea.pk}/support/")  # the copy's page finds the same idea
    assert "حمایت شما پیش‌تر شمرده شده است" in tab.inner_text("main") and code in tab.inner_text("main")
    assert tab.evaluate(FITS)
    shot(tab, f"support-hint-already-{size}")

    tab.goto(f"{live_server.url}/track/")
    tab.fill("#id_code", code)
    tab.click("button[type=submit]")
    tab.wait_for_selector(".support-track")
    assert "کد رهگیری یک حمایت است، نه یک پیشنهاد" in tab.inner_text("main")
    shot(tab, f"support-track-{size}")

    page.fill("#id_body", "ماسک و دستکش رایگان در ورودی شعبه‌ها به رأی‌دهندگان داده شود.")
    page.wait_for_selector(".similar-box >> text=۱ حامی")  # the hint now counts the support beside the copies
    context.close()


@pytest.mark.parametrize("size", WIDTHS)
def test_a_citizen_backs_an_idea_quoted_in_a_published_report(
    live_server, browser, size, reviewer, editor, seeded_topics
):
    from tests.reports.data import (
        draft_report,
        make_suggestion,
        publish,
        quote_and_confirm,
        theme_with_accepted,
        write_summary,
    )

    theme, accepted = theme_with_accepted(
        label="صندوق سیار", count=3, body="برای سالمندان و بیماران صندوق سیار به خانه‌ها بفرستید تا رأی بدهند."
    )
    write_summary(theme, by=reviewer)
    quote_and_confirm(theme, accepted[0], by=reviewer)
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    private = make_suggestion(title="هنوز کسی نخوانده", status=ReviewStatus.PENDING)

    context = browser.new_context(locale="fa-IR", viewport=WIDTHS[size])
    page = context.new_page()
    page.goto(f"{live_server.url}/reports/{version.report_id}/v/{version.number}/")
    button = page.wait_for_selector(".report-quote-support a")
    button.scroll_into_view_if_needed()
    shot(page, f"support-report-quote-{size}")
    assert page.evaluate(FITS)
    button.click()
    page.wait_for_selector("#support-form")
    back_the_idea(page, size, "report")
    assert Support.objects.get().idea == accepted[0]

    page.goto(f"{live_server.url}/suggest/idea/{private.pk}/support/")
    assert "این ایده هنوز عمومی نیست" in page.inner_text("main")
    assert "هنوز کسی نخوانده" not in page.inner_text("body")
    assert page.evaluate(FITS)
    shot(page, f"support-not-public-{size}")
    assert Support.objects.count() == 1
    context.close()


@pytest.mark.parametrize("size", WIDTHS)
def test_staff_read_suggestions_and_supporters_side_by_side(live_server, browser, size, seeded_topics):
    from review.queries import dashboard_figures
    from suggestions.services import do_support_idea
    from tests.browser.test_report_flow import sign_in
    from tests.factories import ThemeMembershipFactory, UserFactory
    from tests.reports.data import make_group, make_suggestion, theme_with_accepted

    theme, accepted = theme_with_accepted(label="صندوق سیار", count=1, title="صندوق سیار برای سالمندان")
    group = make_group(accepted[0])
    for _ in range(2):
        ThemeMembershipFactory(suggestion=make_suggestion(group=group, title="صندوق سیار برای سالمندان"), theme=theme)
    group.size = 3
    group.save()
    theme.size = 3
    theme.save()
    for n in range(2):
        do_support_idea(idea=accepted[0], idea_text="صندوق سیار", browser=f"browser-{n}")
    dashboard_figures(refresh=True)

    context = browser.new_context(locale="fa-IR", viewport=WIDTHS[size])
    page = context.new_page()
    sign_in(page, live_server, UserFactory(username="support-reviewer", groups=["reviewer"]))
    for name, path, shown in (
        ("queue", "/review/?status=all", "۳ پیشنهاد، ۲ حامی"),
        ("review-page", f"/review/{accepted[0].pk}/", "این ایده: ۳ پیشنهاد، ۲ حامی"),
        ("duplicates", f"/review/duplicates/{group.pk}/", "۳ پیشنهاد، ۲ حامی"),
        ("themes", "/review/themes/", "۳ پیشنهاد، ۲ حامی"),
        ("dashboard", "/review/dashboard/", "۳ پیشنهاد، ۲ حامی"),
    ):
        page.goto(f"{live_server.url}{path}")
        counts = page.wait_for_selector(".idea-counts" if name != "dashboard" else "#idea-counts")
        counts.scroll_into_view_if_needed()
        assert shown in " ".join(page.inner_text("main").split()), name
        assert page.get_attribute("html", "dir") == "rtl"
        shot(page, f"support-counts-{name}-{size}")
    context.close()

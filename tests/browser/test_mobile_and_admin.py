"""On a phone the menu folds behind a button that opens on tap and nothing touches the screen's edge; the admin
is Persian, right to left, with Jalali dates. Screenshots at 1280 and 375 px for people to look at."""

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import SuggestionFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}
EDGE = 8  # pixels of breathing room a link keeps from either side of the screen

# Every visible link or button in the header, and how far each stays from the screen's sides.
EDGE_GAPS = """() => [...document.querySelectorAll('header a, header button')]
  .filter(el => el.offsetParent !== null)
  .map(el => { const r = el.getBoundingClientRect();
               return {text: el.innerText.trim(), left: r.left, right: window.innerWidth - r.right}; })"""


def sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])


def assert_nothing_touches_the_edges(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    for gap in page.evaluate(EDGE_GAPS):
        assert gap["left"] >= EDGE and gap["right"] >= EDGE, gap


def test_on_a_phone_the_menu_folds_behind_a_button_that_opens_on_tap(live_server, page, screenshot, seeded_topics):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/")
    toggler = page.locator("header .navbar-toggler")
    staff_login = page.locator("header a.staff-login-link")
    assert toggler.is_visible() and toggler.get_attribute("aria-expanded") == "false"
    assert not staff_login.is_visible()
    assert_nothing_touches_the_edges(page)
    screenshot("home-375")

    toggler.click()
    staff_login.wait_for(state="visible")
    page.locator("#site-menu.collapse.show").wait_for()  # the opening animation has ended
    assert toggler.get_attribute("aria-expanded") == "true"
    assert_nothing_touches_the_edges(page)
    screenshot("home-375-menu-open")
    page.locator("header").get_by_role("link", name="ثبت پیشنهاد").click()
    page.wait_for_url("**/suggest/")
    assert_nothing_touches_the_edges(page)
    screenshot("suggest-375")

    page.goto(f"{live_server.url}/reports/")
    assert_nothing_touches_the_edges(page)
    screenshot("reports-375")


def test_on_a_desktop_the_whole_menu_shows_without_a_button(live_server, page, screenshot, seeded_topics):
    page.set_viewport_size(DESKTOP)
    for path, name in (("/", "home-1280"), ("/suggest/", "suggest-1280"), ("/reports/", "reports-1280")):
        page.goto(f"{live_server.url}{path}")
        assert not page.locator("header .navbar-toggler").is_visible()
        assert page.locator("header a.staff-login-link").is_visible()
        assert_nothing_touches_the_edges(page)
        screenshot(name)


def test_the_admin_is_persian_right_to_left_with_jalali_dates_on_a_desktop_and_a_phone(
    live_server, page, screenshot, seeded_topics
):
    SuggestionFactory()
    sign_in(page, live_server, UserFactory(username="browser-admin", is_staff=True, is_superuser=True))
    for viewport, suffix in ((DESKTOP, "1280"), (PHONE, "375")):
        page.set_viewport_size(viewport)
        page.goto(f"{live_server.url}/admin/")
        assert page.get_attribute("html", "dir") == "rtl"
        index = page.inner_text("#content")
        for leftover in ("AXES", "Axes", "OTP_TOTP", "TOTP devices", "Access"):
            assert leftover not in index, leftover
        screenshot(f"admin-index-{suffix}")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/admin/suggestions/suggestion/")
    listing = page.inner_text("#result_list")
    assert "۱۴۰" in listing and "202" not in listing
    screenshot("admin-suggestions-1280")


def test_a_signed_in_editors_menu_on_a_phone_keeps_clear_of_the_edges(live_server, page, screenshot, seeded_topics):
    sign_in(page, live_server, UserFactory(username="phone-menu-editor", groups=["editor"], is_staff=True))
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/")
    page.locator("header .navbar-toggler").click()
    page.locator("#site-menu.collapse.show").wait_for()
    for name in ("میز کار بررسی", "مدیریت"):
        assert page.locator("header").get_by_role("link", name=name).is_visible()
    assert page.locator("header").get_by_role("button", name="خروج").is_visible()
    assert_nothing_touches_the_edges(page)
    screenshot("home-375-editor-menu-open")


def test_the_header_offers_the_admin_to_an_editor_and_not_to_a_reviewer(live_server, page, seeded_topics):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, UserFactory(username="browser-reviewer", groups=["reviewer"]))
    page.goto(f"{live_server.url}/")
    assert page.locator("header a[href='/admin/']").count() == 0

    page.context.clear_cookies()
    sign_in(page, live_server, UserFactory(username="browser-editor", groups=["editor"], is_staff=True))
    page.goto(f"{live_server.url}/")
    page.locator("header a[href='/admin/']").click()
    page.wait_for_url("**/admin/")
    assert "موضوع" in page.inner_text("#content")


def test_an_editor_on_a_phone_confirms_before_publishing(live_server, page, screenshot, seeded_topics):
    from reports import services
    from reports.models import ReportStatus, ReportVersion
    from tests.reports.data import draft_report, quote_and_confirm, theme_with_accepted, write_summary

    author = UserFactory(username="phone-author", groups=["reviewer"])
    theme, accepted = theme_with_accepted("ساعت رأی‌گیری", count=4)
    write_summary(theme, by=author)
    quote_and_confirm(theme, accepted[0], by=author)
    version = services.submit_report(version=draft_report(author=author, themes=[theme]), submitter=author)
    editor = UserFactory(username="phone-editor", groups=["editor"])
    version = services.approve_report(version=version, editor=editor)
    sign_in(page, live_server, editor)

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/review/reports/{version.pk}/")
    page.click("#publish-report")
    page.wait_for_selector("#publish-confirm")
    assert_nothing_touches_the_edges(page)
    screenshot("report-publish-confirm-375")
    page.click("#publish-confirm")  # without ticking the box
    page.wait_for_selector("#confirm-error")
    assert ReportVersion.objects.get(pk=version.pk).status == ReportStatus.APPROVED
    page.check("#id_confirm")
    page.click("#publish-confirm")
    page.wait_for_selector("#correct-report")
    assert ReportVersion.objects.get(pk=version.pk).status == ReportStatus.PUBLISHED

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/reports/")
    assert_nothing_touches_the_edges(page)
    screenshot("reports-375-published")
    page.click(f"text={version.title}")
    page.wait_for_selector(f"#theme-{theme.pk}")
    screenshot("report-public-375")

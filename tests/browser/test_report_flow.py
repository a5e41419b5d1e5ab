"""An editor approves and publishes a report in the browser, and the public reads it, charts and all."""

import pytest
from django.conf import settings
from django.test import Client

from reports import services
from review.models import ReviewStatus
from suggestions.choices import Province, Role
from tests.factories import UserFactory
from tests.reports.data import (
    draft_report,
    make_suggestion,
    quote_and_confirm,
    theme_with_accepted,
    write_summary,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def submitted_report(seeded_topics):
    author = UserFactory(username="browser-author", groups=["reviewer"])
    voting, accepted = theme_with_accepted("ساعت رأی‌گیری", count=5, role=Role.CITIZEN, province=Province.TEHRAN)
    health, more = theme_with_accepted("پروتکل‌های بهداشتی", count=4, role=Role.SOCIAL_ACTIVIST, province=Province.FARS)
    for _ in range(3):
        make_suggestion(theme=health, status=ReviewStatus.ACCEPTED, role=Role.LAWYER, province=Province.KHUZESTAN)
    planted = make_suggestion(
        theme=voting,
        status=ReviewStatus.ACCEPTED,
        body="ساعت رأی‌گیری تا نیمه‌شب تمدید شود. برای هماهنگی با ۰۹۱۲۷۷۳۴۴۵۶ تماس بگیرید.",
    )
    write_summary(voting, by=author, text="بیشتر پیشنهادها **تمدید ساعت** رأی‌گیری را می‌خواستند.")
    write_summary(health, by=author, text="ماسک و دستکش رایگان در ورودی شعبه‌ها خواستهٔ بیشتر پیشنهادها بود.")
    quote_and_confirm(voting, planted, by=author)
    quote_and_confirm(health, more[0], by=author)
    version = draft_report(author=author, themes=[voting, health], title="گزارش هم‌اندیشی انتخابات ۱۴۰۰")
    return services.submit_report(version=version, submitter=author), voting, planted


def sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])


def test_an_editor_approves_and_publishes_and_the_public_reads_it(live_server, page, screenshot, submitted_report):
    version, voting, planted = submitted_report
    sign_in(page, live_server, UserFactory(username="browser-editor", groups=["editor"]))

    page.goto(f"{live_server.url}/review/reports/{version.pk}/")
    assert page.get_attribute("html", "dir") == "rtl"
    screenshot("report-submitted")
    page.click("#approve-report")
    page.wait_for_selector("#publish-report")
    assert "گزارش تأیید شد" in page.inner_text("main")
    page.click("#publish-report")
    page.wait_for_selector("#publish-confirm")
    assert "انتشار برگشت‌پذیر نیست" in page.inner_text("main")
    screenshot("report-publish-confirm")
    page.check("#id_confirm")
    page.click("#publish-confirm")
    page.wait_for_selector("#correct-report")
    screenshot("report-published-staff")

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/reports/")
    screenshot("reports-list")
    page.click("text=گزارش هم‌اندیشی انتخابات ۱۴۰۰")
    page.wait_for_selector(f"#theme-{voting.pk}")
    page.wait_for_function("document.querySelectorAll('canvas[data-chart]').length > 0")
    page.wait_for_function(
        "[...document.querySelectorAll('canvas[data-chart]')].every(c => window.Chart && window.Chart.getChart(c))"
    )
    assert page.locator("h1").count() == 1
    main = page.inner_text("main")
    assert "۰۹۱۲۷۷۳۴۴۵۶" not in main and "[شمارهٔ تلفن حذف شد]" in main
    screenshot("report-public")
    page.click(f"#theme-{voting.pk} a.permalink")
    assert page.url.endswith(f"/reports/{version.report_id}/v/1/#theme-{voting.pk}")

    page.goto(f"{live_server.url}/track/?code={planted.tracking_code}")
    page.wait_for_selector(".fate")
    assert "گزارش هم‌اندیشی انتخابات ۱۴۰۰" in page.inner_text(".fate")
    screenshot("track-fate")


def test_a_reviewer_quotes_a_suggestion_and_confirms_its_redaction(live_server, page, screenshot, seeded_topics):
    reviewer = UserFactory(username="browser-quoter", groups=["reviewer"])
    theme, accepted = theme_with_accepted("صندوق سیار", count=2)
    planted = make_suggestion(
        theme=theme,
        status=ReviewStatus.ACCEPTED,
        title="صندوق سیار برای سالمندان",
        body="برای سالمندان صندوق سیار بفرستید؛ شمارهٔ من ۰۹۱۲۷۷۳۴۴۵۶ است.",
    )
    sign_in(page, live_server, reviewer)
    page.goto(f"{live_server.url}/review/reports/themes/{theme.pk}/")
    page.fill("#id_text", "سالمندان و بیماران **صندوق سیار** می‌خواهند.")
    page.click("text=ذخیرهٔ خلاصه")
    page.wait_for_selector(".alert-success")
    page.select_option("#id_suggestion", str(planted.pk))
    page.fill("#id_excerpt", planted.body)
    page.click("text=افزودن و پوشاندن اطلاعات شخصی")
    page.wait_for_selector(".quote-card")
    assert "[شمارهٔ تلفن حذف شد]" in page.inner_text(".quote-redacted")
    screenshot("report-quote-redaction")
    page.click("text=متن پوشانده را خواندم؛ تأیید")
    page.wait_for_selector(".quote-card .text-bg-success")
    screenshot("report-quote-confirmed")

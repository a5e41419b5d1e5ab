"""Persian script-injection payloads sent through the form never run, on any page that shows them."""

import pytest

from suggestions.models import DuplicateGroup, Suggestion, Theme
from tests.factories import AnalyzedSuggestionFactory, ThemeMembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYLOADS = [
    "پیشنهاد من <script>alert('xss')</script> برای شعبه‌ها",
    'ماسک رایگان <img src=x onerror="alert(1)"> در ورودی شعبه‌ها',
    'برای جزئیات <a href="javascript:alert(2)">اینجا</a> را ببینید',
    "تمدید ساعت \u202egnp.exe\u202c رأی‌گیری <svg onload=alert(3)>",
    "\"><script>confirm('x')</script><p title=\"",
]
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective));
"""


@pytest.fixture
def watched(page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(WATCH)
    return page, dialogs


def visit(page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__violations")


def test_payloads_submitted_through_the_form_run_nowhere(live_server, watched, screenshot, settings, seeded_topics):
    page, dialogs = watched
    settings.FORM_MIN_FILL_SECONDS = 0
    page.goto(f"{live_server.url}/suggest/")
    page.select_option("#id_role", "citizen")
    page.select_option("#id_province", "tehran")
    page.select_option("#id_topic", index=1)
    page.fill("#id_title", "<script>alert('title')</script> عنوان")
    page.fill("#id_body", PAYLOADS[0] + " " + PAYLOADS[1])
    page.click("#submit-id-submit")
    page.wait_for_selector("#tracking-code")
    submitted = Suggestion.objects.get()

    theme = Theme.objects.create(label="<b>محور</b> <script>alert(9)</script>", keywords=["<i>ماسک</i>"], size=5)
    made = [
        AnalyzedSuggestionFactory(title=f"عنوان {n} <img src=x onerror=alert({n})>", body=payload)
        for n, payload in enumerate(PAYLOADS)
    ]
    for suggestion in made:
        ThemeMembershipFactory(suggestion=suggestion, theme=theme)
    group = DuplicateGroup.objects.create(canonical=made[0], size=2)
    Suggestion.objects.filter(pk__in=[made[0].pk, made[1].pk]).update(duplicate_group=group)

    pages = [f"/suggest/receipt/{submitted.tracking_code}/", f"/track/?code={submitted.tracking_code}"]
    violations = {url: visit(page, live_server.url + url) for url in pages}

    UserFactory(username="xss-reviewer", groups=["reviewer"])
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "xss-reviewer")
    page.fill("#id_password", "pass-1400-word")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    staff_pages = [
        "/review/",
        f"/review/{made[0].pk}/",
        f"/review/{made[3].pk}/",
        f"/review/duplicates/{group.pk}/",
        "/review/themes/",
        f"/review/themes/{theme.pk}/",
    ]
    for url in staff_pages:
        violations[url] = visit(page, live_server.url + url)
    screenshot("xss-review-page")

    assert dialogs == []
    assert {url: found for url, found in violations.items() if found} == {}
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0


def test_payloads_quoted_in_a_published_report_run_nowhere_and_stay_text_in_the_pdf(
    live_server, watched, seeded_topics
):
    import subprocess
    import urllib.request

    from review.models import ReviewStatus
    from tests.reports.data import draft_report, make_suggestion, publish, quote_and_confirm, write_summary

    page, dialogs = watched
    author = UserFactory(username="xss-author", groups=["reviewer"])
    editor = UserFactory(username="xss-editor", groups=["editor"])
    theme = Theme.objects.create(
        label="محور <script>alert('label')</script>", keywords=["<b>x</b>"], size=len(PAYLOADS)
    )
    quoted = [make_suggestion(theme=theme, status=ReviewStatus.ACCEPTED, body=payload) for payload in PAYLOADS]
    write_summary(
        theme,
        by=author,
        text="خلاصه <script>alert('md')</script> [پیوند](javascript:alert(5)) <img src=x onerror=alert(6)>",
    )
    for suggestion in quoted[:3]:
        quote_and_confirm(theme, suggestion, by=author)
    version = publish(
        draft_report(author=author, themes=[theme], title="گزارش <svg onload=alert(7)>"), author=author, editor=editor
    )

    url = f"{live_server.url}/reports/{version.report_id}/v/{version.number}/"
    violations = visit(page, url)
    assert dialogs == [] and violations == []
    assert page.evaluate("document.querySelectorAll('a[href^=\"javascript:\"]').length") == 0
    assert (
        page.evaluate(
            "document.querySelectorAll('main script:not([type=\"application/json\"]), [onerror], [onload]').length"
        )
        == 0
    )

    pdf = urllib.request.urlopen(url + "report.pdf", timeout=120).read()
    assert pdf.startswith(b"%PDF")
    assert b"/JavaScript" not in pdf and b"/JS " not in pdf
    try:
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    except FileNotFoundError:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    assert "alert" not in text or "<" in text  # payloads appear, if at all, as the letters people typed

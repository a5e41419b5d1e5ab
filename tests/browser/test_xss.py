"""Persian script-injection payloads sent through the form never run, on any page that shows them."""

import pytest

from suggestions.models import DuplicateGroup, Suggestion, Theme
from tests.factories import UserFactory
from tests.review.conftest import analysed, place

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
        analysed(title=f"عنوان {n} <img src=x onerror=alert({n})>", body=payload) for n, payload in enumerate(PAYLOADS)
    ]
    for suggestion in made:
        place(suggestion, theme)
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

import pytest

from suggestions.models import Suggestion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_citizen_sends_a_suggestion_and_finds_it_by_its_code(live_server, page, screenshot, settings, seeded_topics):
    settings.FORM_MIN_FILL_SECONDS = 0
    page.goto(f"{live_server.url}/suggest/")
    page.select_option("#id_role", "social_activist")
    page.select_option("#id_province", "khuzestan")
    page.select_option("#id_topic", label="پروتکل‌های بهداشتی در شعبه‌های اخذ رأی")
    page.fill("#id_title", "ضدعفونی صندوق‌ها در هر ساعت")
    page.fill("#id_body", "پیشنهاد می‌کنم صندوق‌ها و میزهای شعبه هر ساعت ضدعفونی شوند تا سلامت مردم حفظ شود.")
    screenshot("suggest-form")
    page.click("#submit-id-submit")

    page.wait_for_selector("#tracking-code")
    shown_code = page.inner_text("#tracking-code")
    screenshot("receipt")
    stored = Suggestion.objects.get()
    assert shown_code == stored.display_code

    page.goto(f"{live_server.url}/track/")
    page.fill("#id_code", shown_code)
    page.click("button[type=submit]")
    page.wait_for_selector(".state-badge")
    screenshot("track")
    assert "ضدعفونی صندوق‌ها در هر ساعت" in page.inner_text("main")
    assert page.get_attribute("html", "dir") == "rtl"


def test_similar_suggestions_appear_under_the_body_as_the_citizen_types(live_server, page, screenshot, seeded_topics):
    from suggestions import pipeline
    from tests.suggestions.ideas import IDEAS, analysed

    for name, bodies in IDEAS.items():
        for number, body in enumerate(bodies):
            analysed(body, title=f"{name} {number}")
    for _ in range(2):
        analysed(IDEAS["masks"][0], title="masks 0")
    pipeline.recluster()

    page.goto(f"{live_server.url}/suggest/")
    page.locator("#id_body").press_sequentially("ماسک و دستکش رایگان در ورودی شعبه‌ها داده شود", delay=20)
    box = page.wait_for_selector(".similar-box")
    screenshot("suggest-form-similar")
    listed = box.inner_text()
    assert "آیا پیشنهاد مشابهی قبلاً ثبت شده است؟" in listed
    assert listed.count("masks 0") == 1 and "(۳ بار ثبت شده)" in listed
    assert 1 < len(box.query_selector_all("li")) <= 5

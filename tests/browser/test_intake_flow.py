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

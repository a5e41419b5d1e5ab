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
    page.wait_for_selector("#similar-heading")  # fetched after the page, with only what was let out
    assert "هنوز ایدهٔ مشابهی بررسی و منتشر نشده است." in page.inner_text("main")
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


HIDDEN_VALUES = """() => ["form_clock", "idempotency_key"].map(n => document.querySelector(`[name=${n}]`).value)"""
RESTORE_HIDDEN_VALUES = """values => ["form_clock", "idempotency_key"].forEach(
    (n, i) => { document.querySelector(`[name=${n}]`).value = values[i]; })"""


def fill_the_form(page):
    page.select_option("#id_role", "social_activist")
    page.select_option("#id_province", "khuzestan")
    page.select_option("#id_topic", label="پروتکل‌های بهداشتی در شعبه‌های اخذ رأی")
    page.fill("#id_title", "ضدعفونی صندوق‌ها در هر ساعت")
    page.fill("#id_body", "پیشنهاد می‌کنم صندوق‌ها و میزهای شعبه هر ساعت ضدعفونی شوند تا سلامت مردم حفظ شود.")


def test_similar_ideas_a_reviewer_let_out_appear_once_each_as_links_as_the_citizen_types(
    live_server, page, screenshot, seeded_topics, reviewer, editor
):
    from tests.factories import AnalyzedSuggestionFactory, DuplicateGroupFactory, ThemeFactory, ThemeMembershipFactory
    from tests.reports.data import draft_report, publish, write_summary
    from tests.security.test_public_hint import decide
    from tests.suggestions.ideas import IDEAS

    made = {
        (name, number): AnalyzedSuggestionFactory(title=f"{name} {number}", body=body)
        for name, bodies in IDEAS.items()
        for number, body in enumerate(bodies)
    }
    copies = [AnalyzedSuggestionFactory(title="masks 0", body=IDEAS["masks"][0]) for _ in range(2)]
    DuplicateGroupFactory(members=[made["masks", 0], *copies])  # one text sent three times
    theme = ThemeFactory(label="ماسک و دستکش رایگان", keywords=[])
    ThemeMembershipFactory(suggestion=copies[0], theme=theme)
    decide(copies[0], theme=theme)
    decide(AnalyzedSuggestionFactory(title="ماسک مجانی برای رأی‌دهندگان", body=IDEAS["masks"][1]))
    write_summary(theme, by=reviewer)
    publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)

    page.goto(f"{live_server.url}/suggest/")
    # One input event, so that one look-up answers (typing key by key races several against each other).
    page.fill("#id_body", "ماسک و دستکش رایگان در ورودی شعبه‌ها داده شود")
    box = page.wait_for_selector(".similar-box")
    screenshot("suggest-form-similar")
    listed = box.inner_text()
    assert "آیا پیشنهاد مشابهی قبلاً ثبت شده است؟" in listed
    assert listed.count("masks 0") == 1 and "۳ نفر" in listed
    assert "ماسک مجانی برای رأی‌دهندگان" in listed
    assert "masks 1" not in listed and "hours" not in listed  # never reviewed: never shown
    link = box.query_selector("a[href*='#theme-']")
    assert link is not None and link.get_attribute("target") == "_blank"
    page.set_viewport_size({"width": 375, "height": 800})
    screenshot("suggest-form-similar-375")


def test_a_form_sent_too_fast_says_so_once_and_marks_no_field(live_server, page, screenshot, settings, seeded_topics):
    settings.FORM_MIN_FILL_SECONDS = 600
    page.goto(f"{live_server.url}/suggest/")
    fill_the_form(page)
    page.click("#submit-id-submit")
    page.wait_for_selector("text=فرم خیلی سریع فرستاده شد")
    screenshot("suggest-too-fast")
    main = page.inner_text("main")
    assert main.count("فرم خیلی سریع فرستاده شد") == 1
    assert "فرم کامل نیست" not in main
    assert page.query_selector_all(".is-invalid") == []
    assert page.input_value("#id_title") == "ضدعفونی صندوق‌ها در هر ساعت"
    assert not Suggestion.objects.exists()
    page.set_viewport_size({"width": 375, "height": 800})
    screenshot("suggest-too-fast-375")


def test_going_back_and_sending_other_text_keeps_it_and_sends_it_as_a_new_suggestion(
    live_server, page, screenshot, settings, seeded_topics
):
    settings.FORM_MIN_FILL_SECONDS = 0
    page.goto(f"{live_server.url}/suggest/")
    fill_the_form(page)
    handed = page.evaluate(HIDDEN_VALUES)
    page.click("#submit-id-submit")
    page.wait_for_selector("#tracking-code")
    first_code = page.inner_text("#tracking-code")

    page.go_back()
    page.wait_for_selector("#id_body")
    if page.evaluate(HIDDEN_VALUES) != handed:
        # This browser drew the page afresh; one that restores it from its cache sends the old values again.
        fill_the_form(page)
        page.evaluate(RESTORE_HIDDEN_VALUES, handed)
    other = "پیشنهاد دیگری: برای سالمندان صف جداگانه و صندلی در هر شعبه در نظر گرفته شود تا منتظر نمانند."
    page.fill("#id_body", other)
    page.click("#submit-id-submit")
    page.wait_for_selector("text=متن تازهٔ شما ثبت نشد")
    screenshot("suggest-sent-again-with-other-text")
    assert page.input_value("#id_body") == other
    assert Suggestion.objects.count() == 1

    page.click("#submit-id-submit")
    page.wait_for_selector("#tracking-code")
    assert page.inner_text("#tracking-code") != first_code
    assert Suggestion.objects.filter(body=other).count() == 1 and Suggestion.objects.count() == 2

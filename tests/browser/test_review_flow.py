import pytest
from django.utils import timezone

from review.models import Review, ReviewStatus
from suggestions.models import Theme
from tests.factories import AnalyzedSuggestionFactory, ThemeMembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IDEAS = [
    ("تمدید ساعت رأی‌گیری تا نیمه‌شب", "ساعت رأی‌گیری تا نیمه‌شب تمدید شود تا مراجعه مردم در طول روز پخش شود."),
    ("خرید تبلیغاتی ارزان", "برای خرید ارزان‌ترین بلیت هواپیما همین حالا به این نشانی سر بزنید."),
    ("تمدید ساعت رای گیری تا نیمه شب", "ساعت رای گیری تا نیمه شب تمدید شود تا مراجعه مردم در طول روز پخش شود."),
]


def test_a_reviewer_triages_three_suggestions_with_the_keyboard(live_server, page, screenshot, seeded_topics):
    UserFactory(username="sara", groups=["reviewer"])
    theme = Theme.objects.create(label="ساعت و روزهای رأی‌گیری", keywords=["ساعت", "رأی‌گیری"], size=3)
    made = []
    for minutes, (title, body) in zip((50, 40, 30), IDEAS, strict=True):
        suggestion = AnalyzedSuggestionFactory(
            title=title, body=body, created_at=timezone.now() - timezone.timedelta(minutes=minutes)
        )
        ThemeMembershipFactory(suggestion=suggestion, theme=theme)
        made.append(suggestion)
    for n in range(4):
        AnalyzedSuggestionFactory(title=f"پیشنهاد دیگری دربارهٔ شعبه‌ها {n}", province="fars", role="lawyer")

    page.goto(f"{live_server.url}/accounts/login/?next=/review/")
    page.fill("#id_username", "sara")
    page.fill("#id_password", "pass-1400-word")
    page.click("button[type=submit]")
    page.wait_for_selector(".queue-table")
    assert page.get_attribute("html", "dir") == "rtl"
    page.keyboard.press("j")  # the first row is highlighted
    screenshot("review-queue")

    page.keyboard.press("n")  # «next»: claim the oldest free suggestion
    page.wait_for_url(f"**/review/{made[0].pk}/**")
    page.wait_for_selector("#decision-panel")
    screenshot("review-page")
    page.keyboard.press("a")  # accept into the theme the analysis proposed
    page.wait_for_selector("text=پذیرش ثبت شد")

    page.keyboard.press("j")
    page.wait_for_url(f"**/review/{made[1].pk}/**")
    page.keyboard.press("r")
    page.keyboard.press("1")  # first reason: spam
    page.wait_for_selector("text=رد ثبت شد")

    page.keyboard.press("j")
    page.wait_for_url(f"**/review/{made[2].pk}/**")
    page.keyboard.press("d")
    page.keyboard.type(str(made[0].pk))
    page.keyboard.press("Enter")
    page.wait_for_selector("text=به‌عنوان تکراری ثبت شد")
    page.wait_for_selector("#group-panel >> text=۲ عضو")  # the group panel follows the decision
    assert page.evaluate("document.activeElement === document.body")  # so j would go straight on
    screenshot("review-page-decided")

    reviews = {review.pk: review for review in Review.objects.all()}
    assert (reviews[made[0].pk].status, reviews[made[0].pk].theme_id) == (ReviewStatus.ACCEPTED, theme.pk)
    assert (reviews[made[1].pk].status, reviews[made[1].pk].reject_reason) == (ReviewStatus.REJECTED, "spam")
    assert (reviews[made[2].pk].status, reviews[made[2].pk].duplicate_of_id) == (ReviewStatus.DUPLICATE, made[0].pk)

    page.goto(f"{live_server.url}/review/dashboard/")
    page.wait_for_selector("canvas[data-dashboard-chart]")
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length === 6")
    assert page.locator(".chart-table table").count() == 6
    screenshot("review-dashboard")


def test_an_editor_assigns_a_theme_and_the_reviewers_next_serves_it(live_server, page, screenshot, seeded_topics):
    from review.models import Assignment

    UserFactory(username="maryam", groups=["editor"])
    sara = UserFactory(username="sara", groups=["reviewer"])
    voting = Theme.objects.create(label="ساعت و روزهای رأی‌گیری", keywords=["ساعت"], size=2)
    older = AnalyzedSuggestionFactory(
        title="پیشنهاد قدیمی بی‌محور", created_at=timezone.now() - timezone.timedelta(days=3)
    )
    in_theme = []
    for n in range(2):
        suggestion = AnalyzedSuggestionFactory(title=f"پیشنهاد محور ساعت {n}")
        ThemeMembershipFactory(suggestion=suggestion, theme=voting)
        in_theme.append(suggestion)

    page.goto(f"{live_server.url}/accounts/login/?next=/review/%3Ftheme%3D{voting.pk}")
    page.fill("#id_username", "maryam")
    page.fill("#id_password", "pass-1400-word")
    page.click("button[type=submit]")
    page.wait_for_selector(".queue-table")
    page.select_option("#bulk-action", "assign")
    page.select_option("#bulk-reviewer", str(sara.pk))
    page.select_option("#bulk-scope", "all")
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector("text=۲ پیشنهاد به «sara» سپرده شد.")
    assert page.locator("text=سپرده به sara").count() == 2
    screenshot("review-queue-assigned")
    assert set(Assignment.objects.held_by(sara).values_list("suggestion_id", flat=True)) == {s.pk for s in in_theme}

    page.goto(f"{live_server.url}/review/audit/")
    page.wait_for_selector(".audit-table")
    table = page.inner_text(".audit-table")
    assert "سپردن به بررسی‌کننده" in table and "sara" in table and "{'" not in table
    screenshot("review-audit")

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/?next=/review/")
    page.fill("#id_username", "sara")
    page.fill("#id_password", "pass-1400-word")
    page.click("button[type=submit]")
    page.wait_for_selector(".queue-table")
    page.keyboard.press("n")  # the oldest suggestion is not hers: her assignments come first
    page.wait_for_url(f"**/review/{in_theme[0].pk}/**")
    assert older.pk != in_theme[0].pk

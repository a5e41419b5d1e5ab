import uuid

import pytest
from django.conf import settings
from django.test import Client

from portal.celery import app as celery_app
from review.audit import record_action
from review.boards.services import RECLUSTER_ACTION
from suggestions.models import DuplicateGroup, GroupKind, SeparatePair, Theme
from suggestions.tasks import recluster_themes
from tests.factories import DuplicateGroupFactory, UserFactory
from tests.review.boards.data import IDEAS, lone_suggestion, near_group, themed_corpus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MASKS = IDEAS["masks"][0]


@pytest.fixture
def boards_data(seeded_topics):
    """A campaign of six, a near-duplicate group of three and four themes of three, as the analysis and a
    re-clustering leave them."""
    campaign = near_group(6)
    near = DuplicateGroupFactory(
        members=[
            lone_suggestion(MASKS),
            lone_suggestion(MASKS.replace("رایگان", "مجانی")),
            lone_suggestion(MASKS.replace("داده شود", "به‌طور رایگان داده شود و دستکش هم")),
        ]
    )
    themed_corpus()
    return campaign, near


@pytest.fixture
def reviewer_page(page, live_server):
    """The page, signed in as a reviewer (the session cookie of a test client's login)."""
    reviewer = UserFactory(username="browser-reviewer", groups=["reviewer"])
    client = Client()
    client.force_login(reviewer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])
    page.reviewer = reviewer
    page.on("dialog", lambda dialog: dialog.accept())  # «not a duplicate» and «merge» ask first
    return page


def test_a_reviewer_works_through_duplicates_and_a_campaign(live_server, reviewer_page, screenshot, boards_data):
    page = reviewer_page
    campaign, near = boards_data
    assert campaign.kind == GroupKind.CAMPAIGN and near.size == 3

    page.goto(f"{live_server.url}/review/duplicates/")
    assert page.get_attribute("html", "dir") == "rtl"
    screenshot("boards-duplicates")
    page.click("a.nav-link:has-text('کارزار کپی‌شده')")
    page.wait_for_url("**kind=campaign**")
    assert page.locator("#group-list tbody tr").count() == 1

    page.goto(f"{live_server.url}/review/duplicates/{near.pk}/")
    assert page.locator("#group-board ins").count() >= 1 and page.locator("#group-board del").count() >= 1
    screenshot("boards-group")

    last = page.locator(".member-card").last
    chosen_title = last.get_attribute("id")
    last.locator("button:has-text('نمونهٔ اصلی شود')").click()
    page.wait_for_selector("text=نمونهٔ اصلی گروه عوض شد")
    near.refresh_from_db()
    assert f"member-{near.canonical_id}" == chosen_title and near.canonical_chosen_by_reviewer

    page.locator(".member-card").first.locator("button:has-text('تکراری نیست')").click()
    page.wait_for_selector("text=تحلیل دیگر آن را با اعضای این گروه یکی نمی‌کند")
    assert DuplicateGroup.objects.get(pk=near.pk).size == 2 and SeparatePair.objects.count() == 2
    screenshot("boards-group-after")

    page.goto(f"{live_server.url}/review/duplicates/{campaign.pk}/campaign/")
    assert "۶" in page.inner_text(".campaign-facts")
    screenshot("boards-campaign")


def test_a_reviewer_shapes_themes_and_watches_a_reclustering(live_server, reviewer_page, screenshot, boards_data):
    page = reviewer_page
    themes = list(Theme.objects.filter(is_active=True, size__gt=0).order_by("-size", "pk"))
    largest = themes[0]

    page.goto(f"{live_server.url}/review/themes/")
    screenshot("boards-themes")
    card = page.locator(f"#theme-{largest.pk}")
    card.locator("summary").click()
    card.locator("input[name=label]").fill("ماسک و دستکش رایگان")
    card.locator("button:has-text('ذخیره')").click()
    page.wait_for_selector(f"#theme-{largest.pk} >> text=عنوان محور ذخیره شد")
    largest.refresh_from_db()
    assert largest.label == "ماسک و دستکش رایگان" and largest.label_edited

    page.goto(f"{live_server.url}/review/themes/{largest.pk}/")
    page.locator("input[name=suggestions]").first.check()
    assert "۱" in page.inner_text("[data-selected-count]")
    page.fill("#split-label", "دمای بدن رأی‌دهندگان")
    page.click("button:has-text('جدا کردن')")
    page.wait_for_selector("text=محور تازهٔ «دمای بدن رأی‌دهندگان»")
    assert Theme.objects.filter(label="دمای بدن رأی‌دهندگان", label_edited=True).exists()
    screenshot("boards-theme")

    # A re-clustering a worker is running: the bar shows its stage, then htmx sees it finish.
    task_id = str(uuid.uuid4())
    record_action(actor=page.reviewer, action=RECLUSTER_ACTION, target=page.reviewer, after={"task_id": task_id})
    recluster_themes.backend.store_result(task_id, {"stage": "clustering", "done": 0, "total": 15}, "PROGRESS")
    try:
        page.goto(f"{live_server.url}/review/themes/recluster/{task_id}/")
        assert page.get_attribute("#recluster-bar", "value") == "33"
        screenshot("boards-recluster-progress")
        recluster_themes.backend.store_result(task_id, {"suggestions": 15, "themes": 5, "version": 3}, "SUCCESS")
        page.wait_for_selector("text=بازخوشه‌بندی تمام شد", timeout=5000)
        assert page.get_attribute("#recluster-bar", "value") == "100"
        screenshot("boards-recluster-done")
    finally:
        recluster_themes.backend.forget(task_id)


def test_starting_a_reclustering_from_the_board_shows_its_outcome(live_server, reviewer_page, boards_data):
    page = reviewer_page
    edited = Theme.objects.filter(is_active=True, size__gt=0).order_by("-size", "pk").first()
    Theme.objects.filter(pk=edited.pk).update(label="عنوان کارشناس", label_edited=True)
    # The live server runs in this process: eager tasks stand in for the worker.
    celery_app.conf.task_always_eager = True
    recluster_themes.store_eager_result = True
    celery_app.conf.task_store_eager_result = True
    try:
        page.goto(f"{live_server.url}/review/themes/")
        page.click("button:has-text('شروع بازخوشه‌بندی')")
        page.wait_for_selector("#recluster-status >> text=بازخوشه‌بندی تمام شد", timeout=20000)
    finally:
        celery_app.conf.task_always_eager = False
        recluster_themes.store_eager_result = False
        celery_app.conf.task_store_eager_result = False
    edited.refresh_from_db()
    assert edited.label == "عنوان کارشناس"

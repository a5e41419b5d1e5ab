"""The admin: each staff role sees what it may manage there, every name is Persian, every date Jalali."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.persian import jalali_datetime
from tests.factories import SuggestionFactory, UserFactory

pytestmark = pytest.mark.django_db

GREGORIAN_YEAR = re.compile(r"\b20[0-9]{2}\b")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root-persona", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def staff(username, group):
    return UserFactory(username=username, groups=[group], is_staff=True)


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


# Who sees what -----------------------------------------------------------------------------------------


def test_an_editor_manages_the_topics_of_the_call_in_the_admin(client):
    client.force_login(staff("admin-editor", "editor"))
    index = client.get("/admin/").content.decode()
    assert "/admin/suggestions/topic/" in index
    assert client.get("/admin/suggestions/topic/").status_code == 200
    assert client.get("/admin/suggestions/topic/add/").status_code == 200
    assert client.get("/admin/suggestions/suggestion/").status_code == 403


def test_an_administrator_can_unlock_an_account_and_reset_a_lost_phone_in_the_admin(client):
    client.force_login(staff("admin-administrator", "administrator"))
    attempt = AccessAttempt.objects.create(username="locked", ip_address="10.0.0.1", failures_since_start=9)
    assert client.get("/admin/axes/accessattempt/").status_code == 200
    client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 200
    assert client.get("/admin/review/auditentry/").status_code == 200
    # Accounts and their powers stay with the superuser: an administrator cannot make themselves one.
    assert client.get("/admin/auth/user/").status_code == 403


def test_the_role_permissions_survive_a_group_being_recreated_by_migrate(client):
    Group.objects.filter(name="editor").delete()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    editor_group = Group.objects.get(name="editor")
    assert editor_group.permissions.filter(codename="change_topic").exists()


def test_the_header_offers_the_admin_to_an_editor_but_not_to_a_reviewer(client):
    client.force_login(staff("header-reviewer", "reviewer"))
    assert 'href="/admin/"' not in client.get("/").content.decode()
    client.force_login(staff("header-editor", "editor"))
    assert 'href="/admin/"' in client.get("/").content.decode()


# Persian names -----------------------------------------------------------------------------------------


def test_the_admin_index_names_every_app_and_model_in_persian(admin_client):
    text = visible_text(admin_client.get("/admin/").content.decode())
    for leftover in ("Axes", "AXES", "otp_totp", "OTP_TOTP", "TOTP device", "Model name", "Add link"):
        assert leftover not in text, leftover


def test_sign_in_records_and_devices_are_named_in_persian(admin_client):
    log = AccessLog.objects.create(username="reviewer", ip_address="10.0.0.2", user_agent="x")
    assert "Access Log" not in str(log) and "reviewer" in str(log)
    attempt = AccessAttempt.objects.create(username="reviewer", ip_address="10.0.0.2", failures_since_start=1)
    assert "Attempted Access" not in str(attempt)
    page = visible_text(admin_client.get("/admin/axes/accesslog/").content.decode())
    assert "Access Log for" not in page
    assert TOTPDevice._meta.verbose_name_plural != "TOTP devices"


# Jalali dates ------------------------------------------------------------------------------------------


def test_dates_in_the_admins_lists_are_jalali_with_persian_digits(admin_client):
    suggestion = SuggestionFactory()
    page = admin_client.get("/admin/suggestions/suggestion/").content.decode()
    assert jalali_datetime(suggestion.created_at) in page
    assert not GREGORIAN_YEAR.search(visible_text(page.split('id="result_list"')[1]))


def test_the_suggestion_list_filters_by_jalali_month_instead_of_a_gregorian_calendar(admin_client):
    recent = SuggestionFactory()
    old = SuggestionFactory()
    type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    page = admin_client.get("/admin/suggestions/suggestion/").content.decode()
    assert "این ماه" in page and "امسال" in page
    assert "date_hierarchy" not in page and "xfull" not in page
    link = re.search(r'href="(\?created_at__gte=[^"]+)"[^>]*>\s*امسال', page).group(1).replace("&amp;", "&")
    filtered = admin_client.get("/admin/suggestions/suggestion/" + link).content.decode()
    assert f"/suggestion/{recent.pk}/change/" in filtered and f"/suggestion/{old.pk}/change/" not in filtered


def test_dates_in_the_admins_forms_are_jalali_and_not_editable(admin_client, superuser):
    suggestion = SuggestionFactory()
    page = admin_client.get(f"/admin/suggestions/suggestion/{suggestion.pk}/change/").content.decode()
    assert jalali_datetime(suggestion.created_at) in page
    user_page = admin_client.get(f"/admin/auth/user/{superuser.pk}/change/").content.decode()
    assert jalali_datetime(superuser.date_joined) in user_page
    assert 'name="date_joined_0"' not in user_page and 'name="last_login_0"' not in user_page


def test_a_user_can_still_be_saved_in_the_admin_once_its_dates_are_read_only(admin_client):
    user = UserFactory(username="to-rename")
    response = admin_client.post(
        f"/admin/auth/user/{user.pk}/change/",
        {"username": "renamed", "is_active": "on", "groups": [], "user_permissions": []},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.username == "renamed"


def test_the_history_of_an_object_shows_jalali_dates(admin_client):
    topic_url = "/admin/suggestions/topic/"
    admin_client.post(topic_url + "add/", {"name": "موضوع تازه", "slug": "new-topic", "position": 9, "is_active": "on"})
    from suggestions.models import Topic

    topic = Topic.objects.get(slug="new-topic")
    page = admin_client.get(f"{topic_url}{topic.pk}/history/").content.decode()
    assert jalali_datetime(timezone.now(), with_time=False) in page
    assert not GREGORIAN_YEAR.search(visible_text(page.split('id="change-history"')[1]))


def test_numbers_and_the_action_bar_in_the_admins_lists_are_persian(admin_client):
    SuggestionFactory()
    page = admin_client.get("/admin/suggestions/suggestion/").content.decode()
    listing = visible_text(page.split('id="result_list"')[1].split("</table>")[0])
    assert not re.search(r"[0-9]", listing), listing
    assert "۱ پیشنهاد" in visible_text(page)
    assert ">Run<" not in page and "Select an option" not in page


def test_a_paginated_admin_list_numbers_its_pages_in_persian(admin_client, settings):
    for _ in range(3):
        SuggestionFactory()
    from django.contrib import admin

    from suggestions.models import Suggestion

    model_admin = admin.site._registry[Suggestion]
    model_admin.list_per_page = 1
    try:
        page = admin_client.get("/admin/suggestions/suggestion/?p=2").content.decode()
    finally:
        del model_admin.list_per_page
    paginator = visible_text(page.split('class="paginator"')[1].split("</nav>")[0])
    assert "۲" in paginator and "۳" in paginator and not re.search(r"[0-9]", paginator)


# Nothing a citizen sent is lost or rewritten through the admin ---------------------------------------------


def test_a_suggestion_cannot_be_deleted_or_rewritten_in_the_admin(admin_client):
    suggestion = SuggestionFactory()
    url = f"/admin/suggestions/suggestion/{suggestion.pk}/"
    assert admin_client.post(url + "delete/", {"post": "yes"}).status_code == 403
    admin_client.post(url + "change/", {"title": "عنوان دیگری که شهروند ننوشت", "body": "متن دیگر"})
    suggestion.refresh_from_db()
    assert suggestion.title == "تمدید ساعت رأی‌گیری تا نیمه‌شب"
    changelist = admin_client.get("/admin/suggestions/suggestion/").content.decode()
    assert "delete_selected" not in changelist
    assert admin_client.get("/admin/suggestions/suggestion/add/").status_code == 403


def test_review_decisions_are_read_only_in_the_admin_so_each_one_stays_in_the_audit_log(admin_client):
    from review.models import Review

    review = Review.objects.create(suggestion=SuggestionFactory(), status="accepted")
    assert admin_client.post(f"/admin/review/review/{review.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Review.objects.filter(pk=review.pk).exists()
    assert admin_client.get("/admin/review/review/add/").status_code == 403


def test_the_sign_in_and_device_pages_of_the_admin_leave_no_english_behind(admin_client, settings):
    settings.AXES_FAILURE_LIMIT = 5
    AccessAttempt.objects.create(username="locked", ip_address="10.0.0.3", failures_since_start=2)
    AccessLog.objects.create(username="reviewer", ip_address="10.0.0.3", user_agent="x")
    device = TOTPDevice.objects.create(user=UserFactory(username="with-phone"), name="phone")
    pages = {
        url: visible_text(admin_client.get(url).content.decode().split('id="content"')[1])
        for url in (
            "/admin/axes/accessattempt/",
            "/admin/axes/accesslog/",
            f"/admin/otp_totp/totpdevice/{device.pk}/change/",
            "/admin/otp_totp/totpdevice/",
        )
    }
    english_words = ("User Agent", "Attempt Remaining", "Locked Out", "Clean up expired", "Created at", "created at")
    for english in (*english_words, "Last used", "last used", "QR Code", "None"):
        for url, text in pages.items():
            assert english not in text, (english, url)
    assert "Is this device ready" not in pages[f"/admin/otp_totp/totpdevice/{device.pk}/change/"]
    assert "۳ تلاش مانده" in pages["/admin/axes/accessattempt/"]  # two failures of the five allowed


def test_the_superuser_can_still_add_an_account_in_the_admin(admin_client):
    from django.contrib.auth import get_user_model

    response = admin_client.post(
        "/admin/auth/user/add/",
        {
            "username": "new-reviewer",
            "usable_password": "true",
            "password1": "a-long-pass-1400",
            "password2": "a-long-pass-1400",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert get_user_model().objects.filter(username="new-reviewer").exists()

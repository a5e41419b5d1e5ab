"""Staff sign-in: the Persian login and logout, django-axes lock-out with its cool-off, idle and absolute
session timeouts, and TOTP two-factor login for editors and administrators (with real codes)."""

import time

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.persian import persian_digits
from review.accounts import OTP_REQUIRED_KEY, SEEN_KEY, STARTED_KEY
from review.models import AuditEntry

pytestmark = pytest.mark.django_db
PASSWORD = "pass-1400-word"


def sign_in(client, username, password=PASSWORD, address="203.0.113.7", **extra):
    return client.post("/accounts/login/", {"username": username, "password": password, **extra}, REMOTE_ADDR=address)


def code_for(device, offset=0):
    """The six digits an authenticator app shows now (or `offset` steps away)."""
    number = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset)
    return f"{number:06d}"


def test_a_reviewer_signs_in_and_lands_on_the_queue(client, reviewer):
    response = sign_in(client, "reviewer-persona")
    assert response.status_code == 302 and response["Location"] == "/review/"
    assert client.get("/review/").status_code == 200


def test_signing_in_returns_to_the_page_asked_for_but_never_off_site(client, reviewer):
    assert sign_in(client, "reviewer-persona", next="/review/dashboard/")["Location"] == "/review/dashboard/"
    client.post("/accounts/logout/")
    assert sign_in(client, "reviewer-persona", next="https://evil.example/")["Location"] == "/review/"


def test_a_wrong_password_gets_a_persian_error(client, reviewer):
    response = sign_in(client, "reviewer-persona", password="wrong")
    assert response.status_code == 400
    assert "نام کاربری یا گذرواژه درست نیست" in response.content.decode()


def test_logging_out_ends_the_session(client, reviewer):
    sign_in(client, "reviewer-persona")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/review/").status_code == 302


def test_the_admin_login_sends_staff_to_the_one_sign_in(client):
    response = client.get("/admin/login/", {"next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_five_failures_lock_that_username_from_that_address_with_a_persian_page(client, reviewer):
    for _ in range(5):
        sign_in(client, "reviewer-persona", password="wrong")
    response = sign_in(client, "reviewer-persona")  # even the right password
    assert response.status_code == 429
    page = response.content.decode()
    assert "ورود موقتاً بسته است" in page and "۱۵ دقیقه" in page
    assert "_auth_user_id" not in client.session


def test_a_lock_out_does_not_reach_the_same_reviewer_from_another_address(client, reviewer):
    for _ in range(5):
        sign_in(client, "reviewer-persona", password="wrong", address="198.51.100.66")
    assert sign_in(Client(), "reviewer-persona", address="203.0.113.7").status_code == 302


def test_a_lock_out_ends_after_the_cool_off(client, reviewer):
    for _ in range(5):
        sign_in(client, "reviewer-persona", password="wrong")
    assert sign_in(client, "reviewer-persona").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timezone.timedelta(minutes=16))
    assert sign_in(client, "reviewer-persona").status_code == 302


def test_failures_during_the_lock_out_do_not_extend_it(client, reviewer):
    for _ in range(5):
        sign_in(client, "reviewer-persona", password="wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timezone.timedelta(minutes=14))
    sign_in(client, "reviewer-persona", password="wrong")  # an attacker keeps trying
    AccessAttempt.objects.update(attempt_time=timezone.now() - timezone.timedelta(minutes=16))
    assert sign_in(client, "reviewer-persona").status_code == 302


def signed_in_client(user):
    client = Client()
    client.force_login(user)
    client.get("/review/")  # the first request starts the session clocks
    return client


def set_session(client, **values):
    session = client.session
    for key, value in values.items():
        session[key] = value
    session.save()


def test_an_idle_session_ends_with_a_persian_notice(reviewer, settings):
    client = signed_in_client(reviewer)
    now = int(time.time())
    set_session(client, **{SEEN_KEY: now - settings.SESSION_IDLE_SECONDS - 5})
    response = client.get("/review/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "بی‌کاری طولانی" in client.get(response["Location"]).content.decode()


def test_activity_renews_the_idle_clock(reviewer, settings):
    client = signed_in_client(reviewer)
    now = int(time.time())
    set_session(client, **{SEEN_KEY: now - settings.SESSION_IDLE_SECONDS + 120})
    assert client.get("/review/").status_code == 200
    assert client.session[SEEN_KEY] >= now


def test_a_session_ends_after_the_absolute_limit_however_busy(reviewer, settings):
    client = signed_in_client(reviewer)
    now = int(time.time())
    set_session(client, **{STARTED_KEY: now - settings.SESSION_ABSOLUTE_SECONDS - 5, SEEN_KEY: now})
    response = client.get("/review/")
    assert response.status_code == 302
    assert "حداکثر زمان مجاز" in client.get(response["Location"]).content.decode()


def test_the_timeouts_come_from_the_environment_settings():
    from django.conf import settings

    assert settings.SESSION_IDLE_SECONDS == 30 * 60 and settings.SESSION_ABSOLUTE_SECONDS == 12 * 3600


# Two-factor --------------------------------------------------------------------------------------------


def turn_on_two_factor(client, user):
    page = client.get("/accounts/two-factor/").content.decode()
    assert "<svg" in page and 'class="qr-code"' in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/accounts/two-factor/", {"action": "enable", "token": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_an_editor_turns_on_two_factor_with_a_real_code_and_it_is_audited(client, editor):
    client.force_login(editor)
    turn_on_two_factor(client, editor)
    assert AuditEntry.objects.filter(action="otp_enabled", actor=editor).count() == 1
    assert "روشن است" in client.get("/accounts/two-factor/").content.decode()


def test_the_setup_page_shows_the_secret_without_any_external_image(client, editor):
    client.force_login(editor)
    page = client.get("/accounts/two-factor/").content.decode()
    device = TOTPDevice.objects.get(user=editor)
    import base64

    assert base64.b32encode(device.bin_key).decode()[:4] in page
    qr_box = page.split('class="qr-box')[1].split("</div>")[0]
    assert "<svg" in qr_box and "<img" not in qr_box and "src=" not in qr_box


def test_a_wrong_setup_code_turns_nothing_on(client, editor):
    client.force_login(editor)
    client.get("/accounts/two-factor/")
    response = client.post("/accounts/two-factor/", {"action": "enable", "token": "000000"})
    assert response.status_code == 400 and "کد درست نیست" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=editor, confirmed=True).exists()


def test_a_reviewer_has_no_two_factor_page(client, reviewer):
    client.force_login(reviewer)
    assert client.get("/accounts/two-factor/").status_code == 403


def test_with_two_factor_on_the_password_alone_does_not_sign_in(client, editor):
    client.force_login(editor)
    device = turn_on_two_factor(client, editor)
    client.post("/accounts/logout/")
    response = sign_in(client, "editor-persona")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/verify/"
    assert client.get("/review/").status_code == 302  # not signed in yet
    wrong = client.post("/accounts/login/verify/", {"token": "123456"})
    assert wrong.status_code == 400 and "کد درست نیست" in wrong.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    # The setup used this step's code; a code is good once, so the app's next one signs in.
    right = client.post("/accounts/login/verify/", {"token": code_for(device, offset=1)})
    assert right.status_code == 302 and right["Location"] == "/review/"
    assert client.get("/review/").status_code == 200
    assert client.session[OTP_REQUIRED_KEY] is True


def test_the_code_may_be_typed_in_persian_digits(client, editor):
    client.force_login(editor)
    device = turn_on_two_factor(client, editor)
    client.post("/accounts/logout/")
    sign_in(client, "editor-persona")
    device.refresh_from_db()
    persian = persian_digits(code_for(device, offset=1))
    assert client.post("/accounts/login/verify/", {"token": persian}).status_code == 302


def test_five_wrong_codes_send_the_user_back_to_the_password(client, editor):
    client.force_login(editor)
    turn_on_two_factor(client, editor)
    client.post("/accounts/logout/")
    sign_in(client, "editor-persona")
    for _ in range(4):
        client.post("/accounts/login/verify/", {"token": "000000"})
    response = client.post("/accounts/login/verify/", {"token": "000000"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get("/accounts/login/verify/")["Location"] == "/accounts/login/"


def test_a_session_opened_without_the_code_is_ended(client, editor):
    client.force_login(editor)
    turn_on_two_factor(client, editor)
    other = Client()
    other.force_login(editor)  # as if through another door, without the second step
    assert other.get("/review/").status_code == 302
    assert "_auth_user_id" not in other.session


def test_turning_two_factor_off_needs_a_current_code(client, editor):
    client.force_login(editor)
    device = turn_on_two_factor(client, editor)
    refused = client.post("/accounts/two-factor/", {"action": "disable", "token": "000000"})
    assert refused.status_code == 400 and TOTPDevice.objects.filter(user=editor).exists()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.save()
    client.post("/accounts/two-factor/", {"action": "disable", "token": code_for(device, offset=1)})
    assert not TOTPDevice.objects.filter(user=editor).exists()
    assert AuditEntry.objects.filter(action="otp_disabled").count() == 1

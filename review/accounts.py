"""Staff sign-in: the Persian login with its two-factor step, the TOTP setup page and the session timeouts.

Password failures are counted by django-axes (its backend runs inside `authenticate`), per username and
address; its middleware answers a lock-out with `registration/locked_out.html`.
"""

import base64
import time

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth import login as auth_login
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.persian import TO_LATIN
from review.audit import record_action
from review.roles import EDITOR_ROLES, role_required

STARTED_KEY = "staff_session_started"
SEEN_KEY = "staff_session_seen"
OTP_REQUIRED_KEY = "staff_otp_required"
PENDING_KEY = "staff_otp_pending"  # {"user": pk, "backend": path, "since": epoch, "tries": n, "next": url}
PENDING_SECONDS = 300
PENDING_TRIES = 5
SEEN_WRITE_EVERY = 60


class SessionTimeoutMiddleware:
    """Ends a signed-in session after SESSION_IDLE_SECONDS without a request, or SESSION_ABSOLUTE_SECONDS
    after the sign-in however busy it was. The last activity is written at most once a minute, so a busy
    reviewer does not cost a session write per request. A session of a user who turned on two-factor login
    counts only once the code was given (a sign-in through another door ends here)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            reason = self._reason_to_end(request)
            if reason:
                logout(request)
                messages.info(request, reason)
        return self.get_response(request)

    def _reason_to_end(self, request) -> str:
        session = request.session
        now = int(time.time())
        started = session.get(STARTED_KEY)
        if started is None:
            # A session opened elsewhere than our sign-in (the admin, a test client): find out once whether
            # it owes the second step.
            session[STARTED_KEY] = session[SEEN_KEY] = started = now
            session[OTP_REQUIRED_KEY] = user_has_device(request.user, confirmed=True)
        if now - started > settings.SESSION_ABSOLUTE_SECONDS:
            return "نشست شما پس از حداکثر زمان مجاز پایان یافت؛ دوباره وارد شوید."
        if now - session.get(SEEN_KEY, started) > settings.SESSION_IDLE_SECONDS:
            return "نشست شما به دلیل بی‌کاری طولانی پایان یافت؛ دوباره وارد شوید."
        if session.get(OTP_REQUIRED_KEY) and not request.user.is_verified():
            return "ورود دومرحله‌ای کامل نشده است؛ دوباره وارد شوید."
        if now - session.get(SEEN_KEY, started) >= SEEN_WRITE_EVERY:
            session[SEEN_KEY] = now
        return ""


def _start_session(request, user, *, device=None) -> None:
    if device is not None:
        user.otp_device = device  # django-otp marks the session verified on login
    auth_login(request, user, backend=getattr(user, "backend", None))
    now = int(time.time())
    request.session[STARTED_KEY] = request.session[SEEN_KEY] = now
    request.session[OTP_REQUIRED_KEY] = device is not None


def _safe_next(request, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return settings.LOGIN_REDIRECT_URL


class StaffLoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "نام کاربری یا گذرواژه درست نیست. دقت کنید که هر دو به بزرگی و کوچکی حروف حساس‌اند.",
        "inactive": "این حساب غیرفعال است.",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "نام کاربری"
        self.fields["password"].label = "گذرواژه"
        self.fields["username"].widget.attrs.update({"dir": "ltr", "autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"dir": "ltr"})


@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_page(request):
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.method == "GET":
        return render(request, "registration/login.html", {"form": StaffLoginForm(request), "next": next_url})
    form = StaffLoginForm(request, data=request.POST)
    if not form.is_valid():
        return render(request, "registration/login.html", {"form": form, "next": next_url}, status=400)
    user = form.get_user()
    if user_has_device(user, confirmed=True):
        # The password was right; the session is signed in only once the code is right too.
        request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": user.backend,
            "since": int(time.time()),
            "tries": 0,
            "next": _safe_next(request, next_url),
        }
        return redirect("accounts:verify")
    _start_session(request, user)
    return redirect(_safe_next(request, next_url))


class TokenForm(forms.Form):
    token = forms.CharField(
        label="کد شش‌رقمی",
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "dir": "ltr"}),
        error_messages={"required": "کد را از برنامهٔ احراز هویت بنویسید."},
    )

    def clean_token(self):
        token = self.cleaned_data["token"].translate(TO_LATIN).replace(" ", "")
        if not token.isdigit() or len(token) != 6:
            raise forms.ValidationError("کد باید شش رقم باشد.")
        return token


def _confirmed_device_matching(user, token: str):
    for device in TOTPDevice.objects.devices_for_user(user, confirmed=True):
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
            if device.verify_token(token):
                return device
    return None


@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def verify_page(request):
    """The second step: the six-digit code of the authenticator app."""
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["since"] > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, "مرحلهٔ دوم ورود منقضی شد؛ دوباره وارد شوید.")
        return redirect("accounts:login")
    if request.method == "GET":
        return render(request, "registration/verify.html", {"form": TokenForm()})
    form = TokenForm(request.POST)
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    device = _confirmed_device_matching(user, form.cleaned_data["token"]) if user and form.is_valid() else None
    if device is None:
        pending["tries"] += 1
        if pending["tries"] >= PENDING_TRIES:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, "کد چند بار نادرست بود؛ دوباره از ابتدا وارد شوید.")
            return redirect("accounts:login")
        request.session[PENDING_KEY] = pending
        if form.is_valid():
            form.add_error("token", "کد درست نیست یا زمان آن گذشته است.")
        return render(request, "registration/verify.html", {"form": form}, status=400)
    del request.session[PENDING_KEY]
    user.backend = pending["backend"]
    _start_session(request, user, device=device)
    return redirect(pending["next"])


def locked_out_response(request, original_response=None, credentials=None):
    """django-axes calls this when a username is locked from an address: a Persian page, status 429."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


# Two-factor setup ---------------------------------------------------------------------------------------


def qr_svg(text: str) -> str:
    """A QR code as inline SVG: no image request, no third-party service."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    return mark_safe(
        svg.replace("<svg ", '<svg class="qr-code" role="img" aria-label="کد QR برای برنامهٔ احراز هویت" ', 1)
    )


def readable_secret(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@role_required(*EDITOR_ROLES)
@require_http_methods(["GET", "POST"])
def two_factor_page(request):
    """Editors and administrators turn TOTP two-factor login on (scan, then confirm one code) or off."""
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        if confirmed is not None and request.POST.get("action") == "disable":
            if _confirmed_device_matching(user, token):
                with transaction.atomic():
                    TOTPDevice.objects.filter(user=user).delete()
                    record_action(actor=user, action="otp_disabled", target=user)
                request.session[OTP_REQUIRED_KEY] = False
                messages.success(request, "ورود دومرحله‌ای خاموش شد.")
                return redirect("accounts:two_factor")
        elif confirmed is None:
            device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
            if device is not None and device.verify_token(token):
                with transaction.atomic():
                    device.confirmed = True
                    device.save(update_fields=["confirmed"])
                    record_action(actor=user, action="otp_enabled", target=user)
                user.otp_device = device
                from django_otp import login as otp_login

                otp_login(request, device)
                request.session[OTP_REQUIRED_KEY] = True
                messages.success(request, "ورود دومرحله‌ای روشن شد؛ از این پس هنگام ورود کد برنامه را هم می‌خواهیم.")
                return redirect("accounts:two_factor")
        form.add_error("token", "کد درست نیست یا زمان آن گذشته است.")
    context = {"form": form, "enabled": confirmed is not None}
    if confirmed is None:
        device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": "authenticator"})
        context.update(qr=qr_svg(device.config_url), secret=readable_secret(device))
    status = 400 if request.method == "POST" else 200
    return render(request, "registration/two_factor.html", context, status=status)


def redirect_to_login(request):
    """The admin's own login would skip the lock-out page and the two-factor step; everyone signs in here."""
    return redirect(f"{reverse('accounts:login')}?{request.GET.urlencode()}")

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_like(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    return Client()


def test_plain_http_is_redirected_to_https(production_like):
    response = production_like.get("/suggest/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_pages_send_hsts_nosniff_referrer_policy_and_frame_denial(production_like):
    response = production_like.get("/suggest/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_the_content_security_policy_closes_objects_base_and_framing(production_like):
    policy = production_like.get("/suggest/", secure=True)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in directives["script-src"]


def test_the_csrf_cookie_is_secure_and_same_site(production_like):
    response = production_like.get("/suggest/", secure=True)
    cookie = response.cookies["csrftoken"]
    assert cookie["secure"] and cookie["samesite"] == "Lax"


def test_the_session_cookie_is_secure_http_only_and_same_site(production_like, reviewer):
    production_like.force_login(reviewer)
    cookie = production_like.cookies["sessionid"]
    response = production_like.get("/review/", secure=True)
    cookie = response.cookies.get("sessionid") or cookie
    assert cookie["secure"] and cookie["httponly"]
    assert cookie["samesite"] == "Lax"

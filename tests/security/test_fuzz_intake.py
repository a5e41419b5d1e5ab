"""Hypothesis drives the intake form and raw POSTs: never a server error, oversized bodies refused cleanly."""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suggestions.models import Suggestion
from tests.suggestions.helpers import form_data

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
text = st.text(st.characters(codec="utf-8"), max_size=300) | st.sampled_from(
    ["", " ", "\u202e" * 40, "<script>alert(1)</script>", "ي" * 6000, "۰۹۱۲" * 3, "\x00" * 50, "'; DROP TABLE x; --"]
)
FIELDS = [
    "role",
    "province",
    "topic",
    "title",
    "body",
    "name",
    "email",
    "phone",
    "consent",
    "website",
    "form_clock",
    "idempotency_key",
]


@pytest.fixture
def open_limits(settings):
    settings.SUBMIT_RATE_LIMIT = "1000000/60"
    settings.TRACK_RATE_LIMIT = "1000000/60"


@FUZZ
@given(overrides=st.dictionaries(st.sampled_from(FIELDS), text, max_size=6))
def test_the_form_never_fails_with_a_server_error(open_limits, overrides):
    before = Suggestion.objects.count()
    response = Client().post(reverse("suggestions:suggest"), form_data(**overrides))
    assert response.status_code in (302, 400), response.status_code
    assert Suggestion.objects.count() == before + (1 if response.status_code == 302 else 0)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "application/json",
            "text/plain",
            "multipart/form-data",
        ]
    ),
)
def test_raw_posts_never_fail_with_a_server_error(open_limits, body, content_type):
    client = Client()
    for path in (reverse("suggestions:suggest"), reverse("hints:similar")):
        response = client.generic("POST", path, body, content_type=content_type)
        assert response.status_code < 500, (path, response.status_code)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=text)
def test_tracking_look_ups_never_fail_with_a_server_error(open_limits, code):
    assert Client().get(reverse("reports:track"), {"code": code}).status_code in (200, 400, 404)


def test_an_oversized_body_is_refused_cleanly(open_limits):
    response = Client().post(reverse("suggestions:suggest"), form_data(body="الف" * 2_000_000))
    assert response.status_code == 400
    assert Suggestion.objects.count() == 0
    assert 'dir="rtl"' in response.content.decode()

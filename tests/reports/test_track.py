"""/track/: the reports app tells a citizen what became of a suggestion. It reads the code with the intake's
TrackForm and parse_tracking_code, and no setting names the page or its fate."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import resolve, reverse

from reports import track as track_views
from suggestions.choices import State
from tests.factories import SuggestionFactory

pytestmark = pytest.mark.django_db


def test_the_track_page_is_the_reports_apps_at_the_address_citizens_already_have():
    assert reverse("reports:track") == "/track/"
    assert resolve("/track/").func is track_views.track
    assert not hasattr(settings, "SUGGESTION_FATE_PROVIDER")


def test_the_blank_track_page_offers_the_code_field_and_no_fate(citizen):
    page = citizen.get("/track/").content.decode()
    assert 'name="code"' in page and "سرنوشت پیشنهاد شما" not in page


def test_tracking_accepts_the_code_in_persian_digits(citizen, suggestion):
    response = citizen.get(reverse("reports:track"), {"code": suggestion.display_code})
    assert response.status_code == 200
    assert suggestion.title in response.content.decode()


def test_tracking_shows_an_analyzed_suggestion_no_one_decided_as_under_review_in_persian():
    suggestion = SuggestionFactory(state=State.ANALYZED)
    page = Client().get(reverse("reports:track"), {"code": suggestion.tracking_code}).content.decode()
    # The badge is the suggestion's fate, not the machine's progress: analyzed is not yet reviewed.
    assert "در دست بررسی" in page and "تحلیل شد" not in page


def test_an_unknown_code_gets_a_persian_404(citizen):
    response = citizen.get(reverse("reports:track"), {"code": "1234-5678-9012-3456"})
    assert response.status_code == 404
    assert "پیدا نشد" in response.content.decode()


def test_a_malformed_code_is_explained_in_persian(citizen):
    response = citizen.get(reverse("reports:track"), {"code": "abc"})
    assert response.status_code == 400
    assert "۱۶ رقم" in response.content.decode()


def test_tracking_lookups_are_rate_limited_against_enumeration(citizen, settings):
    settings.TRACK_RATE_LIMIT = "3/600"
    for _ in range(3):
        citizen.get(reverse("reports:track"), {"code": "1234567890123456"})
    response = citizen.get(reverse("reports:track"), {"code": "1234567890123456"})
    assert response.status_code == 429

"""What any stranger can reach: receipts rate-limited like /track/, a Persian page for a refused CSRF token,
HEAD on every public page, a favicon, Persian numbers on the home page."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.reports.data import draft_report, publish, theme_with_accepted, write_summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_lookups(settings):
    settings.TRACK_RATE_LIMIT = "3/600"


def test_receipt_lookups_are_rate_limited_like_tracking(tight_lookups, suggestion):
    client = Client()
    codes = ["0000000000000000", "1111111111111111", suggestion.tracking_code]
    answers = [client.get(reverse("suggestions:receipt", args=[code])).status_code for code in codes]
    assert answers == [404, 404, 200]
    refused = client.get(reverse("suggestions:receipt", args=[suggestion.tracking_code]))
    assert refused.status_code == 429
    assert "Retry-After" in refused and "درخواست‌های شما بیش از حد مجاز است" in refused.content.decode()


def test_the_receipts_similar_list_counts_towards_the_same_limit(tight_lookups, suggestion):
    client = Client()
    for _ in range(2):
        client.get(reverse("reports:track"), {"code": "0000000000000000"})
    assert client.get(reverse("hints:receipt_similar", args=[suggestion.tracking_code])).status_code == 200
    assert client.get(reverse("hints:receipt_similar", args=[suggestion.tracking_code])).status_code == 429
    assert client.get(reverse("suggestions:receipt", args=["0000000000000000"])).status_code == 429


def test_another_address_is_not_held_back_by_the_first(tight_lookups, suggestion):
    client = Client()
    for _ in range(4):
        client.get(reverse("suggestions:receipt", args=["0000000000000000"]), REMOTE_ADDR="203.0.113.1")
    answer = client.get(reverse("suggestions:receipt", args=[suggestion.tracking_code]), REMOTE_ADDR="203.0.113.2")
    assert answer.status_code == 200


def test_a_post_without_a_csrf_token_gets_a_persian_page_that_says_nothing_of_debug():
    response = Client(enforce_csrf_checks=True).post(reverse("suggestions:suggest"), {"title": "x"})
    page = response.content.decode()
    assert response.status_code == 403
    assert 'lang="fa"' in page and 'dir="rtl"' in page
    assert "کوکی" in page and "دوباره" in page
    assert "DEBUG" not in page and "CSRF" not in page and "Forbidden" not in page


@pytest.fixture
def published_report(reviewer, editor):
    theme, _ = theme_with_accepted("صندوق سیار", count=2)
    write_summary(theme, by=reviewer)
    return publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)


def test_every_public_page_answers_head_as_it_answers_get(published_report):
    report, number = published_report.report_id, published_report.number
    paths = [
        "/",
        reverse("suggestions:suggest"),
        reverse("reports:track"),
        reverse("reports:list"),
        reverse("reports:latest", args=[report]),
        reverse("reports:version", args=[report, number]),
        reverse("reports:pdf", args=[report, number]),
        reverse("reports:csv", args=[report, number]),
        reverse("reports:json", args=[report, number]),
    ]
    client = Client()
    for path in paths:
        head = client.head(path)
        assert head.status_code == 200, path
        assert head.content == b"", path
        assert head["Content-Type"] == client.get(path)["Content-Type"], path


def test_head_is_still_not_a_way_to_post():
    assert Client().head(reverse("hints:similar")).status_code == 405


def test_the_site_has_a_favicon():
    from django.contrib.staticfiles import finders

    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].startswith("/static/") and response["Location"].endswith(".ico")
    with open(finders.find("favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an icon file, which every browser reads


def test_the_home_page_numbers_its_steps_in_persian():
    page = Client().get("/").content.decode()
    steps = re.search(r"<ol([^>]*)>(.*?)</ol>", page, re.S)
    assert "list-unstyled" in steps.group(1)  # no Latin numbers drawn by the browser
    numbers = re.findall(r"<li[^>]*>\s*<span[^>]*>([^<]*)</span>", steps.group(2))
    assert numbers == ["۱.", "۲.", "۳.", "۴."]

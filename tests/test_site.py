"""Checks every public page shares: right-to-left Persian, one heading, no missing migration."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import SuggestionFactory

pytestmark = pytest.mark.django_db


def public_pages():
    suggestion = SuggestionFactory()
    return [
        reverse("suggestions:home"),
        reverse("suggestions:suggest"),
        reverse("reports:track"),
        reverse("reports:track") + f"?code={suggestion.tracking_code}",
        reverse("suggestions:receipt", args=[suggestion.tracking_code]),
    ]


def test_every_public_page_is_persian_right_to_left_with_one_heading(client):
    for url in public_pages():
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        assert '<html lang="fa" dir="rtl">' in page, url
        assert len(re.findall(r"<h1[\s>]", page)) == 1, url


def test_the_not_found_page_is_persian_too(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'dir="rtl"' in response.content.decode()


def test_pages_send_a_content_security_policy_that_forbids_inline_script(client):
    policy = client.get(reverse("suggestions:suggest"))["Content-Security-Policy"]
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy and "base-uri 'none'" in policy
    assert "unsafe-inline" not in policy


def test_no_model_change_lacks_a_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_topics_of_the_call_are_seeded():
    from suggestions.models import Topic

    assert Topic.objects.count() == 8


def test_the_readme_tells_how_to_create_a_superuser_with_a_make_target_that_exists():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme, makefile = (root / "README.md").read_text(), (root / "Makefile").read_text()
    assert "make superuser" in readme
    assert re.search(r"^superuser:.*\n\t\$\(PY\) manage.py createsuperuser", makefile, re.MULTILINE)


def test_the_readme_says_who_drafts_and_who_approves_among_the_demo_accounts():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "`editor2`" in readme and "approves" in readme

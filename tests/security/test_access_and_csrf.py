import pytest
from django.test import Client

from tests.factories import SuggestionFactory, UserFactory
from tests.security.urlwalk import all_paths, is_staff_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def site_paths():
    suggestion = SuggestionFactory()
    return all_paths({"review/": str(suggestion.pk)})


def test_the_walk_finds_the_staff_and_public_pages(site_paths):
    assert "/suggest/" in site_paths and "/track/" in site_paths
    assert any(path.startswith("/review/") for path in site_paths)


def test_no_staff_page_answers_an_anonymous_visitor(site_paths):
    client = Client()
    for path in filter(is_staff_path, site_paths):
        response = client.get(path)
        assert response.status_code in (301, 302, 403, 404, 405), path
        if response.status_code == 302:
            assert response["Location"].startswith(("/accounts/login/", "/admin/login/")), path


def test_no_staff_page_answers_a_signed_in_account_without_a_role(site_paths):
    client = Client()
    client.force_login(UserFactory(username="no-role"))
    for path in filter(lambda p: p.startswith("/review/"), site_paths):
        assert client.get(path).status_code in (403, 404, 405), path


def test_every_post_without_a_csrf_token_is_refused(site_paths):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="admin-csrf", is_superuser=True, is_staff=True))
    for path in site_paths:
        response = client.post(path, {"body": "x" * 40, "title": "y" * 20})
        assert response.status_code == 403, path


def test_every_staff_response_forbids_caching(site_paths):
    client = Client()
    client.force_login(UserFactory(username="admin-cache", is_superuser=True, is_staff=True))
    for path in filter(lambda p: p.startswith("/review/"), site_paths):
        response = client.get(path)
        if response.status_code == 200:
            assert "no-store" in response.get("Cache-Control", ""), path

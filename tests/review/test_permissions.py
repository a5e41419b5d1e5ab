"""Every staff address of the workspace, for every persona: who gets in, who is sent to log in, who is
refused; and every staff answer is no-store."""

import re

import pytest
from django.test import Client

from tests.factories import AnalyzedSuggestionFactory, UserFactory

pytestmark = pytest.mark.django_db

REVIEWER_PAGES = ["/review/", "/review/{pk}/", "/review/{pk}/text/", "/review/dashboard/", "/review/audit/"]
EDITOR_PAGES = ["/review/audit/export.csv", "/accounts/two-factor/"]
REVIEWER_POSTS = [
    "/review/next/",
    "/review/bulk/",
    "/review/{pk}/accept/",
    "/review/{pk}/reject/",
    "/review/{pk}/duplicate/",
    "/review/{pk}/follow-up/",
    "/review/{pk}/recuse/",
    "/review/{pk}/release/",
    "/review/{pk}/notes/",
]


def persona_client(name):
    client = Client()
    groups = {"reviewer": ["reviewer"], "editor": ["editor"], "administrator": ["administrator"], "outsider": []}
    if name in groups:
        client.force_login(UserFactory(username=f"{name}-matrix", groups=groups[name]))
    return client


def allowed(name, kind):
    if kind == "reviewer":
        return name in ("reviewer", "editor", "administrator")
    return name in ("editor", "administrator")


@pytest.mark.parametrize("persona", ["anonymous", "citizen", "reviewer", "editor", "administrator", "outsider"])
def test_the_permission_matrix_holds_for_every_staff_address(persona):
    pk = AnalyzedSuggestionFactory().pk
    client = persona_client(persona)
    for kind, urls, method in [
        ("reviewer", REVIEWER_PAGES, "get"),
        ("editor", EDITOR_PAGES, "get"),
        ("reviewer", REVIEWER_POSTS, "post"),
    ]:
        for template in urls:
            url = template.format(pk=pk)
            response = getattr(client, method)(url)
            if persona in ("anonymous", "citizen"):
                assert response.status_code == 302, url
                assert response["Location"].startswith("/accounts/login/?next="), url
            elif allowed(persona, kind):
                assert response.status_code != 403, url
                if response.status_code == 302:
                    assert not response["Location"].startswith("/accounts/login/"), url
            else:
                assert response.status_code == 403, url
                assert "دسترسی ندارید" in response.content.decode()
            assert "no-store" in response.get("Cache-Control", ""), url


@pytest.mark.parametrize("persona", ["reviewer", "editor", "outsider"])
def test_contact_details_need_their_own_permission(persona):
    pk = AnalyzedSuggestionFactory().pk
    response = persona_client(persona).get(f"/review/{pk}/contact/")
    assert response.status_code == 403


def test_an_administrator_may_see_contact_details(administrator, client):
    client.force_login(administrator)
    pk = AnalyzedSuggestionFactory().pk
    assert client.get(f"/review/{pk}/contact/").status_code == 200


def test_staff_pages_are_persian_right_to_left_with_one_heading(editor, client):
    client.force_login(editor)
    pk = AnalyzedSuggestionFactory().pk
    for url in ["/review/", f"/review/{pk}/", "/review/dashboard/", "/review/audit/", "/accounts/two-factor/"]:
        page = client.get(url).content.decode()
        assert '<html lang="fa" dir="rtl">' in page, url
        assert len(re.findall(r"<h1[\s>]", page)) == 1, url
        assert "<script>" not in page and "style=" not in page, url  # the CSP allows neither


def test_the_sign_in_pages_are_persian_with_one_heading(client):
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="fa" dir="rtl">' in page and "ورود کارکنان" in page
    assert len(re.findall(r"<h1[\s>]", page)) == 1

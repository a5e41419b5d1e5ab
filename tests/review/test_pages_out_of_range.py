"""A page number past the end of a staff list, however large, is a 404 or the last page: never a 500 from a
database offset that does not fit in a bigint."""

import pytest

from review import queries
from review.audit import record_action
from tests.factories import AnalyzedSuggestionFactory

pytestmark = pytest.mark.django_db
HUGE = "99999999999999999999"


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def three_entries(reviewer):
    suggestion = AnalyzedSuggestionFactory()
    for action in ("claim", "release", "claim"):
        record_action(actor=reviewer, action=action, target=suggestion)


@pytest.mark.parametrize("page", [HUGE, "-" + HUGE, "9" * 400, "2", "50"])
def test_an_audit_page_past_the_end_is_not_found(editor_client, three_entries, page):
    if page.startswith("-"):
        assert editor_client.get("/review/audit/", {"page": page}).status_code == 200  # read as the first page
    else:
        assert editor_client.get("/review/audit/", {"page": page}).status_code == 404


@pytest.mark.parametrize("page", ["", "0", "abc", "1"])
def test_a_missing_or_unreadable_audit_page_number_shows_the_first_page(editor_client, three_entries, page):
    response = editor_client.get("/review/audit/", {"page": page})
    assert response.status_code == 200 and len(response.context["entries"]) == 3


def test_the_second_audit_page_is_shown_while_it_has_entries(editor_client, reviewer):
    from review.views import AUDIT_PAGE_SIZE

    suggestion = AnalyzedSuggestionFactory()
    for _ in range(AUDIT_PAGE_SIZE + 1):
        record_action(actor=reviewer, action="claim", target=suggestion)
    response = editor_client.get("/review/audit/", {"page": "2"})
    assert response.status_code == 200 and len(response.context["entries"]) == 1
    assert editor_client.get("/review/audit/", {"page": "3"}).status_code == 404


def test_an_empty_audit_log_still_has_a_first_page(editor_client):
    assert editor_client.get("/review/audit/").status_code == 200


def test_a_huge_queue_page_shows_the_last_page(reviewer_client, settings):
    settings.REVIEW_PAGE_SIZE = 2
    made = [AnalyzedSuggestionFactory() for _ in range(3)]
    response = reviewer_client.get("/review/", {"page": HUGE})
    assert response.status_code == 200
    assert response.context["page"].number == 2 and [s.pk for s in response.context["page"].rows] == [made[2].pk]


def test_a_huge_queue_page_whose_count_ran_out_of_time_is_not_found(reviewer_client, settings, monkeypatch):
    settings.REVIEW_PAGE_SIZE = 2
    for _ in range(3):
        AnalyzedSuggestionFactory()
    monkeypatch.setattr(queries, "bounded_count", lambda queryset, limit: None)
    response = reviewer_client.get("/review/", {"q": "ساعت", "province": "tehran", "page": HUGE})
    assert response.status_code == 404

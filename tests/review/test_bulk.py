"""Bulk actions over a filtered selection: each writes one audit row per suggestion, all in one transaction."""

import pytest

from review.models import AuditEntry, Review, ReviewStatus
from suggestions.choices import Province
from suggestions.models import ThemeMembership
from tests.factories import AnalyzedSuggestionFactory, ThemeMembershipFactory

pytestmark = pytest.mark.django_db


def test_rejecting_ticked_rows_as_spam_writes_one_audit_row_each(reviewer_client):
    ticked = [AnalyzedSuggestionFactory(), AnalyzedSuggestionFactory()]
    untouched = AnalyzedSuggestionFactory()
    response = reviewer_client.post(
        "/review/bulk/", {"action": "reject_spam", "scope": "selected", "ids": [s.pk for s in ticked]}
    )
    assert response.status_code == 302
    assert set(
        Review.objects.filter(status=ReviewStatus.REJECTED, reject_reason="spam").values_list("pk", flat=True)
    ) == {s.pk for s in ticked}
    assert not Review.objects.filter(pk=untouched.pk).exists()
    assert AuditEntry.objects.filter(action="bulk_reject_spam").count() == 2
    assert "۲ پیشنهاد تغییر کرد" in reviewer_client.get(response["Location"]).content.decode()


def test_a_bulk_action_can_cover_everything_the_filters_match(reviewer_client):
    fars = [AnalyzedSuggestionFactory(province=Province.FARS) for _ in range(3)]
    AnalyzedSuggestionFactory(province=Province.TEHRAN)
    reviewer_client.post("/review/bulk/", {"action": "reject_spam", "scope": "all", "filters": "province=fars"})
    assert set(Review.objects.values_list("pk", flat=True)) == {s.pk for s in fars}


def test_bulk_rejection_leaves_decided_suggestions_alone(reviewer_client, theme):
    decided = AnalyzedSuggestionFactory()
    Review.objects.create(suggestion=decided, status=ReviewStatus.ACCEPTED, theme=theme, version=1)
    waiting = AnalyzedSuggestionFactory()
    response = reviewer_client.post(
        "/review/bulk/", {"action": "reject_spam", "scope": "selected", "ids": [decided.pk, waiting.pk]}, follow=True
    )
    assert Review.objects.get(pk=decided.pk).status == ReviewStatus.ACCEPTED
    assert Review.objects.get(pk=waiting.pk).status == ReviewStatus.REJECTED
    assert "۱ پیشنهاد تصمیم‌گرفته" in response.content.decode()


def test_moving_to_a_theme_pins_each_suggestion_there(reviewer_client, theme, other_theme):
    moved = [AnalyzedSuggestionFactory(), AnalyzedSuggestionFactory()]
    for suggestion in moved:
        ThemeMembershipFactory(suggestion=suggestion, theme=other_theme)
    reviewer_client.post(
        "/review/bulk/", {"action": "move_theme", "theme": theme.pk, "scope": "selected", "ids": [s.pk for s in moved]}
    )
    memberships = ThemeMembership.objects.filter(suggestion__in=moved)
    assert {(m.theme_id, m.source) for m in memberships} == {(theme.pk, ThemeMembership.Source.REVIEWER)}
    theme.refresh_from_db()
    assert theme.size == 2
    assert AuditEntry.objects.filter(action="bulk_move_theme").count() == 2


def test_moving_needs_a_theme(reviewer_client):
    suggestion = AnalyzedSuggestionFactory()
    response = reviewer_client.post(
        "/review/bulk/", {"action": "move_theme", "scope": "selected", "ids": [suggestion.pk]}, follow=True
    )
    assert "محور مقصد را انتخاب کنید" in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_marking_reviewed_accepts_each_into_its_current_theme(reviewer_client, theme):
    suggestion = AnalyzedSuggestionFactory()
    ThemeMembershipFactory(suggestion=suggestion, theme=theme)
    reviewer_client.post("/review/bulk/", {"action": "mark_reviewed", "scope": "selected", "ids": [suggestion.pk]})
    review = Review.objects.get(pk=suggestion.pk)
    assert (review.status, review.theme) == (ReviewStatus.ACCEPTED, theme)
    assert AuditEntry.objects.filter(action="bulk_mark_reviewed").count() == 1


def test_a_selection_over_the_limit_changes_nothing(reviewer_client, settings):
    settings.REVIEW_BULK_LIMIT = 2
    for _ in range(3):
        AnalyzedSuggestionFactory()
    response = reviewer_client.post("/review/bulk/", {"action": "reject_spam", "scope": "all"}, follow=True)
    assert "حداکثر ۲ پیشنهاد" in response.content.decode()
    assert not Review.objects.exists() and not AuditEntry.objects.exists()


def test_a_bulk_action_is_all_or_nothing(reviewer, monkeypatch):
    from review import services

    suggestions = [AnalyzedSuggestionFactory(), AnalyzedSuggestionFactory()]
    calls = []

    def failing_record(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return original(**kwargs)

    original = services.record_action
    monkeypatch.setattr(services, "record_action", failing_record)
    with pytest.raises(RuntimeError):
        services.bulk_reject_as_spam(suggestion_ids=[s.pk for s in suggestions], reviewer=reviewer)
    assert not Review.objects.filter(status=ReviewStatus.REJECTED).exists()
    assert not AuditEntry.objects.exists()


def test_a_bad_selection_gets_a_persian_error(reviewer_client):
    response = reviewer_client.post(
        "/review/bulk/", {"action": "reject_spam", "scope": "selected", "ids": ["abc"]}, follow=True
    )
    assert "درست نیست" in response.content.decode()

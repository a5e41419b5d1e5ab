"""«Next» claims the oldest unclaimed suggestion of the filtered queue; claims expire; a recusal keeps a
suggestion away from that reviewer; two reviewers racing never get the same one."""

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.utils import timezone

from review.models import Review, ReviewStatus
from review.queries import get_suggestion_for_reviewer_or_404, queue
from review.services import claim_next_suggestion, recuse_from_suggestion
from suggestions.choices import Province
from tests.factories import AnalyzedSuggestionFactory, SuggestionFactory, UserFactory

pytestmark = pytest.mark.django_db


def minutes_ago(n):
    return timezone.now() - timezone.timedelta(minutes=n)


def test_next_claims_the_oldest_unclaimed_suggestion_and_opens_it(reviewer_client, reviewer):
    oldest = AnalyzedSuggestionFactory(created_at=minutes_ago(30))
    AnalyzedSuggestionFactory(created_at=minutes_ago(10))
    response = reviewer_client.post("/review/next/", {"filters": ""})
    assert response.status_code == 302
    assert response["Location"].startswith(f"/review/{oldest.pk}/")
    review = Review.objects.get(pk=oldest.pk)
    assert review.claimed_by == reviewer and review.claim_expires_at > timezone.now()


def test_two_reviewers_pressing_next_get_different_suggestions(reviewer, second_reviewer):
    first, second = (
        AnalyzedSuggestionFactory(created_at=minutes_ago(30)),
        AnalyzedSuggestionFactory(created_at=minutes_ago(10)),
    )
    assert claim_next_suggestion(reviewer=reviewer, queue=queue()) == first
    assert claim_next_suggestion(reviewer=second_reviewer, queue=queue()) == second
    assert claim_next_suggestion(reviewer=UserFactory(groups=["reviewer"]), queue=queue()) is None


def test_next_respects_the_queue_filters(reviewer_client):
    AnalyzedSuggestionFactory(province=Province.TEHRAN, created_at=minutes_ago(30))
    fars = AnalyzedSuggestionFactory(province=Province.FARS, created_at=minutes_ago(10))
    response = reviewer_client.post("/review/next/", {"filters": "province=fars"})
    assert response["Location"] == f"/review/{fars.pk}/?province=fars"


def test_next_skips_decided_suggestions(reviewer):
    decided = AnalyzedSuggestionFactory(created_at=minutes_ago(30))
    Review.objects.create(suggestion=decided, status=ReviewStatus.ACCEPTED)
    waiting = AnalyzedSuggestionFactory(created_at=minutes_ago(10))
    assert claim_next_suggestion(reviewer=reviewer, queue=queue()) == waiting


def test_an_expired_claim_returns_the_suggestion_to_the_queue(reviewer, second_reviewer, settings):
    suggestion = AnalyzedSuggestionFactory()
    claim_next_suggestion(reviewer=reviewer, queue=queue())
    assert claim_next_suggestion(reviewer=second_reviewer, queue=queue()) is None
    Review.objects.filter(pk=suggestion.pk).update(claim_expires_at=minutes_ago(1))
    assert claim_next_suggestion(reviewer=second_reviewer, queue=queue()) == suggestion
    assert Review.objects.get(pk=suggestion.pk).claimed_by == second_reviewer


def test_claims_last_as_long_as_the_setting_says(reviewer, settings):
    settings.REVIEW_CLAIM_MINUTES = 5
    suggestion = AnalyzedSuggestionFactory()
    claim_next_suggestion(reviewer=reviewer, queue=queue())
    remaining = Review.objects.get(pk=suggestion.pk).claim_expires_at - timezone.now()
    assert timezone.timedelta(minutes=4) < remaining <= timezone.timedelta(minutes=5)


def test_a_recused_reviewer_never_gets_that_suggestion_again(reviewer, second_reviewer):
    suggestion = AnalyzedSuggestionFactory()
    claim_next_suggestion(reviewer=reviewer, queue=queue())
    recuse_from_suggestion(suggestion=suggestion, reviewer=reviewer)
    review = Review.objects.get(pk=suggestion.pk)
    assert review.status == ReviewStatus.RECUSED and review.claimed_by is None
    assert claim_next_suggestion(reviewer=reviewer, queue=queue()) is None
    assert claim_next_suggestion(reviewer=second_reviewer, queue=queue()) == suggestion


def test_an_empty_queue_says_so_in_persian(reviewer_client):
    response = reviewer_client.post("/review/next/", {"filters": ""}, follow=True)
    assert "پیشنهاد بررسی‌نشدهٔ آزادی با این فیلترها نمانده است" in response.content.decode()


def test_a_claim_is_written_to_the_audit_log(reviewer):
    from review.models import AuditEntry

    suggestion = AnalyzedSuggestionFactory()
    claim_next_suggestion(reviewer=reviewer, queue=queue())
    assert AuditEntry.objects.for_object(suggestion).get().action == "claim"


# SQLite takes the write lock at BEGIN, so claims never overlap there: the race needs PostgreSQL.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_race_between_two_connections_never_gives_one_suggestion_twice(seeded_topics):
    reviewers = [UserFactory(username=f"racer-{n}", groups=["reviewer"]) for n in range(2)]
    for n in range(12):
        AnalyzedSuggestionFactory(created_at=minutes_ago(60 - n))
    claimed = {0: [], 1: []}
    barrier = threading.Barrier(2)

    def race(index):
        try:
            for _ in range(8):
                barrier.wait(timeout=10)
                suggestion = claim_next_suggestion(reviewer=reviewers[index], queue=queue())
                if suggestion is not None:
                    claimed[index].append(suggestion.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    everything = claimed[0] + claimed[1]
    assert len(everything) == len(set(everything)) == 12
    assert Review.objects.filter(claimed_by__isnull=False).count() == 12


def test_the_review_page_fetch_refuses_a_signed_in_person_without_a_review_role(outsider, reviewer):
    suggestion = SuggestionFactory()
    assert get_suggestion_for_reviewer_or_404(reviewer, suggestion.pk) == suggestion
    with pytest.raises(PermissionDenied):
        get_suggestion_for_reviewer_or_404(outsider, suggestion.pk)

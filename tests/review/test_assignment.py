"""Editors hand suggestions to named reviewers: «next» serves a reviewer's assignments first, the dashboard
shows each reviewer's open load, and every assignment is in the audit log."""

import pytest
from django.test import Client, override_settings

from review import queries, services
from review.models import Assignment, AuditEntry, Recusal, Review, ReviewStatus
from tests.factories import AnalyzedSuggestionFactory, ThemeMembershipFactory

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assign(client, ids, reviewer, **extra):
    data = {"action": "assign", "scope": "selected", "ids": ids, "reviewer": reviewer.pk, **extra}
    return client.post("/review/bulk/", data, follow=True)


def test_an_editor_assigns_ticked_suggestions_to_a_reviewer(editor, reviewer):
    ticked = [AnalyzedSuggestionFactory(), AnalyzedSuggestionFactory()]
    response = assign(logged_in(editor), [s.pk for s in ticked], reviewer)
    assert "۲ پیشنهاد به «reviewer-persona» سپرده شد." in response.content.decode()
    assert set(Assignment.objects.held_by(reviewer).values_list("suggestion_id", flat=True)) == {s.pk for s in ticked}
    entries = AuditEntry.objects.filter(action="assign")
    assert entries.count() == 2
    assert all(e.actor_name == "editor-persona" and e.after == {"assigned_to": "reviewer-persona"} for e in entries)


def test_an_editor_assigns_everything_a_theme_filter_matches(editor, reviewer, theme, other_theme):
    in_theme = [AnalyzedSuggestionFactory(), AnalyzedSuggestionFactory(), AnalyzedSuggestionFactory()]
    for suggestion in in_theme:
        ThemeMembershipFactory(suggestion=suggestion, theme=theme)
    elsewhere = AnalyzedSuggestionFactory()
    ThemeMembershipFactory(suggestion=elsewhere, theme=other_theme)
    decided = AnalyzedSuggestionFactory()
    ThemeMembershipFactory(suggestion=decided, theme=theme)
    Review.objects.create(suggestion=decided, status=ReviewStatus.REJECTED, reject_reason="spam", version=1)
    response = logged_in(editor).post(
        "/review/bulk/",
        {"action": "assign", "scope": "all", "reviewer": reviewer.pk, "filters": f"theme={theme.pk}"},
        follow=True,
    )
    assert "۳ پیشنهاد به «reviewer-persona» سپرده شد." in response.content.decode()
    assert set(Assignment.objects.held_by(reviewer).values_list("suggestion_id", flat=True)) == {s.pk for s in in_theme}


def test_assigning_a_theme_as_a_service_takes_its_undecided_suggestions(editor, reviewer, theme):
    waiting = [AnalyzedSuggestionFactory(), AnalyzedSuggestionFactory()]
    for suggestion in waiting:
        ThemeMembershipFactory(suggestion=suggestion, theme=theme)
    result = services.assign_theme(theme=theme, reviewer=reviewer, editor=editor)
    assert sorted(result.assigned) == sorted(s.pk for s in waiting)


@override_settings(REVIEW_BULK_LIMIT=2)
def test_assigning_more_than_the_bulk_limit_is_refused_and_assigns_nothing(editor, reviewer, theme):
    for _ in range(3):
        ThemeMembershipFactory(suggestion=AnalyzedSuggestionFactory(), theme=theme)
    with pytest.raises(services.ReviewError, match="حداکثر ۲ پیشنهاد"):
        services.assign_theme(theme=theme, reviewer=reviewer, editor=editor)
    assert not Assignment.objects.exists()


def test_a_reviewer_cannot_assign(reviewer, second_reviewer):
    suggestion = AnalyzedSuggestionFactory()
    response = assign(logged_in(reviewer), [suggestion.pk], second_reviewer)
    assert "فقط ویراستاران پیشنهادها را به بررسی‌کنندگان می‌سپارند." in response.content.decode()
    assert not Assignment.objects.exists()
    assert not AuditEntry.objects.filter(action="assign").exists()


def test_a_reviewer_is_not_offered_the_assign_action(reviewer_client):
    AnalyzedSuggestionFactory()
    page = reviewer_client.get("/review/").content.decode()
    assert 'value="assign"' not in page and 'name="reviewer"' not in page


def test_assigning_to_someone_who_is_not_a_reviewer_is_refused(editor, outsider):
    suggestion = AnalyzedSuggestionFactory()
    response = assign(logged_in(editor), [suggestion.pk], outsider)
    assert "پیشنهاد را فقط به یکی از بررسی‌کنندگان می‌توان سپرد." in response.content.decode()
    assert not Assignment.objects.exists()
    with pytest.raises(services.ReviewError, match="فقط به یکی از بررسی‌کنندگان"):
        services.assign_suggestions(suggestion_ids=[suggestion.pk], reviewer=outsider, editor=editor)


def test_assigning_without_choosing_a_reviewer_gets_a_persian_error(editor):
    suggestion = AnalyzedSuggestionFactory()
    response = logged_in(editor).post(
        "/review/bulk/", {"action": "assign", "scope": "selected", "ids": [suggestion.pk]}, follow=True
    )
    assert "بررسی‌کننده‌ای را که کار به او سپرده می‌شود انتخاب کنید." in response.content.decode()
    assert not Assignment.objects.exists()


def test_next_serves_the_reviewers_assignments_before_older_suggestions(editor, reviewer):
    older = AnalyzedSuggestionFactory()
    newer = AnalyzedSuggestionFactory()
    services.assign_suggestions(suggestion_ids=[newer.pk], reviewer=reviewer, editor=editor)
    assert services.claim_next_suggestion(reviewer=reviewer, queue=queries.queue()).pk == newer.pk
    assert services.claim_next_suggestion(reviewer=reviewer, queue=queries.queue()).pk == older.pk


def test_next_leaves_a_colleagues_assignments_to_them(editor, reviewer, second_reviewer):
    for_colleague = AnalyzedSuggestionFactory()
    free = AnalyzedSuggestionFactory()
    services.assign_suggestions(suggestion_ids=[for_colleague.pk], reviewer=second_reviewer, editor=editor)
    assert services.claim_next_suggestion(reviewer=reviewer, queue=queries.queue()).pk == free.pk
    assert services.claim_next_suggestion(reviewer=reviewer, queue=queries.queue()) is None
    assert services.claim_next_suggestion(reviewer=second_reviewer, queue=queries.queue()).pk == for_colleague.pk


def test_an_assignment_claimed_by_someone_else_is_not_served_twice(editor, reviewer, second_reviewer):
    assigned = AnalyzedSuggestionFactory()
    services.assign_suggestions(suggestion_ids=[assigned.pk], reviewer=reviewer, editor=editor)
    services.claim_next_suggestion(reviewer=reviewer, queue=queries.queue())
    assert services.claim_next_suggestion(reviewer=second_reviewer, queue=queries.queue()) is None


def test_a_decided_suggestion_leaves_the_reviewers_load(editor, reviewer, second_reviewer, theme):
    first, second = AnalyzedSuggestionFactory(), AnalyzedSuggestionFactory()
    services.assign_suggestions(suggestion_ids=[first.pk, second.pk], reviewer=reviewer, editor=editor)
    # Decided by a colleague: still off the assignee's list.
    services.accept_suggestion(suggestion=first, reviewer=second_reviewer, theme=theme, version=None)
    assert list(Assignment.objects.held_by(reviewer).values_list("suggestion_id", flat=True)) == [second.pk]
    assert Assignment.objects.get(suggestion=first).closed_reason == Assignment.Closed.DECIDED
    services.bulk_reject_as_spam(suggestion_ids=[second.pk], reviewer=reviewer)
    assert not Assignment.objects.held_by(reviewer).exists()


def test_reassigning_hands_the_suggestion_over_and_keeps_the_history(editor, reviewer, second_reviewer):
    suggestion = AnalyzedSuggestionFactory()
    services.assign_suggestions(suggestion_ids=[suggestion.pk], reviewer=reviewer, editor=editor)
    services.assign_suggestions(suggestion_ids=[suggestion.pk], reviewer=second_reviewer, editor=editor)
    assert not Assignment.objects.held_by(reviewer).exists()
    assert Assignment.objects.held_by(second_reviewer).get().suggestion_id == suggestion.pk
    assert Assignment.objects.filter(suggestion=suggestion).count() == 2
    last = AuditEntry.objects.filter(action="assign").first()
    assert (last.before, last.after) == ({"assigned_to": "reviewer-persona"}, {"assigned_to": "second-reviewer"})


def test_a_reviewer_who_stepped_back_is_not_assigned_and_an_assignment_ends_on_recusal(editor, reviewer):
    stepped_back, later = AnalyzedSuggestionFactory(), AnalyzedSuggestionFactory()
    Recusal.objects.create(suggestion=stepped_back, reviewer=reviewer)
    result = services.assign_suggestions(suggestion_ids=[stepped_back.pk, later.pk], reviewer=reviewer, editor=editor)
    assert (result.assigned, result.skipped) == ([later.pk], [stepped_back.pk])
    services.recuse_from_suggestion(suggestion=later, reviewer=reviewer)
    assert not Assignment.objects.held_by(reviewer).exists()


def test_the_dashboard_shows_each_reviewers_open_load(editor, reviewer, second_reviewer, theme):
    first, second, third = AnalyzedSuggestionFactory(), AnalyzedSuggestionFactory(), AnalyzedSuggestionFactory()
    services.assign_suggestions(suggestion_ids=[first.pk, second.pk], reviewer=reviewer, editor=editor)
    services.assign_suggestions(suggestion_ids=[third.pk], reviewer=second_reviewer, editor=editor)
    services.accept_suggestion(suggestion=first, reviewer=reviewer, theme=theme, version=None)
    page = logged_in(reviewer).get("/review/dashboard/").content.decode()
    section = page[page.index('id="load-title"') :]
    section = section[: section.index("</table>")]
    assert "reviewer-persona</th><td>۱</td>" in section.replace("\n", "").replace("  ", "")
    assert "second-reviewer</th><td>۱</td>" in section.replace("\n", "").replace("  ", "")


def test_the_queue_row_says_to_whom_a_suggestion_is_assigned(editor, reviewer, reviewer_client):
    suggestion = AnalyzedSuggestionFactory()
    services.assign_suggestions(suggestion_ids=[suggestion.pk], reviewer=reviewer, editor=editor)
    assert "سپرده به reviewer-persona" in reviewer_client.get("/review/").content.decode()


def test_a_reviewer_filters_the_queue_to_what_is_assigned_to_them(editor, reviewer, second_reviewer, reviewer_client):
    mine = AnalyzedSuggestionFactory(title="پیشنهاد سپرده به من")
    theirs = AnalyzedSuggestionFactory(title="پیشنهاد سپرده به همکار")
    AnalyzedSuggestionFactory(title="پیشنهاد سپرده‌نشده")
    services.assign_suggestions(suggestion_ids=[mine.pk], reviewer=reviewer, editor=editor)
    services.assign_suggestions(suggestion_ids=[theirs.pk], reviewer=second_reviewer, editor=editor)
    page = reviewer_client.get("/review/", {"assignee": reviewer.pk}).content.decode()
    assert "پیشنهاد سپرده به من" in page
    assert "پیشنهاد سپرده به همکار" not in page and "پیشنهاد سپرده‌نشده" not in page
    assert "۱ پیشنهاد به شما سپرده شده" in page


def test_an_unknown_assignee_in_the_queue_filter_gets_a_persian_error(reviewer_client, outsider):
    response = reviewer_client.get("/review/", {"assignee": outsider.pk})
    assert response.status_code == 400
    assert "بررسی‌کننده" in response.content.decode()


def test_an_editor_withdraws_an_assignment_and_it_leaves_the_load(editor, reviewer):
    suggestion = AnalyzedSuggestionFactory()
    services.assign_suggestions(suggestion_ids=[suggestion.pk], reviewer=reviewer, editor=editor)
    response = logged_in(editor).post(
        "/review/bulk/", {"action": "unassign", "scope": "selected", "ids": [suggestion.pk]}, follow=True
    )
    assert "سپردن ۱ پیشنهاد پس گرفته شد." in response.content.decode()
    assert not Assignment.objects.held_by(reviewer).exists()
    assert Assignment.objects.get().closed_reason == Assignment.Closed.WITHDRAWN
    last = AuditEntry.objects.filter(action="unassign").get()
    assert (last.before, last.after) == ({"assigned_to": "reviewer-persona"}, {"assigned_to": None})


def test_a_reviewer_cannot_withdraw_an_assignment(editor, reviewer):
    suggestion = AnalyzedSuggestionFactory()
    services.assign_suggestions(suggestion_ids=[suggestion.pk], reviewer=reviewer, editor=editor)
    response = logged_in(reviewer).post(
        "/review/bulk/", {"action": "unassign", "scope": "selected", "ids": [suggestion.pk]}, follow=True
    )
    assert "فقط ویراستاران" in response.content.decode()
    assert Assignment.objects.held_by(reviewer).exists()


def test_the_review_page_says_to_whom_the_suggestion_is_assigned(editor, reviewer, reviewer_client):
    suggestion = AnalyzedSuggestionFactory()
    services.assign_suggestions(suggestion_ids=[suggestion.pk], reviewer=reviewer, editor=editor)
    page = reviewer_client.get(f"/review/{suggestion.pk}/").content.decode()
    assert "ویراستار «editor-persona» این پیشنهاد را به شما سپرده است" in page
    assert "سپردن به بررسی‌کننده ← reviewer-persona" in page

"""The review page and its decisions: accept, reject, duplicate, follow-up, recuse; notes and tags; the
optimistic conflict check; htmx partials with full-page fallbacks; contact details behind a permission."""

import pytest

from review.models import AuditEntry, Recusal, Review, ReviewStatus
from suggestions.models import DuplicateGroup, GroupKind, SimilarSuggestion, ThemeMembership
from tests.factories import AnalyzedSuggestionFactory, ContactFactory, ThemeMembershipFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_review_page_shows_text_metadata_theme_similar_and_shortcuts(reviewer_client, theme):
    suggestion = AnalyzedSuggestionFactory(
        title="رأی‌گیری در دو روز", body="رأی‌گیری در دو روز برگزار شود تا ازدحام کم شود."
    )
    ThemeMembershipFactory(suggestion=suggestion, theme=theme)
    other = AnalyzedSuggestionFactory(title="رأی‌گیری سه‌روزه")
    SimilarSuggestion.objects.create(suggestion=suggestion, other=other, score=0.81, rank=0)
    page = reviewer_client.get(f"/review/{suggestion.pk}/").content.decode()
    for expected in ["رأی‌گیری در دو روز", "تهران", "شهروند", theme.label, "رأی‌گیری سه‌روزه", "۸۱٪", "<kbd>j</kbd>"]:
        assert expected in page, expected
    assert "نمایش اطلاعات تماس" not in page  # a reviewer has no contact permission


def test_the_review_page_lists_copies_of_one_text_once_with_their_count(reviewer_client):
    suggestion = AnalyzedSuggestionFactory(title="رأی‌گیری در دو روز")
    copies = [AnalyzedSuggestionFactory(title="رأی‌گیری سه‌روزه") for _ in range(3)]
    group = DuplicateGroup.objects.create(kind=GroupKind.EXACT, canonical=copies[0], size=3)
    for copy in copies:
        copy.duplicate_group = group
        copy.save()
    other = AnalyzedSuggestionFactory(title="ساعت رأی‌گیری تا نیمه‌شب")
    for rank, shown in enumerate([copies[1], copies[0], other, copies[2]]):
        SimilarSuggestion.objects.create(suggestion=suggestion, other=shown, score=0.9 - rank / 10, rank=rank)
    page = reviewer_client.get(f"/review/{suggestion.pk}/").content.decode()
    assert page.count("رأی‌گیری سه‌روزه") == 1
    assert "۳ نسخه" in page
    assert "ساعت رأی‌گیری تا نیمه‌شب" in page


def test_the_text_toggles_to_its_normalised_form_over_htmx(reviewer_client):
    suggestion = AnalyzedSuggestionFactory(body="پيشنهاد با ي عربي و كاف عربي که یکسان می‌شود.")
    response = reviewer_client.get(f"/review/{suggestion.pk}/text/", {"text": "normalised"}, **HTMX)
    page = response.content.decode()
    assert "<html" not in page and 'data-form="normalised"' in page
    assert suggestion.normalized_text.split()[0] in page


def test_without_htmx_the_text_toggle_is_a_full_page(reviewer_client):
    suggestion = AnalyzedSuggestionFactory()
    response = reviewer_client.get(f"/review/{suggestion.pk}/text/", {"text": "normalised"})
    assert response.status_code == 302 and response["Location"] == f"/review/{suggestion.pk}/?text=normalised"
    page = reviewer_client.get(response["Location"]).content.decode()
    assert 'data-form="normalised"' in page


def test_accepting_into_a_theme_pins_the_suggestion_there_and_is_audited(reviewer_client, reviewer, theme, other_theme):
    suggestion = AnalyzedSuggestionFactory()
    ThemeMembershipFactory(suggestion=suggestion, theme=other_theme)
    response = reviewer_client.post(f"/review/{suggestion.pk}/accept/", {"version": 0, "theme": theme.pk}, **HTMX)
    assert response.status_code == 200
    assert "پذیرش ثبت شد" in response.content.decode() and "<html" not in response.content.decode()
    review = Review.objects.get(pk=suggestion.pk)
    assert (review.status, review.theme, review.decided_by, review.version) == (
        ReviewStatus.ACCEPTED,
        theme,
        reviewer,
        1,
    )
    membership = ThemeMembership.objects.get(suggestion=suggestion)
    assert (membership.theme, membership.source) == (theme, ThemeMembership.Source.REVIEWER)
    theme.refresh_from_db()
    other_theme.refresh_from_db()
    assert (theme.size, other_theme.size) == (1, 0)
    entry = AuditEntry.objects.for_object(suggestion).get()
    assert (entry.action, entry.before["status"], entry.after["status"]) == ("accept", "pending", "accepted")


def test_without_htmx_a_decision_redirects_back_to_the_review_page(reviewer_client, theme):
    suggestion = AnalyzedSuggestionFactory()
    response = reviewer_client.post(
        f"/review/{suggestion.pk}/accept/", {"version": 0, "theme": theme.pk, "filters": "province=fars"}
    )
    assert response.status_code == 302 and response["Location"] == f"/review/{suggestion.pk}/?province=fars"
    assert "پذیرش ثبت شد" in reviewer_client.get(response["Location"]).content.decode()


def test_rejecting_needs_a_reason_from_the_list(reviewer_client):
    suggestion = AnalyzedSuggestionFactory()
    response = reviewer_client.post(f"/review/{suggestion.pk}/reject/", {"version": 0, "reason": "boring"}, **HTMX)
    assert response.status_code == 400 and "از فهرست انتخاب کنید" in response.content.decode()
    assert not Review.objects.filter(pk=suggestion.pk).exists()
    assert not AuditEntry.objects.exists()


def test_rejecting_for_another_reason_needs_a_note(reviewer_client):
    suggestion = AnalyzedSuggestionFactory()
    response = reviewer_client.post(f"/review/{suggestion.pk}/reject/", {"version": 0, "reason": "other"}, **HTMX)
    assert response.status_code == 400 and "توضیح کوتاهی بنویسید" in response.content.decode()
    response = reviewer_client.post(
        f"/review/{suggestion.pk}/reject/", {"version": 0, "reason": "other", "note": "تبلیغ یک شرکت"}, **HTMX
    )
    review = Review.objects.get(pk=suggestion.pk)
    assert (review.status, review.reject_reason, review.decision_note) == ("rejected", "other", "تبلیغ یک شرکت")


def test_marking_a_duplicate_puts_it_in_the_others_new_group(reviewer_client, reviewer):
    original, copy = AnalyzedSuggestionFactory(title="اصلی"), AnalyzedSuggestionFactory(title="رونوشت")
    response = reviewer_client.post(
        f"/review/{copy.pk}/duplicate/", {"version": 0, "original": str(original.pk)}, **HTMX
    )
    assert response.status_code == 200
    original.refresh_from_db()
    copy.refresh_from_db()
    group = original.duplicate_group
    assert group is not None and copy.duplicate_group == group
    assert (group.canonical, group.size) == (original, 2)
    review = Review.objects.get(pk=copy.pk)
    assert (review.status, review.duplicate_of) == (ReviewStatus.DUPLICATE, original)


def test_marking_a_duplicate_by_tracking_code_joins_the_existing_group_and_leaves_the_old_one(reviewer_client):
    canonical, member, stray, partner = (
        AnalyzedSuggestionFactory(),
        AnalyzedSuggestionFactory(),
        AnalyzedSuggestionFactory(),
        AnalyzedSuggestionFactory(),
    )
    group = DuplicateGroup.objects.create(canonical=canonical, size=2, kind=GroupKind.EXACT)
    old = DuplicateGroup.objects.create(canonical=stray, size=2, kind=GroupKind.NEAR)
    for suggestion, joined in ((canonical, group), (member, group), (stray, old), (partner, old)):
        suggestion.duplicate_group = joined
        suggestion.save()
    code = member.display_code  # Persian digits and a dash, as a reviewer copies it
    reviewer_client.post(f"/review/{stray.pk}/duplicate/", {"version": 0, "original": code}, **HTMX)
    group.refresh_from_db()
    partner.refresh_from_db()
    assert group.size == 3
    assert partner.duplicate_group is None and not DuplicateGroup.objects.filter(pk=old.pk).exists()


def test_a_suggestion_cannot_be_its_own_duplicate_and_an_unknown_one_is_refused(reviewer_client):
    suggestion = AnalyzedSuggestionFactory()
    own = reviewer_client.post(f"/review/{suggestion.pk}/duplicate/", {"version": 0, "original": suggestion.pk}, **HTMX)
    assert own.status_code == 400 and "تکراریِ خودش" in own.content.decode()
    unknown = reviewer_client.post(f"/review/{suggestion.pk}/duplicate/", {"version": 0, "original": "99999"}, **HTMX)
    assert unknown.status_code == 400 and "پیدا نشد" in unknown.content.decode()
    assert Review.objects.filter(pk=suggestion.pk, status=ReviewStatus.DUPLICATE).count() == 0


def test_needs_follow_up_keeps_its_note(reviewer_client):
    suggestion = AnalyzedSuggestionFactory()
    reviewer_client.post(f"/review/{suggestion.pk}/follow-up/", {"version": 0, "note": "نظر حقوقی لازم است"}, **HTMX)
    review = Review.objects.get(pk=suggestion.pk)
    assert (review.status, review.decision_note) == (ReviewStatus.FOLLOW_UP, "نظر حقوقی لازم است")


def test_a_second_reviewer_deciding_an_already_decided_suggestion_gets_a_persian_conflict(
    client, reviewer, second_reviewer, theme
):
    suggestion = AnalyzedSuggestionFactory()
    client.force_login(reviewer)
    client.post(f"/review/{suggestion.pk}/accept/", {"version": 0, "theme": theme.pk}, **HTMX)
    client.force_login(second_reviewer)
    response = client.post(f"/review/{suggestion.pk}/reject/", {"version": 0, "reason": "spam"}, **HTMX)
    assert response.status_code == 409
    page = response.content.decode()
    assert "«reviewer-persona» این پیشنهاد را" in page and "تصمیم شما ثبت نشد" in page
    assert Review.objects.get(pk=suggestion.pk).status == ReviewStatus.ACCEPTED
    assert AuditEntry.objects.filter(action="reject").count() == 0


def test_the_conflict_is_shown_on_a_full_page_too(client, reviewer, second_reviewer, theme):
    suggestion = AnalyzedSuggestionFactory()
    client.force_login(reviewer)
    client.post(f"/review/{suggestion.pk}/accept/", {"version": 0, "theme": theme.pk})
    client.force_login(second_reviewer)
    response = client.post(f"/review/{suggestion.pk}/reject/", {"version": 0, "reason": "spam"})
    assert response.status_code == 409 and "تصمیم شما ثبت نشد" in response.content.decode()
    assert "<html" in response.content.decode()


def test_a_suggestion_another_reviewer_holds_cannot_be_decided(client, reviewer, second_reviewer):
    suggestion = AnalyzedSuggestionFactory()
    client.force_login(reviewer)
    client.post("/review/next/", {"filters": ""})
    client.force_login(second_reviewer)
    response = client.post(f"/review/{suggestion.pk}/reject/", {"version": 0, "reason": "spam"}, **HTMX)
    assert response.status_code == 409 and "در دست «reviewer-persona»" in response.content.decode()


def test_the_holder_decides_and_the_claim_is_released(reviewer_client, reviewer):
    suggestion = AnalyzedSuggestionFactory()
    reviewer_client.post("/review/next/", {"filters": ""})
    reviewer_client.post(f"/review/{suggestion.pk}/reject/", {"version": 0, "reason": "spam"}, **HTMX)
    review = Review.objects.get(pk=suggestion.pk)
    assert review.status == ReviewStatus.REJECTED and review.claimed_by is None


def test_recusing_releases_the_claim_and_is_audited(reviewer_client, reviewer):
    suggestion = AnalyzedSuggestionFactory()
    reviewer_client.post("/review/next/", {"filters": ""})
    response = reviewer_client.post(f"/review/{suggestion.pk}/recuse/", **HTMX)
    assert "کناره‌گیری شما ثبت شد" in response.content.decode()
    assert Recusal.objects.filter(suggestion=suggestion, reviewer=reviewer).exists()
    assert Review.objects.get(pk=suggestion.pk).claimed_by is None
    assert AuditEntry.objects.filter(action="recuse").count() == 1
    again = reviewer_client.post(f"/review/{suggestion.pk}/accept/", {"version": 0, "theme": ""}, **HTMX)
    assert again.status_code == 400


def test_a_recused_reviewer_cannot_decide(reviewer_client, theme):
    suggestion = AnalyzedSuggestionFactory()
    reviewer_client.post(f"/review/{suggestion.pk}/recuse/")
    response = reviewer_client.post(f"/review/{suggestion.pk}/accept/", {"version": 0, "theme": theme.pk}, **HTMX)
    assert response.status_code == 409 and "کناره گرفته‌اید" in response.content.decode()


def test_releasing_a_claim_frees_the_suggestion(reviewer_client):
    suggestion = AnalyzedSuggestionFactory()
    reviewer_client.post("/review/next/", {"filters": ""})
    reviewer_client.post(f"/review/{suggestion.pk}/release/", **HTMX)
    assert Review.objects.get(pk=suggestion.pk).claimed_by is None


def test_private_notes_and_tags_are_saved_but_the_audit_keeps_no_note_text(reviewer_client):
    suggestion = AnalyzedSuggestionFactory()
    response = reviewer_client.post(
        f"/review/{suggestion.pk}/notes/",
        {"private_notes": "فرستنده همان کسی است که دیروز زنگ زد", "tags": "فوری، حقوقی, فوری"},
        **HTMX,
    )
    assert response.status_code == 200 and "ذخیره شد" in response.content.decode()
    review = Review.objects.get(pk=suggestion.pk)
    assert review.private_notes.startswith("فرستنده") and review.tags == ["فوری", "حقوقی"]
    entry = AuditEntry.objects.for_object(suggestion).get()
    assert "زنگ" not in str(entry.before) + str(entry.after)
    assert entry.after["tags"] == ["فوری", "حقوقی"]


def test_too_many_tags_are_refused_and_nothing_changes(reviewer_client):
    suggestion = AnalyzedSuggestionFactory()
    tags = ", ".join(f"برچسب{n}" for n in range(11))
    response = reviewer_client.post(f"/review/{suggestion.pk}/notes/", {"tags": tags, "private_notes": "x"}, **HTMX)
    assert response.status_code == 400 and "حداکثر ۱۰ برچسب" in response.content.decode()
    assert not Review.objects.filter(pk=suggestion.pk).exists()


def test_contact_details_are_shown_to_the_permitted_only_and_each_look_is_audited(client, administrator):
    contact = ContactFactory(email="canary-5521@example.ir")
    suggestion = contact.suggestion
    suggestion.state = "analyzed"
    suggestion.save()
    client.force_login(administrator)
    page = client.get(f"/review/{suggestion.pk}/").content.decode()
    assert "canary-5521" not in page and "نمایش اطلاعات تماس" in page
    response = client.get(f"/review/{suggestion.pk}/contact/", **HTMX)
    assert "canary-5521@example.ir" in response.content.decode()
    entry = AuditEntry.objects.get(action="view_contact")
    assert "canary" not in str(entry.before) + str(entry.after)


def test_the_review_page_lists_the_suggestions_audit_trail(reviewer_client, theme):
    suggestion = AnalyzedSuggestionFactory()
    reviewer_client.post(f"/review/{suggestion.pk}/accept/", {"version": 0, "theme": theme.pk})
    page = reviewer_client.get(f"/review/{suggestion.pk}/").content.decode()
    assert "reviewer-persona" in page and "پذیرش ← پذیرفته" in page


def test_an_htmx_decision_also_refreshes_the_audit_trail_out_of_band(reviewer_client, theme):
    suggestion = AnalyzedSuggestionFactory()
    response = reviewer_client.post(f"/review/{suggestion.pk}/accept/", {"version": 0, "theme": theme.pk}, **HTMX)
    assert 'id="audit-trail" hx-swap-oob="true"' in response.content.decode()

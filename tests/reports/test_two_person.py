"""The two-person rule: the editor who approves a report version wrote no part of it, neither its title and
introduction, nor a summary of one of its themes, nor one of its quotes. Another editor must approve it."""

import pytest
from django.urls import reverse

from reports import services
from reports.models import ReportStatus, ReportVersion
from tests.factories import UserFactory
from tests.reports.data import (
    draft_report,
    period,
    publish,
    quote_and_confirm,
    theme_with_accepted,
    write_summary,
)

pytestmark = pytest.mark.django_db
WROTE_PART = "بخشی از این نسخه"


@pytest.fixture
def second_editor(db):
    return UserFactory(username="second-editor", groups=["editor"])


def rewrite_introduction(version, *, by, introduction="مقدمه‌ای که ویراستار از نو نوشت."):
    start, end = period()
    return services.edit_report(
        version=version,
        editor=by,
        title=version.title,
        introduction=introduction,
        period_start=start,
        period_end=end,
        themes=list(version.themes.all()),
    )


def assert_still_submitted(version):
    version = ReportVersion.objects.get(pk=version.pk)
    assert version.status == ReportStatus.SUBMITTED and version.approved_by is None


def test_an_editor_who_rewrote_a_reviewers_introduction_cannot_approve_it(reviewer, editor, second_editor):
    theme, _ = theme_with_accepted()
    write_summary(theme, by=reviewer)
    version = rewrite_introduction(draft_report(author=reviewer, themes=[theme]), by=editor)
    version = services.submit_report(version=version, submitter=reviewer)
    with pytest.raises(services.ReportError, match=WROTE_PART):
        services.approve_report(version=version, editor=editor)
    assert_still_submitted(version)
    assert services.approve_report(version=version, editor=second_editor).status == ReportStatus.APPROVED


def test_an_editor_who_wrote_a_summary_of_one_of_its_themes_cannot_approve_it(reviewer, editor, second_editor):
    theme, _ = theme_with_accepted()
    other, _ = theme_with_accepted(label="صندوق سیار")
    write_summary(theme, by=reviewer)
    write_summary(other, by=editor)
    version = services.submit_report(version=draft_report(author=reviewer, themes=[theme, other]), submitter=reviewer)
    with pytest.raises(services.ReportError, match=WROTE_PART):
        services.approve_report(version=version, editor=editor)
    assert_still_submitted(version)


def test_an_editor_whose_summary_text_was_later_rewritten_by_another_still_counts_as_a_writer(
    reviewer, editor, second_editor
):
    theme, _ = theme_with_accepted()
    write_summary(theme, by=editor, text="نخستین متن خلاصه")
    write_summary(theme, by=reviewer, text="متن تازهٔ خلاصه")
    version = services.submit_report(version=draft_report(author=reviewer, themes=[theme]), submitter=reviewer)
    with pytest.raises(services.ReportError, match=WROTE_PART):
        services.approve_report(version=version, editor=editor)


def test_an_editor_who_chose_one_of_its_quotes_cannot_approve_it(reviewer, editor, second_editor):
    theme, accepted = theme_with_accepted()
    write_summary(theme, by=reviewer)
    quote = services.add_quote(
        theme=theme, suggestion=accepted[0], reviewer=editor, excerpt=accepted[0].body, extra_terms=[]
    )
    services.confirm_quote(quote=quote, reviewer=reviewer)
    version = services.submit_report(version=draft_report(author=reviewer, themes=[theme]), submitter=reviewer)
    with pytest.raises(services.ReportError, match=WROTE_PART):
        services.approve_report(version=version, editor=editor)
    assert_still_submitted(version)


def test_an_editor_who_wrote_nothing_in_it_approves_it(reviewer, editor):
    theme, accepted = theme_with_accepted()
    write_summary(theme, by=reviewer)
    quote_and_confirm(theme, accepted[0], by=reviewer)
    version = services.submit_report(version=draft_report(author=reviewer, themes=[theme]), submitter=reviewer)
    assert services.approve_report(version=version, editor=editor).approved_by == editor


def test_an_editor_who_saved_the_draft_without_changing_it_may_still_approve_it(reviewer, editor):
    theme, _ = theme_with_accepted()
    write_summary(theme, by=reviewer)
    draft = draft_report(author=reviewer, themes=[theme])
    version = rewrite_introduction(draft, by=editor, introduction=draft.introduction)
    version = services.submit_report(version=version, submitter=reviewer)
    assert services.approve_report(version=version, editor=editor).status == ReportStatus.APPROVED


def test_a_correction_keeps_the_writers_of_the_text_it_copies(reviewer, editor, second_editor):
    theme, _ = theme_with_accepted()
    write_summary(theme, by=reviewer)
    first = rewrite_introduction(draft_report(author=reviewer, themes=[theme]), by=editor)
    first = publish(first, author=reviewer, editor=second_editor)
    correction = services.start_correction(version=first, author=reviewer)
    correction.change_note = "رقم‌ها به‌روز شدند."
    correction.save()
    correction = services.submit_report(version=correction, submitter=reviewer)
    with pytest.raises(services.ReportError, match=WROTE_PART):
        services.approve_report(version=correction, editor=editor)
    assert services.approve_report(version=correction, editor=second_editor).status == ReportStatus.APPROVED


def test_a_writer_sees_the_refusal_on_the_page_and_no_approve_button(client, reviewer, editor):
    theme, _ = theme_with_accepted()
    write_summary(theme, by=reviewer)
    version = rewrite_introduction(draft_report(author=reviewer, themes=[theme]), by=editor)
    version = services.submit_report(version=version, submitter=reviewer)
    client.force_login(editor)
    page = client.get(reverse("review_reports:version", args=[version.pk])).content.decode()
    assert 'id="approve-report"' not in page
    response = client.post(reverse("review_reports:approve", args=[version.pk]), follow=True)
    assert WROTE_PART in response.content.decode()
    assert_still_submitted(version)

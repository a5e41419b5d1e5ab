"""Summaries, figures and the report workflow: draft → submitted → approved (by an editor who is not the
author) → published, immutable, corrected by new versions."""

import pytest
from django.urls import reverse

from reports import services
from reports.markup import render_markdown
from reports.models import ImmutableReportError, ReportStatus, ReportVersion
from review.models import AuditEntry, RejectReason, ReviewStatus
from suggestions.choices import Province, Role
from suggestions.models import GroupKind
from tests.factories import UserFactory
from tests.reports.data import (
    draft_report,
    make_group,
    make_suggestion,
    publish,
    quote_and_confirm,
    theme_with_accepted,
    write_summary,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_editor(db):
    return UserFactory(username="second-editor", groups=["editor"])


@pytest.fixture
def ready_draft(reviewer):
    theme, accepted = theme_with_accepted()
    write_summary(theme, by=reviewer)
    quote_and_confirm(theme, accepted[0], by=reviewer)
    return draft_report(author=reviewer, themes=[theme])


# Workflow ----------------------------------------------------------------------------------------------


def test_an_editor_cannot_approve_a_report_they_wrote(editor, second_editor):
    theme, _ = theme_with_accepted()
    write_summary(theme, by=editor)
    version = services.submit_report(version=draft_report(author=editor, themes=[theme]), submitter=editor)
    with pytest.raises(services.ReportError, match="نویسنده نمی‌تواند"):
        services.approve_report(version=version, editor=editor)
    assert ReportVersion.objects.get(pk=version.pk).status == ReportStatus.SUBMITTED
    services.approve_report(version=version, editor=second_editor)
    assert ReportVersion.objects.get(pk=version.pk).status == ReportStatus.APPROVED


def test_the_author_sees_a_refusal_when_approving_their_own_report_on_the_page(client, editor):
    theme, _ = theme_with_accepted()
    write_summary(theme, by=editor)
    version = services.submit_report(version=draft_report(author=editor, themes=[theme]), submitter=editor)
    client.force_login(editor)
    response = client.post(reverse("review_reports:approve", args=[version.pk]), follow=True)
    assert "نویسنده نمی‌تواند گزارش خودش را تأیید کند" in response.content.decode()
    assert ReportVersion.objects.get(pk=version.pk).status == ReportStatus.SUBMITTED


def test_a_reviewer_cannot_approve_or_publish(ready_draft, reviewer):
    UserFactory(username="other-reviewer", groups=["reviewer"])
    version = services.submit_report(version=ready_draft, submitter=reviewer)
    other = UserFactory(username="other-reviewer")
    with pytest.raises(services.ReportError):
        services.approve_report(version=version, editor=other)
    with pytest.raises(services.ReportError):
        services.publish_report(version=version, editor=other)


def test_a_report_is_published_only_after_approval(ready_draft, reviewer, editor):
    version = services.submit_report(version=ready_draft, submitter=reviewer)
    with pytest.raises(services.ReportError, match="تأییدشده"):
        services.publish_report(version=version, editor=editor)
    version = services.approve_report(version=version, editor=editor)
    version = services.publish_report(version=version, editor=editor)
    assert version.status == ReportStatus.PUBLISHED and version.published_at is not None


def test_every_transition_writes_the_audit_log(ready_draft, reviewer, editor):
    version = services.submit_report(version=ready_draft, submitter=reviewer)
    version = services.return_report(version=version, user=editor, note="رقم‌ها را دوباره ببینید")
    version = publish(version, author=reviewer, editor=editor)
    correction = services.start_correction(version=version, author=reviewer)
    actions = list(AuditEntry.objects.for_object(version).order_by("at", "id").values_list("action", flat=True))
    assert actions == [
        "report_create",
        "report_submit",
        "report_return",
        "report_submit",
        "report_approve",
        "report_publish",
    ]
    assert AuditEntry.objects.for_object(correction).get().action == "report_correct"
    publish_entry = AuditEntry.objects.for_object(version).get(action="report_publish")
    assert publish_entry.actor == editor and publish_entry.before["status"] == "approved"


def test_returning_a_report_unfreezes_it_for_editing(ready_draft, reviewer, editor):
    version = services.submit_report(version=ready_draft, submitter=reviewer)
    assert version.content is not None and version.coverage.exists()
    version = services.return_report(version=version, user=editor, note="")
    assert version.status == ReportStatus.DRAFT and version.content is None and not version.coverage.exists()


# Immutability and corrections --------------------------------------------------------------------------


def test_a_published_report_cannot_be_edited_through_the_service(ready_draft, reviewer, editor):
    version = publish(ready_draft, author=reviewer, editor=editor)
    with pytest.raises(services.ReportError, match="تغییرناپذیر"):
        services.edit_report(
            version=version,
            editor=reviewer,
            title="عنوان تازه",
            introduction="",
            period_start=version.period_start,
            period_end=version.period_end,
            themes=[],
        )
    assert ReportVersion.objects.get(pk=version.pk).title == "گزارش نخست هم‌اندیشی"


def test_a_published_report_cannot_be_changed_by_saving_the_model(ready_draft, reviewer, editor):
    version = publish(ready_draft, author=reviewer, editor=editor)
    version.title = "دستکاری"
    with pytest.raises(ImmutableReportError):
        version.save()
    with pytest.raises(ImmutableReportError):
        ReportVersion.objects.filter(pk=version.pk).update(title="دستکاری")
    with pytest.raises(ImmutableReportError):
        ReportVersion.objects.get(pk=version.pk).delete()
    assert ReportVersion.objects.get(pk=version.pk).title == "گزارش نخست هم‌اندیشی"


def test_the_edit_page_of_a_published_report_refuses(client, ready_draft, reviewer, editor):
    version = publish(ready_draft, author=reviewer, editor=editor)
    client.force_login(reviewer)
    response = client.post(reverse("review_reports:edit", args=[version.pk]), {"title": "x"}, follow=True)
    assert "فقط پیش‌نویس را می‌توان ویرایش کرد" in response.content.decode()
    assert ReportVersion.objects.get(pk=version.pk).title == "گزارش نخست هم‌اندیشی"


def test_a_correction_is_a_new_version_and_the_old_one_stays_reachable(client, ready_draft, reviewer, editor):
    first = publish(ready_draft, author=reviewer, editor=editor)
    correction = services.start_correction(version=first, author=reviewer)
    assert correction.number == 2 and correction.report_id == first.report_id
    with pytest.raises(services.ReportError, match="یادداشت اصلاح"):
        services.submit_report(version=correction, submitter=reviewer)
    correction = services.edit_report(
        version=correction,
        editor=reviewer,
        title="گزارش نخست هم‌اندیشی (اصلاح‌شده)",
        introduction="",
        period_start=correction.period_start,
        period_end=correction.period_end,
        themes=list(correction.themes.all()),
        change_note="شمار پیشنهادهای استان تهران اصلاح شد.",
    )
    second = publish(correction, author=reviewer, editor=editor)

    old_page = client.get(reverse("reports:version", args=[first.report_id, 1])).content.decode()
    new_page = client.get(reverse("reports:version", args=[first.report_id, 2])).content.decode()
    latest = client.get(reverse("reports:latest", args=[first.report_id])).content.decode()
    assert "گزارش نخست هم‌اندیشی" in old_page and "نسخهٔ تازه‌تری از این گزارش منتشر شده است" in old_page
    assert "شمار پیشنهادهای استان تهران اصلاح شد." in new_page and "یادداشت اصلاح" in new_page
    assert "(اصلاح‌شده)" in latest
    listing = client.get(reverse("reports:list")).content.decode()
    assert listing.count("گزارش نخست هم‌اندیشی") == 1 and second.number == 2


def test_only_one_correction_is_open_at_a_time(ready_draft, reviewer, editor):
    first = publish(ready_draft, author=reviewer, editor=editor)
    services.start_correction(version=first, author=reviewer)
    with pytest.raises(services.ReportError, match="پیش‌تر نسخهٔ اصلاحی"):
        services.start_correction(version=first, author=reviewer)


# Submission checks --------------------------------------------------------------------------------------


def test_a_draft_with_an_unconfirmed_quote_cannot_be_submitted(reviewer):
    theme, accepted = theme_with_accepted()
    write_summary(theme, by=reviewer)
    services.add_quote(theme=theme, suggestion=accepted[0], reviewer=reviewer, excerpt=accepted[0].body, extra_terms=[])
    version = draft_report(author=reviewer, themes=[theme])
    with pytest.raises(services.ReportError, match="هنوز تأیید نشده"):
        services.submit_report(version=version, submitter=reviewer)
    assert ReportVersion.objects.get(pk=version.pk).status == ReportStatus.DRAFT


def test_a_theme_without_a_summary_blocks_submission(reviewer):
    theme, _ = theme_with_accepted()
    with pytest.raises(services.ReportError, match="هنوز خلاصه ندارد"):
        services.submit_report(version=draft_report(author=reviewer, themes=[theme]), submitter=reviewer)


def test_personal_data_written_into_a_summary_blocks_submission(reviewer):
    theme, _ = theme_with_accepted()
    write_summary(theme, by=reviewer, text="برای هماهنگی با ۰۹۱۲۳۴۵۶۷۸۹ تماس بگیرید.")
    with pytest.raises(services.ReportError, match="شمارهٔ تلفن"):
        services.submit_report(version=draft_report(author=reviewer, themes=[theme]), submitter=reviewer)


def test_submission_freezes_what_the_editor_approves(ready_draft, reviewer):
    theme = ready_draft.themes.get()
    version = services.submit_report(version=ready_draft, submitter=reviewer)
    before = version.content["sections"][0]["figures"]["suggestions"]
    make_suggestion(theme=theme, status=ReviewStatus.ACCEPTED)
    write_summary(theme, by=reviewer, text="متنی دیگر")
    version.refresh_from_db()
    assert version.content["sections"][0]["figures"]["suggestions"] == before
    assert "ساعت" in version.content["sections"][0]["summary_html"]


# Quotes -------------------------------------------------------------------------------------------------


def test_quotes_come_only_from_accepted_suggestions_of_the_theme(reviewer):
    theme, _ = theme_with_accepted()
    pending = make_suggestion(theme=theme)
    rejected = make_suggestion(theme=theme, status=ReviewStatus.REJECTED, reason=RejectReason.SPAM)
    other_theme, elsewhere = theme_with_accepted("پروتکل‌ها", count=1)
    for suggestion in (pending, rejected, elsewhere[0]):
        with pytest.raises(services.ReportError, match="پذیرفته‌شدهٔ همین محور"):
            services.add_quote(
                theme=theme, suggestion=suggestion, reviewer=reviewer, excerpt=suggestion.body, extra_terms=[]
            )


def test_a_quote_must_be_the_suggestions_own_words(reviewer):
    theme, accepted = theme_with_accepted()
    with pytest.raises(services.ReportError, match="عین واژه‌های خود پیشنهاد"):
        services.add_quote(
            theme=theme, suggestion=accepted[0], reviewer=reviewer, excerpt="متنی ساختگی", extra_terms=[]
        )


def test_a_quote_is_redacted_on_adding_and_hides_words_a_reviewer_names(reviewer):
    theme, _ = theme_with_accepted(count=0)
    suggestion = make_suggestion(
        theme=theme,
        status=ReviewStatus.ACCEPTED,
        body="آقای رضایی مسئول شعبه است، با ۰۹۱۲ ۳۴۵ ۶۷۸۹ یا ali@example.com تماس بگیرید.",
    )
    quote = services.add_quote(
        theme=theme, suggestion=suggestion, reviewer=reviewer, excerpt=suggestion.body, extra_terms=["رضایی"]
    )
    assert "۰۹۱۲" not in quote.redacted_text and "ali@example.com" not in quote.redacted_text
    assert "رضایی" not in quote.redacted_text
    assert "[شمارهٔ تلفن حذف شد]" in quote.redacted_text and "[رایانامه حذف شد]" in quote.redacted_text
    assert not quote.is_confirmed
    assert AuditEntry.objects.for_object(quote).get().after["redactions"] == ["named", "phone", "email"]


def test_an_unconfirmed_quote_never_reaches_the_report(reviewer):
    theme, accepted = theme_with_accepted()
    write_summary(theme, by=reviewer)
    services.add_quote(theme=theme, suggestion=accepted[1], reviewer=reviewer, excerpt=accepted[1].body, extra_terms=[])
    version = draft_report(author=reviewer, themes=[theme])
    assert services.build_content(version)["sections"][0]["quotes"] == []


# Figures ------------------------------------------------------------------------------------------------


def test_a_duplicate_group_counts_once_among_the_distinct_ideas(reviewer):
    theme, accepted = theme_with_accepted(count=2)
    group = make_group(accepted[0])
    for _ in range(3):
        make_suggestion(theme=theme, status=ReviewStatus.DUPLICATE, group=group)
    figures = services.build_content(draft_report(author=reviewer, themes=[theme]))["sections"][0]["figures"]
    assert figures["suggestions"] == 5 and figures["distinct_ideas"] == 2 and figures["merged"] == 3


def test_a_campaign_counts_once_and_the_method_gives_its_size(reviewer):
    theme, accepted = theme_with_accepted(count=1)
    campaign = make_group(accepted[0], kind=GroupKind.CAMPAIGN)
    for _ in range(6):
        make_suggestion(theme=theme, group=campaign)
    content = services.build_content(draft_report(author=reviewer, themes=[theme]))
    assert content["sections"][0]["figures"]["distinct_ideas"] == 1
    [row] = content["method"]["campaigns"]
    assert row["number"] == campaign.pk and row["size"] == 7 and row["label"].startswith("کارزار شمارهٔ")
    assert content["method"]["merged"] == 6


def test_the_method_counts_rejections_by_reason_and_leaves_them_out(reviewer):
    theme, _ = theme_with_accepted(count=2)
    make_suggestion(theme=theme, status=ReviewStatus.REJECTED, reason=RejectReason.SPAM)
    make_suggestion(theme=theme, status=ReviewStatus.REJECTED, reason=RejectReason.SPAM)
    make_suggestion(status=ReviewStatus.REJECTED, reason=RejectReason.OFF_TOPIC)
    make_suggestion(days_ago=90)  # before the period
    content = services.build_content(draft_report(author=reviewer, themes=[theme]))
    method = content["method"]
    assert method["received"] == 5 and method["rejected"] == 3 and method["counted"] == 2
    assert {row["key"]: row["count"] for row in method["rejected_by_reason"]} == {"spam": 2, "off_topic": 1}
    assert content["sections"][0]["figures"]["suggestions"] == 2


def test_shares_fold_groups_smaller_than_three_into_others(reviewer):
    theme, _ = theme_with_accepted(count=3, role=Role.LAWYER, province=Province.TEHRAN)
    make_suggestion(theme=theme, status=ReviewStatus.ACCEPTED, role=Role.JOURNALIST, province=Province.ILAM)
    figures = services.build_content(draft_report(author=reviewer, themes=[theme]))["sections"][0]["figures"]
    provinces = {row["key"]: (row["count"], row["share"]) for row in figures["by_province"]}
    assert provinces == {"tehran": (3, 75.0), "others": (1, 25.0)}
    assert "journalist" not in {row["key"] for row in figures["by_role"]}


def test_summary_markdown_is_sanitised():
    html = render_markdown("# سرتیتر\n\n**پررنگ** <script>alert(1)</script> [پیوند](javascript:alert(1))")
    assert "<script" not in html and "javascript:" not in html and "<h1" not in html
    assert "<strong>پررنگ</strong>" in html


# Forms --------------------------------------------------------------------------------------------------


def test_a_reviewer_creates_a_draft_with_a_jalali_period_stored_in_utc(client, reviewer):
    from datetime import UTC, datetime

    theme, _ = theme_with_accepted()
    client.force_login(reviewer)
    data = {"title": "گزارش بهار", "introduction": "", "first_day": "۱۴۰۰/۰۱/۰۱", "last_day": "1400/01/31"}
    response = client.post(reverse("review_reports:create"), {**data, "themes": [theme.pk]})
    version = ReportVersion.objects.get()
    assert response.status_code == 302 and version.status == ReportStatus.DRAFT and version.author == reviewer
    # 1 Farvardin 1400 is 21 March 2021, still UTC+3:30 in Tehran (summer time began at its end); the period
    # ends as 1 Ordibehesht begins, at UTC+4:30.
    assert version.period_start == datetime(2021, 3, 20, 20, 30, tzinfo=UTC)
    assert version.period_end == datetime(2021, 4, 20, 19, 30, tzinfo=UTC)
    page = client.get(reverse("review_reports:version", args=[version.pk])).content.decode()
    assert "۱ فروردین ۱۴۰۰" in page and "۳۱ فروردین ۱۴۰۰" in page


def test_a_bad_date_gets_a_persian_error_and_creates_nothing(client, reviewer):
    theme, _ = theme_with_accepted()
    client.force_login(reviewer)
    data = {"title": "گزارش", "first_day": "۱۴۰۰/۱۳/۴۰", "last_day": "۱۳۹۹/۰۱/۰۱", "themes": [theme.pk]}
    response = client.post(reverse("review_reports:create"), data)
    assert response.status_code == 400
    assert "این تاریخ در تقویم خورشیدی وجود ندارد" in response.content.decode()
    assert not ReportVersion.objects.exists()


def test_a_quote_form_without_a_suggestion_gets_a_persian_error(client, reviewer):
    theme, _ = theme_with_accepted()
    client.force_login(reviewer)
    response = client.post(reverse("review_reports:add_quote", args=[theme.pk]), {"excerpt": "متن"})
    assert response.status_code == 400
    assert "پیشنهادی را که از آن نقل می‌کنید برگزینید" in response.content.decode()

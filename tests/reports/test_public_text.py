"""Staff-written Markdown is checked for personal data as the public will read it: rendered, sanitised and
turned into text, so comments, character references and markup cannot hide a number or an address."""

import pytest

from reports import services
from reports.markup import render_markdown, visible_text
from reports.models import ReportStatus, ReportVersion
from reports.redaction import find_personal_data
from tests.reports.data import draft_report, theme_with_accepted, write_summary

pytestmark = pytest.mark.django_db

HIDDEN_IN_MARKUP = [
    ("0912<!-- -->3456789", "شمارهٔ تلفن"),
    ("ali&#64;example&#46;com", "رایانامه"),
    ("001<!---->2345679", "کد ملی"),
    ("۰۹۱۲**۳۴۵**۶۷۸۹", "شمارهٔ تلفن"),
    ("ali&commat;example.com", "رایانامه"),
    ("[نشانی ما](mailto:ali&#64;example&#46;com)", "رایانامه"),
]


@pytest.mark.parametrize(("markdown", "kind"), HIDDEN_IN_MARKUP)
def test_personal_data_hidden_by_markup_in_the_introduction_blocks_submission(reviewer, markdown, kind):
    theme, _ = theme_with_accepted()
    write_summary(theme, by=reviewer)
    version = draft_report(author=reviewer, themes=[theme])
    version.introduction = f"برای هماهنگی {markdown} در دسترس است."
    version.save()
    with pytest.raises(services.ReportError, match=f"در مقدمه اطلاعات شخصی \\([^)]*{kind}"):
        services.submit_report(version=version, submitter=reviewer)
    version = ReportVersion.objects.get(pk=version.pk)
    assert version.status == ReportStatus.DRAFT and version.content is None
    assert not version.coverage.exists()


@pytest.mark.parametrize(("markdown", "kind"), HIDDEN_IN_MARKUP)
def test_personal_data_hidden_by_markup_in_a_summary_blocks_submission_naming_the_theme(reviewer, markdown, kind):
    theme, _ = theme_with_accepted(label="ساعت رأی‌گیری")
    write_summary(theme, by=reviewer, text=f"پیشنهادها: {markdown}")
    version = draft_report(author=reviewer, themes=[theme])
    with pytest.raises(services.ReportError, match=f"در خلاصهٔ محور «ساعت رأی‌گیری» اطلاعات شخصی \\([^)]*{kind}"):
        services.submit_report(version=version, submitter=reviewer)
    assert ReportVersion.objects.get(pk=version.pk).status == ReportStatus.DRAFT


def test_markdown_with_years_and_counts_is_submitted(reviewer):
    theme, _ = theme_with_accepted()
    write_summary(theme, by=reviewer, text="در سال **۱۴۰۰**، <!-- یادداشت --> ۲۵ درصد پیشنهادها دربارهٔ ساعت بود.")
    version = services.submit_report(version=draft_report(author=reviewer, themes=[theme]), submitter=reviewer)
    assert version.status == ReportStatus.SUBMITTED


def test_the_visible_text_of_rendered_markdown_has_no_markup_comments_or_references():
    html = render_markdown("سلام <!-- پنهان --> **ali&#64;example.com**\n\n- یک\n- دو")
    text = visible_text(html)
    assert "ali@example.com" in text and "پنهان" not in text and "<" not in text
    assert [line for line in text.splitlines() if line.strip()][-2:] == ["یک", "دو"]


def test_paragraphs_read_as_separate_lines_so_two_numbers_do_not_join():
    assert find_personal_data(visible_text(render_markdown("۱۴۰۰\n\n۱۲۳۴۵۶"))) == []

"""Supports are counted beside suggestions, never as suggestions: «N پیشنهاد، M حامی» in the queue, the review
page, the boards, the dashboard, a published report and its open data."""

import csv
import io
import json

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from reports.exports import report_csv
from reports.presentation import present
from review.models import ReviewStatus
from review.queries import dashboard_figures
from suggestions.models import Suggestion, Support
from suggestions.services import do_support_idea
from tests.factories import ThemeMembershipFactory
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


def backed(idea, times: int) -> None:
    for n in range(times):
        do_support_idea(idea=idea, idea_text=idea.title, browser=f"browser-{idea.pk}-{n}")


@pytest.fixture
def idea_with_copies(theme):
    """An accepted idea sent three times, backed by two citizens."""
    canonical = make_suggestion(theme=theme, status=ReviewStatus.ACCEPTED, title="صندوق سیار برای سالمندان")
    group = make_group(canonical)
    for _ in range(2):
        make_suggestion(theme=theme, group=group, title="صندوق سیار برای سالمندان")
    group.size = 3
    group.save()
    backed(canonical, 2)
    return canonical


def test_the_queue_shows_suggestions_and_supporters_of_each_rows_idea(reviewer_client, idea_with_copies):
    page = reviewer_client.get("/review/", {"status": "all"}).content.decode()
    assert "۳ پیشنهاد، ۲ حامی" in page


def test_supports_are_never_rows_of_the_queue(reviewer_client, idea_with_copies):
    page = reviewer_client.get("/review/", {"status": "all"}).content.decode()
    assert "۳ پیشنهاد" in page and 'id="result-count"' in page
    assert page.count("data-row") == 3


def test_the_review_page_says_how_many_back_the_idea(reviewer_client, idea_with_copies):
    copy = idea_with_copies.duplicate_group.members.exclude(pk=idea_with_copies.pk).first()
    page = reviewer_client.get(reverse("review:suggestion", args=[copy.pk])).content.decode()
    assert "این ایده: ۳ پیشنهاد، ۲ حامی" in page


def test_the_duplicate_boards_show_the_supporters_of_each_group(reviewer_client, idea_with_copies):
    group = idea_with_copies.duplicate_group
    listing = reviewer_client.get(reverse("boards:group_list")).content.decode()
    assert 'title="۳ پیشنهاد، ۲ حامی"' in listing
    board = reviewer_client.get(reverse("boards:group_detail", args=[group.pk])).content.decode()
    assert "۳ پیشنهاد، ۲ حامی" in board


def test_the_themes_board_shows_the_supporters_of_each_theme(reviewer_client, theme, idea_with_copies):
    theme.size = 3
    theme.save()
    board = reviewer_client.get(reverse("boards:theme_board")).content.decode()
    assert "۳ پیشنهاد، ۲ حامی" in board
    page = reviewer_client.get(reverse("boards:theme_detail", args=[theme.pk])).content.decode()
    assert "۳ پیشنهاد، ۲ حامی" in page


def test_the_dashboard_counts_supporters_apart_from_suggestions(reviewer_client, idea_with_copies):
    figures = dashboard_figures(refresh=True)
    assert (figures["suggestions"], figures["supporters"], figures["supported_ideas"]) == (3, 2, 1)
    page = reviewer_client.get(reverse("review:dashboard")).content.decode()
    assert "<strong>۳</strong> پیشنهاد، <strong>۲</strong> حامی" in page


@pytest.fixture
def published_with_supports(reviewer, editor):
    theme, accepted = theme_with_accepted(count=3)
    backed(accepted[0], 2)
    backed(accepted[1], 1)
    write_summary(theme, by=reviewer)
    quote_and_confirm(theme, accepted[0], by=reviewer)
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    return version, accepted


def test_a_published_report_freezes_its_supporters_beside_its_suggestions(client, published_with_supports):
    version, accepted = published_with_supports
    assert version.content["method"]["supporters"] == 3
    assert version.content["sections"][0]["figures"]["supporters"] == 3
    assert version.content["method"]["counted"] == 3  # a support is never counted as a suggestion
    backed(accepted[2], 1)  # after publishing: the frozen figures stay as they were
    page = client.get(reverse("reports:version", args=[version.report_id, version.number])).content.decode()
    assert "<strong>۳</strong> پیشنهاد، <strong>۳</strong> حامی" in page


def test_a_quote_in_a_published_report_offers_to_back_its_idea(client, published_with_supports):
    version, accepted = published_with_supports
    page = client.get(reverse("reports:version", args=[version.report_id, version.number])).content.decode()
    assert f'href="{reverse("hints:support", args=[accepted[0].pk])}"' in page
    assert client.get(reverse("hints:support", args=[accepted[0].pk])).status_code == 200


def test_the_open_data_has_a_supporters_column_for_the_method_and_each_theme(client, published_with_supports):
    version, _ = published_with_supports
    args = [version.report_id, version.number]
    rows = list(csv.reader(io.StringIO(client.get(reverse("reports:csv", args=args)).content.decode("utf-8-sig"))))
    supporters = [row for row in rows if row[2] == "supporters"]
    assert [(row[0], row[4]) for row in supporters] == [("method", "3"), ("theme", "3")]
    data = json.loads(client.get(reverse("reports:json", args=args)).content)
    assert data["method"]["supporters"] == 3 and data["themes"][0]["figures"]["supporters"] == 3
    assert "supporters" in data["counting_rules"]


def test_a_version_frozen_before_supports_were_counted_still_renders_and_exports(published_with_supports):
    version, _ = published_with_supports
    # The content of a version published before supports existed (a published row itself is immutable).
    content = version.content
    del content["method"]["supporters"]
    for section in content["sections"]:
        del section["figures"]["supporters"]
        del section["quote_ideas"]
    body = render_to_string("reports/_report_body.html", present(version, content))
    assert "حامی" not in body and "حمایت می‌کنم" not in body and "«" in body
    assert "supporters" not in report_csv(version)


def test_a_support_counts_for_its_idea_in_the_theme_of_a_copy(reviewer, editor, theme, other_theme):
    """A support points at the canonical suggestion; a copy counted in a report counts its idea's supporters."""
    canonical = make_suggestion(status=ReviewStatus.ACCEPTED)
    copy = make_suggestion(theme=theme, status=ReviewStatus.ACCEPTED, group=make_group(canonical))
    ThemeMembershipFactory(suggestion=canonical, theme=other_theme)
    backed(canonical, 1)
    write_summary(theme, by=reviewer)
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    assert copy.duplicate_group_id and version.content["sections"][0]["figures"]["supporters"] == 1
    assert Support.objects.count() == 1


def test_supports_still_count_after_a_reviewer_chooses_another_canonical_suggestion(reviewer_client, idea_with_copies):
    group = idea_with_copies.duplicate_group
    group.canonical = group.members.exclude(pk=idea_with_copies.pk).first()
    group.save()
    assert "۳ پیشنهاد، ۲ حامی" in reviewer_client.get("/review/", {"status": "all"}).content.decode()
    listing = reviewer_client.get(reverse("boards:group_list")).content.decode()
    assert 'title="۳ پیشنهاد، ۲ حامی"' in listing
    board = reviewer_client.get(reverse("boards:group_detail", args=[group.pk])).content.decode()
    assert "۳ پیشنهاد، ۲ حامی" in board


def test_the_pdf_of_a_report_shows_suggestions_beside_supporters(published_with_supports):
    version, _ = published_with_supports
    html = render_to_string("reports/report_pdf.html", {"version": version, **present(version, version.content)})
    assert "۳ پیشنهاد، ۳ حامی" in html
    assert "حامیان ایده‌ها" in html


@pytest.fixture
def backed_twice_by_one_browser(theme, idea_with_copies):
    """One citizen backed two texts while they were still two ideas; a fourth text then joined the group."""
    later = make_suggestion(theme=theme, title="صندوق سیار برای سالمندان و بیماران")
    do_support_idea(idea=idea_with_copies, idea_text=idea_with_copies.title, browser="one-citizen")
    do_support_idea(idea=later, idea_text=later.title, browser="one-citizen")
    group = idea_with_copies.duplicate_group
    Suggestion.objects.filter(pk=later.pk).update(duplicate_group=group)
    group.size = 4
    group.save()
    return idea_with_copies


def test_a_browser_that_backed_two_texts_later_joined_is_one_supporter_in_the_queue(
    reviewer_client, backed_twice_by_one_browser
):
    page = reviewer_client.get("/review/", {"status": "all"}).content.decode()
    assert "۴ پیشنهاد، ۳ حامی" in page and "۴ حامی" not in page


def test_a_browser_that_backed_two_texts_later_joined_is_one_supporter_on_the_review_page(
    reviewer_client, backed_twice_by_one_browser
):
    page = reviewer_client.get(reverse("review:suggestion", args=[backed_twice_by_one_browser.pk])).content.decode()
    assert "این ایده: ۴ پیشنهاد، ۳ حامی" in page


def test_a_browser_that_backed_two_texts_later_joined_is_one_supporter_on_the_duplicate_boards(
    reviewer_client, backed_twice_by_one_browser
):
    group = backed_twice_by_one_browser.duplicate_group
    listing = reviewer_client.get(reverse("boards:group_list")).content.decode()
    assert 'title="۴ پیشنهاد، ۳ حامی"' in listing
    board = reviewer_client.get(reverse("boards:group_detail", args=[group.pk])).content.decode()
    assert "۴ پیشنهاد، ۳ حامی" in board


def test_a_browser_that_backed_two_texts_of_one_theme_is_one_supporter_of_the_theme(
    reviewer_client, theme, backed_twice_by_one_browser
):
    theme.size = 4
    theme.save()
    board = reviewer_client.get(reverse("boards:theme_board")).content.decode()
    assert "۴ پیشنهاد، ۳ حامی" in board


def test_a_browser_that_backed_two_texts_later_joined_is_one_supporter_in_the_public_hint(
    backed_twice_by_one_browser,
):
    from reports.hints import public_hint

    [entry] = public_hint([backed_twice_by_one_browser])
    assert entry.supporters == 3

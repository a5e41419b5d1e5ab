"""/track/ tells a submitter what became of their suggestion: the fate reports.fate.fate_of finds."""

import re

import pytest
from django.urls import reverse

from review.models import RejectReason, ReviewStatus
from suggestions.models import GroupKind
from tests.reports.data import (
    draft_report,
    make_group,
    make_suggestion,
    publish,
    theme_with_accepted,
    write_summary,
)

pytestmark = pytest.mark.django_db


def track(client, suggestion) -> str:
    response = client.get(reverse("reports:track"), {"code": suggestion.tracking_code})
    assert response.status_code == 200
    return response.content.decode()


def test_track_says_a_rejected_suggestion_was_left_out_and_why(client):
    suggestion = make_suggestion(status=ReviewStatus.REJECTED, reason=RejectReason.OFF_TOPIC)
    page = track(client, suggestion)
    assert "پیشنهاد شما در گزارش نیامد" in page and "نامربوط به موضوع فراخوان" in page


def test_track_says_a_suggestion_was_merged_with_n_similar_ones(client):
    theme, accepted = theme_with_accepted(count=1)
    group = make_group(accepted[0])
    copies = [make_suggestion(theme=theme, status=ReviewStatus.DUPLICATE, group=group) for _ in range(2)]
    assert "با ۲ پیشنهاد همانند یکی شد" in track(client, copies[0])


def test_track_names_the_campaign_a_suggestion_was_counted_in(client):
    theme, accepted = theme_with_accepted(count=1)
    campaign = make_group(accepted[0], kind=GroupKind.CAMPAIGN)
    member = make_suggestion(theme=theme, group=campaign)
    make_suggestion(theme=theme, group=campaign)
    page = track(client, member)
    assert "کارزار شمارهٔ" in page and "۳ پیشنهاد هم‌متن" in page


def test_track_links_to_the_theme_of_the_report_that_covered_it(client, reviewer, editor):
    theme, accepted = theme_with_accepted()
    write_summary(theme, by=reviewer)
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    page = track(client, accepted[0])
    link = reverse("reports:version", args=[version.report_id, version.number]) + f"#theme-{theme.pk}"
    assert f'href="{link}"' in page
    assert "در محور «ساعت رأی‌گیری» گزارش «گزارش نخست هم‌اندیشی» آمده است" in page


def test_track_says_an_accepted_suggestion_awaits_a_report(client):
    _, accepted = theme_with_accepted(count=1)
    assert "گزارشی که آن را بشمارد هنوز منتشر نشده است" in track(client, accepted[0])


def test_track_says_an_unreviewed_suggestion_is_still_being_reviewed(client):
    assert "هنوز در دست بررسی است" in track(client, make_suggestion())


def test_a_draft_report_is_not_a_fate_yet(client, reviewer):
    theme, accepted = theme_with_accepted()
    write_summary(theme, by=reviewer)
    draft_report(author=reviewer, themes=[theme])
    page = track(client, accepted[0])
    assert "/v/1/" not in page and "گزارشی که آن را بشمارد هنوز منتشر نشده است" in page


def badge(page: str) -> str:
    """The text of the status badge at the top of the /track/ card."""
    found = re.search(r'<span class="badge state-badge[^"]*"[^>]*>([^<]+)</span>', page)
    assert found, "no status badge on the page"
    return found.group(1).strip()


def test_a_rejected_campaign_member_is_not_said_to_be_counted_and_its_badge_says_it_was_left_out(client):
    theme, accepted = theme_with_accepted(count=1)
    campaign = make_group(accepted[0], kind=GroupKind.CAMPAIGN)
    make_suggestion(theme=theme, group=campaign)
    rejected = make_suggestion(theme=theme, group=campaign, status=ReviewStatus.REJECTED, reason=RejectReason.OFF_TOPIC)
    page = track(client, rejected)
    assert "پیشنهاد شما در گزارش نیامد" in page
    assert "شمرده شد" not in page and "یک بار شمرده" not in page
    assert "در شمار این کارزار نیامد" in page
    assert badge(page) == "در گزارش نیامد"
    assert "text-bg-success" not in page


def test_a_rejected_copy_is_not_said_to_be_counted_as_one_idea(client):
    theme, accepted = theme_with_accepted(count=1)
    group = make_group(accepted[0])
    rejected = make_suggestion(theme=theme, group=group, status=ReviewStatus.REJECTED, reason=RejectReason.OFF_TOPIC)
    page = track(client, rejected)
    assert "یک ایده شمرده" not in page and "شمرده شد" not in page


def test_the_badge_follows_the_suggestions_fate(client, reviewer, editor):
    theme, accepted = theme_with_accepted()
    waiting = make_suggestion(theme=theme)
    assert badge(track(client, waiting)) == "در دست بررسی"
    assert badge(track(client, accepted[0])) == "پذیرفته شد"
    write_summary(theme, by=reviewer)
    publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    assert badge(track(client, accepted[0])) == "در گزارش آمد"


def test_the_campaign_size_is_the_one_the_published_report_used(client, reviewer, editor):
    theme, accepted = theme_with_accepted(count=4)
    campaign = make_group(accepted[0], kind=GroupKind.CAMPAIGN)
    for suggestion in accepted[1:]:
        suggestion.duplicate_group = campaign
        suggestion.save(update_fields=["duplicate_group"])
    write_summary(theme, by=reviewer)
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    [row] = version.content["method"]["campaigns"]
    assert row["size"] == 4
    # A fifth copy arrives after the report was published: the report still says four.
    make_suggestion(theme=theme, group=campaign, status=ReviewStatus.ACCEPTED, days_ago=0)
    page = track(client, accepted[1])
    assert "۴ پیشنهاد هم‌متن" in page and "۵ پیشنهاد" not in page
    assert "گزارش «گزارش نخست هم‌اندیشی»" in page


def test_a_campaign_outside_any_report_is_counted_as_it_stands_without_claiming_a_report(client):
    theme, accepted = theme_with_accepted(count=1)
    campaign = make_group(accepted[0], kind=GroupKind.CAMPAIGN)
    member = make_suggestion(theme=theme, group=campaign)
    make_suggestion(theme=theme, group=campaign)
    make_suggestion(theme=theme, group=campaign, status=ReviewStatus.REJECTED, reason=RejectReason.OFF_TOPIC)
    page = track(client, member)
    # Three counted copies: the rejected one is not counted, as no report would count it.
    assert "تا امروز" in page and "۳ پیشنهاد هم‌متن" in page and "۴ پیشنهاد" not in page
    assert "گزارش «" not in page

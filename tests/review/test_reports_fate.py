"""/track/ tells a submitter what became of their suggestion, through the fate provider review hands it."""

import pytest
from django.urls import reverse

from review.models import RejectReason, ReviewStatus
from suggestions.models import GroupKind
from tests.review.reports_data import (
    draft_report,
    make_group,
    make_suggestion,
    publish,
    theme_with_accepted,
    write_summary,
)

pytestmark = pytest.mark.django_db


def track(client, suggestion) -> str:
    response = client.get(reverse("suggestions:track"), {"code": suggestion.tracking_code})
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
    assert "کارزار شمارهٔ" in page and "با ۳ پیشنهاد هم‌متن" in page


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


def test_track_works_without_a_fate_provider(client, settings):
    settings.SUGGESTION_FATE_PROVIDER = ""
    page = track(client, make_suggestion())
    assert "سرنوشت پیشنهاد شما" not in page

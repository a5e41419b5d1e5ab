"""Reports count people per idea: «۴۳ نفر پیشنهاد داده‌اند …» on the report page, in its PDF and in its open data,
frozen when the report is submitted, with each idea's label redacted as quotes are."""

import csv
import io
import json

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from reports.exports import report_csv
from reports.presentation import present
from review.models import ReviewStatus
from suggestions.models import Suggestion, Support
from tests.factories import IdeaFactory
from tests.reports.data import (
    CANARY_NAME,
    CANARY_PHONE_FA,
    contact_for,
    draft_report,
    make_group,
    make_suggestion,
    publish,
    write_summary,
)

pytestmark = pytest.mark.django_db

LABEL = "ساعت رأی‌گیری تا نیمه‌شب تمدید شود"


def _support(suggestion, n: int) -> Support:
    return Support.objects.create(idea=suggestion, tracking_code=f"R{n}IDEA", idea_text="متن", browser=f"b-{n}")


@pytest.fixture
def published_with_ideas(reviewer, editor, theme):
    """A theme with one idea of 41 suggestions (one rejected) and 3 supporters, and one idea of 2 people."""
    members = [make_suggestion(theme=theme) for _ in range(40)]
    rejected = make_suggestion(theme=theme, status=ReviewStatus.REJECTED, reason="spam")
    big = IdeaFactory(theme=theme, label=LABEL, members=[*members, rejected])
    for n, member in enumerate(members[:3]):
        _support(member, n)
    small = IdeaFactory(theme=theme, label="رأی‌گیری دو روزه", members=[make_suggestion(theme=theme) for _ in range(2)])
    write_summary(theme, by=reviewer)
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    return version, big, small


def test_a_report_freezes_the_people_behind_each_idea_of_a_theme(published_with_ideas):
    version, big, _ = published_with_ideas
    ideas = version.content["sections"][0]["figures"]["ideas"]
    first = Suggestion.objects.filter(idea=big).order_by("pk").first()
    assert ideas == [
        {"number": big.pk, "label": LABEL, "people": 43, "suggestions": 40, "supporters": 3, "suggestion": first.pk}
    ]


def test_the_report_page_says_how_many_people_proposed_each_idea(client, published_with_ideas):
    version, _, _ = published_with_ideas
    page = client.get(reverse("reports:version", args=[version.report_id, version.number])).content.decode()
    assert f"<strong>۴۳ نفر</strong> پیشنهاد داده یا حمایت کرده‌اند: «{LABEL}»" in page
    assert "(۴۰ پیشنهاد، ۳ حامی)" in page
    # Fewer than three people: not named, so no one person's words are singled out.
    assert "رأی‌گیری دو روزه" not in page


def test_an_idea_without_supporters_reads_as_people_who_proposed_it(reviewer, editor, theme):
    IdeaFactory(theme=theme, label=LABEL, members=[make_suggestion(theme=theme) for _ in range(4)])
    write_summary(theme, by=reviewer)
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    body = render_to_string("reports/_report_body.html", present(version, version.content))
    assert f"<strong>۴ نفر</strong> پیشنهاد داده‌اند: «{LABEL}»" in body


def test_the_pdf_counts_people_per_idea(published_with_ideas):
    version, _, _ = published_with_ideas
    html = render_to_string("reports/report_pdf.html", {"version": version, **present(version, version.content)})
    assert f"<strong>۴۳ نفر</strong> پیشنهاد داده یا حمایت کرده‌اند: «{LABEL}»" in html


def test_the_open_data_lists_people_suggestions_and_supporters_per_idea(client, published_with_ideas):
    version, _, _ = published_with_ideas
    args = [version.report_id, version.number]
    rows = list(csv.reader(io.StringIO(client.get(reverse("reports:csv", args=args)).content.decode("utf-8-sig"))))
    assert [row[2:5] for row in rows if row[2].startswith("idea_")] == [
        ["idea_people", LABEL, "43"],
        ["idea_suggestions", LABEL, "40"],
        ["idea_supporters", LABEL, "3"],
    ]
    data = json.loads(client.get(reverse("reports:json", args=args)).content)
    assert data["themes"][0]["figures"]["ideas"][0]["people"] == 43
    assert "ideas" in data["counting_rules"]


def test_an_idea_label_drawn_from_a_citizens_text_is_redacted_in_the_report(reviewer, editor, theme):
    members = [make_suggestion(theme=theme) for _ in range(3)]
    contact_for(members[0], name=CANARY_NAME)
    IdeaFactory(theme=theme, label=f"با {CANARY_NAME} به شمارهٔ {CANARY_PHONE_FA} تماس بگیرید", members=members)
    write_summary(theme, by=reviewer)
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    (idea,) = version.content["sections"][0]["figures"]["ideas"]
    assert CANARY_NAME not in idea["label"] and CANARY_PHONE_FA not in idea["label"]
    assert CANARY_NAME not in report_csv(version)


def test_a_version_frozen_before_ideas_were_counted_still_renders_and_exports(published_with_ideas):
    version, _, _ = published_with_ideas
    content = version.content
    del content["sections"][0]["figures"]["ideas"]
    body = render_to_string("reports/_report_body.html", present(version, content))
    assert "نفر</strong>" not in body
    assert "idea_people" not in report_csv(version)


def test_a_browser_that_backed_two_texts_of_one_idea_counts_once_in_the_report(reviewer, editor, theme):
    members = [make_suggestion(theme=theme) for _ in range(3)]
    IdeaFactory(theme=theme, label=LABEL, members=members)
    for n, member in enumerate(members[:2]):
        Support.objects.create(idea=member, tracking_code=f"D{n}IDEA", idea_text="متن", browser="one-browser")
    write_summary(theme, by=reviewer)
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    (idea,) = version.content["sections"][0]["figures"]["ideas"]
    assert (idea["suggestions"], idea["supporters"], idea["people"]) == (3, 1, 4)


def test_each_idea_of_a_published_report_offers_to_back_it(client, published_with_ideas):
    version, big, _ = published_with_ideas
    (idea,) = version.content["sections"][0]["figures"]["ideas"]
    assert Suggestion.objects.get(pk=idea["suggestion"]).idea_id == big.pk
    page = client.get(reverse("reports:version", args=[version.report_id, version.number])).content.decode()
    support_url = reverse("hints:support", args=[idea["suggestion"]])
    assert f'href="{support_url}"' in page
    assert client.get(support_url).status_code == 200


def test_an_idea_is_backed_through_its_groups_canonical_text_even_when_a_copy_came_first(
    client, reviewer, editor, theme
):
    copy = make_suggestion(theme=theme, status=ReviewStatus.ACCEPTED)
    canonical = make_suggestion(theme=theme, status=ReviewStatus.ACCEPTED)
    group = make_group(canonical)
    copy.duplicate_group = group
    copy.save(update_fields=["duplicate_group"])
    IdeaFactory(theme=theme, label=LABEL, members=[copy, canonical, make_suggestion(theme=theme)])
    write_summary(theme, by=reviewer)
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)

    (idea,) = version.content["sections"][0]["figures"]["ideas"]

    assert copy.pk < canonical.pk and idea["suggestion"] == canonical.pk
    assert client.get(reverse("hints:support", args=[idea["suggestion"]])).status_code == 200


def test_texts_that_propose_one_thing_in_other_words_are_one_distinct_idea_in_a_report(reviewer, editor, theme):
    IdeaFactory(theme=theme, label=LABEL, members=[make_suggestion(theme=theme) for _ in range(4)])
    copy_of = make_suggestion(theme=theme)
    make_suggestion(theme=theme, group=make_group(copy_of))  # sent since the re-clustering: no idea yet
    make_suggestion(theme=theme)  # alone, no idea yet
    write_summary(theme, by=reviewer)
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)

    figures = version.content["sections"][0]["figures"]
    assert (figures["suggestions"], figures["distinct_ideas"], figures["merged"]) == (7, 3, 4)
    assert version.content["method"]["distinct_ideas"] == 3
    body = render_to_string("reports/_report_body.html", present(version, version.content))
    assert "ادغام‌شده در ایده‌ها" in body and "ادغام‌شده به‌عنوان تکراری" not in body


def test_a_version_frozen_before_ideas_keeps_its_wording_of_duplicates(published_with_ideas):
    version, _, _ = published_with_ideas
    content = version.content
    del content["sections"][0]["figures"]["ideas"]
    body = render_to_string("reports/_report_body.html", present(version, content))
    assert "ادغام‌شده به‌عنوان تکراری" in body and "ادغام‌شده در ایده‌ها" not in body

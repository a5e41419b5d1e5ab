"""The factories leave rows as the product leaves them: a duplicate group and a theme placement made by a factory
read the same as those `suggestions.grouping` makes, so tests built on factories test what people will meet."""

import pytest

from reports.models import ReportStatus, ReportVersion
from reports.views import get_version_for_staff_or_404
from suggestions import grouping
from suggestions.models import DuplicateGroup, Suggestion
from tests.factories import (
    AnalyzedSuggestionFactory,
    DuplicateGroupFactory,
    ReportVersionFactory,
    ThemeFactory,
    ThemeMembershipFactory,
)
from tests.suggestions.ideas import HOURS

pytestmark = pytest.mark.django_db

COPIES = [HOURS, HOURS.replace("به شعبه‌ها بروند", "به شعبه‌های تبریز بروند"), HOURS.replace("۲۴", "نیمه‌شب")]


def as_read(group: DuplicateGroup) -> tuple:
    group.refresh_from_db()
    members = Suggestion.objects.filter(duplicate_group=group).order_by("created_at", "pk")
    scores = [round(score, 6) for score in members.values_list("duplicate_score", flat=True)]
    canonical_is_earliest = group.canonical_id == members[0].pk
    return group.size, group.kind, round(group.score, 6), canonical_is_earliest, scores


def test_a_factory_group_reads_as_one_the_grouping_verbs_made_of_the_same_texts():
    by_verbs = [AnalyzedSuggestionFactory(body=body) for body in COPIES]
    for copy in by_verbs[1:]:
        group = grouping.join_duplicate_group(suggestion=copy, original=by_verbs[0])
    by_factory = DuplicateGroupFactory(members=[AnalyzedSuggestionFactory(body=body) for body in COPIES])
    assert as_read(by_factory) == as_read(group)
    assert as_read(group)[0] == 3 and as_read(group)[1] == "near"


def test_a_factory_placement_counts_its_theme_as_a_placement_by_the_analysis_does():
    by_factory, by_analysis = ThemeFactory(), ThemeFactory()
    for _ in range(2):
        ThemeMembershipFactory(theme=by_factory)
        grouping.place_in_theme(suggestion=AnalyzedSuggestionFactory(), theme_id=by_analysis.pk, score=0.5)
    moved = ThemeMembershipFactory(theme=by_factory).suggestion
    ThemeMembershipFactory(suggestion=moved, theme=by_analysis)
    by_factory.refresh_from_db()
    by_analysis.refresh_from_db()
    assert (by_factory.size, by_analysis.size) == (2, 3)


def test_a_report_version_factory_makes_a_draft_the_staff_can_open(editor):
    theme = ThemeFactory()
    version = ReportVersionFactory(themes=[theme])
    assert version.status == ReportStatus.DRAFT and version.period_end > version.period_start
    assert list(version.themes.all()) == [theme]
    assert ReportVersion.objects.unpublished().get() == get_version_for_staff_or_404(editor, version.pk)

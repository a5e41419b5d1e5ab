"""The dashboard: backlog by status and age, counts by theme, province and role over time, reviewer
throughput; each chart's data in json_script with a table of the same figures beside it."""

import json
import re

import pytest
from django.utils import timezone

from review.models import Review, ReviewStatus
from suggestions.choices import Province, Role
from tests.factories import AnalyzedSuggestionFactory, ThemeMembershipFactory

pytestmark = pytest.mark.django_db


def chart_data(page, chart_id):
    match = re.search(rf'<script id="chart-{chart_id}-data" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_the_dashboard_draws_each_chart_from_json_with_a_table_beside_it(reviewer_client, reviewer, theme):
    ThemeMembershipFactory(suggestion=AnalyzedSuggestionFactory(province=Province.FARS, role=Role.LAWYER), theme=theme)
    AnalyzedSuggestionFactory(province=Province.FARS, created_at=timezone.now() - timezone.timedelta(days=10))
    decided = AnalyzedSuggestionFactory(province=Province.ILAM)
    Review.objects.create(
        suggestion=decided, status=ReviewStatus.REJECTED, decided_by=reviewer, decided_at=timezone.now(), version=1
    )
    response = reviewer_client.get("/review/dashboard/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "vendor/chartjs/chart.umd.min.js" in page
    backlog = chart_data(page, "backlog")
    assert backlog["labels"][0] == "در انتظار بررسی" and backlog["series"][0]["data"][:3] == [2, 0, 1]
    ages = chart_data(page, "ages")
    assert sum(ages["series"][0]["data"]) == 2 and ages["series"][0]["data"][2] == 1
    assert chart_data(page, "themes")["labels"] == [theme.label]
    provinces = chart_data(page, "provinces")
    assert provinces["labels"][0] == "فارس" and provinces["series"][0]["data"][0] == 2
    roles = chart_data(page, "roles")
    assert [series["label"] for series in roles["series"]][:2] == ["شهروند", "حقوق‌دان"]
    throughput = chart_data(page, "throughput")
    assert throughput["series"] == [{"label": "reviewer-persona", "data": [0] * 13 + [1]}]
    # Six charts with their tables, and the table of each reviewer's open assignments.
    assert page.count("<table") == 7 and page.count("<canvas") == 6
    assert '<th scope="row" class="fw-normal text-nowrap">فارس</th><td>۲</td>' in page


def test_the_dashboard_figures_are_cached_between_views(reviewer_client, django_assert_max_num_queries):
    AnalyzedSuggestionFactory()
    reviewer_client.get("/review/dashboard/")
    AnalyzedSuggestionFactory()
    with django_assert_max_num_queries(4):
        reviewer_client.get("/review/dashboard/")

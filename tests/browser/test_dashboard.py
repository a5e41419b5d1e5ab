"""The dashboard and a staff report page in a real browser: no script errors, Persian digits on the chart
axes, tables read without sideways scrolling, the newest day's label whole; screenshots at 1280 and 375 px."""

import itertools
import re

import pytest
from django.utils import timezone

from reports import services as report_services
from review import services
from review.models import Review, ReviewStatus
from suggestions.choices import Role
from suggestions.models import Theme
from tests.browser.test_report_flow import sign_in
from tests.factories import AnalyzedSuggestionFactory, ThemeMembershipFactory, UserFactory
from tests.reports.data import draft_report, theme_with_accepted, write_summary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LATIN_DIGIT = re.compile(r"[0-9]")


@pytest.fixture
def busy_workspace(seeded_topics):
    editor = UserFactory(username="editor-dash", groups=["editor"])
    sara = UserFactory(username="sara", groups=["reviewer"])
    reza = UserFactory(username="reza", groups=["reviewer"])
    theme = Theme.objects.create(label="ساعت و روزهای رأی‌گیری", keywords=["ساعت"], size=0)
    now = timezone.now()
    made = []
    for n in range(24):
        suggestion = AnalyzedSuggestionFactory(
            title=f"پیشنهاد شمارهٔ {n}",
            role=list(Role.values)[n % len(Role.values)],
            created_at=now - timezone.timedelta(days=n * 3),
        )
        ThemeMembershipFactory(suggestion=suggestion, theme=theme)
        made.append(suggestion)
    for n, suggestion in enumerate(made[:10]):
        Review.objects.create(
            suggestion=suggestion,
            status=ReviewStatus.ACCEPTED,
            theme=theme,
            decided_by=sara if n % 2 else reza,
            decided_at=now - timezone.timedelta(days=n % 4),
            version=1,
        )
    services.assign_suggestions(suggestion_ids=[s.pk for s in made[10:16]], reviewer=sara, editor=editor)
    services.assign_suggestions(suggestion_ids=[s.pk for s in made[16:18]], reviewer=reza, editor=editor)
    return editor


def collect_errors(page) -> list[str]:
    """Script errors and failed loads; the browser's own guess at /favicon.ico is none of the page's."""
    errors = []

    def console(message):
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} {message.location.get('url', '')}")

    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", console)
    return errors


def open_dashboard(page, live_server):
    page.goto(f"{live_server.url}/review/dashboard/")
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length === 6")


def test_the_dashboard_draws_persian_axes_and_readable_tables_without_script_errors(
    live_server, page, screenshot, busy_workspace
):
    errors = collect_errors(page)
    sign_in(page, live_server, busy_workspace)
    open_dashboard(page, live_server)
    assert errors == []
    tick_labels = page.evaluate(
        """() => Object.values(Chart.instances).flatMap((chart) =>
             Object.values(chart.scales).flatMap((scale) => scale.ticks.map((tick) => String(tick.label))))"""
    )
    assert tick_labels and not [label for label in tick_labels if LATIN_DIGIT.search(label)]
    sideways = page.evaluate(
        """() => Array.from(document.querySelectorAll('.chart-table'))
             .filter((box) => box.scrollWidth > box.clientWidth + 1).map((box) => box.id || box.className)"""
    )
    assert sideways == []
    # Every tick label of every axis lies inside its canvas, as Chart.js placed it, and clear of its
    # neighbours: the newest day's label is whole.
    spans = page.evaluate(
        """() => Object.values(Chart.instances).flatMap((chart) => Object.values(chart.scales).map((scale) => {
             const ctx = chart.ctx;
             const items = scale.getLabelItems().map((item) => {
               ctx.save();
               ctx.font = item.font.string;
               const width = ctx.measureText(String(item.label)).width * Math.cos(item.options.rotation);
               ctx.restore();
               const x = item.options.translation[0];
               const align = item.options.textAlign;
               const left = align === "left" ? x : align === "right" ? x - width : x - width / 2;
               return { label: String(item.label), left, right: left + width, y: item.options.translation[1] };
             });
             return { name: `${chart.canvas.dataset.dashboardChart}/${scale.id}`, width: chart.width, items };
           }))"""
    )
    outside, overlapping = [], []
    for scale in spans:
        items = [item for item in scale["items"] if item["label"]]
        outside += [
            f"{scale['name']}:{i['label']}" for i in items if i["left"] < -0.5 or i["right"] > scale["width"] + 0.5
        ]
        level = sorted((i for i in items if abs(i["y"] - items[0]["y"]) < 1), key=lambda i: i["left"])
        overlapping += [
            f"{scale['name']}:{a['label']}|{b['label']}"
            for a, b in itertools.pairwise(level)
            if a["right"] > b["left"] + 0.5
        ]
    assert overlapping == []
    assert outside == []
    newest = page.evaluate(
        """() => ['chart-throughput-data', 'chart-roles-data'].map((id) => {
             const chart = Chart.getChart(document.querySelector(`canvas[data-dashboard-chart='${id}']`));
             const labels = chart.scales.x.getLabelItems().map((item) => String(item.label));
             return labels.includes(chart.data.labels[chart.data.labels.length - 1]);
           })"""
    )
    assert newest == [True, True]
    assert "sara" in page.inner_text("#load-table") and "۶" in page.inner_text("#load-table")
    path = screenshot("dashboard-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length === 6")
    assert errors == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot("dashboard-375")
    assert path.exists()


def test_a_staff_report_page_runs_without_script_errors(live_server, page, screenshot, seeded_topics):
    author = UserFactory(username="report-author", groups=["editor"])
    voting, _ = theme_with_accepted("ساعت رأی‌گیری", count=4)
    write_summary(voting, by=author)
    version = draft_report(author=author, themes=[voting], title="گزارش آزمایشی داشبورد")
    version = report_services.submit_report(version=version, submitter=author)
    errors = collect_errors(page)
    sign_in(page, live_server, author)
    page.goto(f"{live_server.url}/review/reports/{version.pk}/")
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length > 0")
    assert errors == []
    screenshot("staff-report-page")

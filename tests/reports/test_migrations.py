"""Reports became an app of their own by moving Django's record of the models, never a row: a database with
reports in it, migrated from the state before the move, still holds every one of them."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from reports.models import Quote, Report, ReportVersion, ThemeSummary
from suggestions.models import Theme
from tests.factories import SuggestionFactory, UserFactory

BEFORE_THE_MOVE = [("review", "0007_report_writers")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()  # reads again which migrations the database now has
    return executor


@pytest.mark.django_db(transaction=True)
def test_a_report_written_before_the_move_is_the_same_row_after_it(seeded_topics):
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    author = UserFactory(username="report-author")
    theme = Theme.objects.create(label="ساعت رأی‌گیری", keywords=["ساعت"], size=1)
    suggestion = SuggestionFactory()
    editors = Group.objects.create(name="report-editors-before-the-move")
    try:
        executor = _migrate(BEFORE_THE_MOVE)
        old = executor.loader.project_state(list(executor.loader.applied_migrations)).apps
        assert not executor.loader.applied_migrations.keys() & {("reports", "0001_initial")}
        # A database from before the move knows the report models as review's. A transactional test run earlier
        # flushed every table, and the flush made content types and permissions for today's apps: make them as
        # migrating that database did, for the review app of then.
        content_types = old.get_model("contenttypes", "ContentType").objects
        content_types.filter(app_label="reports").delete()
        for model in old.get_app_config("review").get_models():
            content_type, _ = content_types.get_or_create(app_label="review", model=model._meta.model_name)
            for action in model._meta.default_permissions:
                old.get_model("auth", "Permission").objects.get_or_create(
                    content_type_id=content_type.pk,
                    codename=f"{action}_{model._meta.model_name}",
                    defaults={"name": f"Can {action} {model._meta.verbose_name_raw}"},
                )
        # Written with the models as the review app had them.
        old_report = old.get_model("review", "Report").objects.create()
        now = timezone.now()
        old_version = old.get_model("review", "ReportVersion").objects.create(
            report_id=old_report.pk,
            title="گزارش نخست",
            period_start=now - timedelta(days=7),
            period_end=now,
            author_id=author.pk,
            content={"title": "گزارش نخست"},
        )
        old_version.writers.add(author.pk)
        old_version.themes.add(theme.pk)
        summary = old.get_model("review", "ThemeSummary").objects.create(theme_id=theme.pk, text="خلاصه")
        old.get_model("review", "Quote").objects.create(
            summary_id=summary.pk, suggestion_id=suggestion.pk, excerpt="متن", redacted_text="متن"
        )
        old_content_type = old.get_model("contenttypes", "ContentType").objects.get(
            app_label="review", model="reportversion"
        )
        old.get_model("auth", "Group").objects.get(pk=editors.pk).permissions.add(
            old.get_model("auth", "Permission").objects.get(
                content_type_id=old_content_type.pk, codename="change_reportversion"
            )
        )
    finally:
        _migrate(leaves)

    version = ReportVersion.objects.get(pk=old_version.pk)
    assert Report.objects.filter(pk=old_report.pk).exists()
    assert (version.report_id, version.title, version.content) == (old_report.pk, "گزارش نخست", {"title": "گزارش نخست"})
    assert list(version.writers.values_list("pk", flat=True)) == [author.pk]
    assert list(version.themes.values_list("pk", flat=True)) == [theme.pk]
    assert Quote.objects.get(summary__theme=theme).suggestion_id == suggestion.pk
    assert ThemeSummary.objects.get(theme=theme).text == "خلاصه"
    # The same tables, and the permission a group held on a report model is held on the reports app's model.
    tables = connection.introspection.table_names()
    assert "review_reportversion" in tables and "reports_reportversion" not in tables
    assert ContentType.objects.get_for_model(ReportVersion).pk == old_content_type.pk
    assert editors.permissions.get() == Permission.objects.get(codename="change_reportversion")
    assert UserFactory(username="an-editor", groups=[editors.name]).has_perm("reports.change_reportversion")

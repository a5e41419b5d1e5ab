"""The report models become the reports app's. Only Django's record of them moves: the tables keep the
names review gave them (each model's db_table) and no row is copied. The content types move with them, so
every permission granted on a report model, and so every group holding one, stays as it was."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ["themesummary", "quote", "report", "reportversion", "reportcoverage", "reportnotice"]


def _move_content_types(apps, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    # A database migrated before these models had content types has nothing to move; one already made for the
    # target (by a post_migrate in between) is left alone rather than clash with the unique (app, model) pair.
    taken = set(ContentType.objects.filter(app_label=target, model__in=MODELS).values_list("model", flat=True))
    ContentType.objects.filter(app_label=source, model__in=set(MODELS) - taken).update(app_label=target)


def move_content_types(apps, schema_editor):
    _move_content_types(apps, source="review", target="reports")


def move_content_types_back(apps, schema_editor):
    _move_content_types(apps, source="reports", target="review")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("review", "0008_reports_models_move_to_the_reports_app"),
        ("suggestions", "0009_idea_supports"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Report",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("is_demo", models.BooleanField(default=False, verbose_name="نمونهٔ نمایشی")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        "verbose_name": "گزارش",
                        "verbose_name_plural": "گزارش\u200cها",
                        "db_table": "review_report",
                    },
                ),
                migrations.CreateModel(
                    name="ReportVersion",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("number", models.PositiveSmallIntegerField(default=1, verbose_name="نسخه")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("draft", "پیش\u200cنویس"),
                                    ("submitted", "در انتظار تأیید"),
                                    ("approved", "تأییدشده، آمادهٔ انتشار"),
                                    ("published", "منتشرشده"),
                                ],
                                db_index=True,
                                default="draft",
                                max_length=16,
                                verbose_name="وضعیت",
                            ),
                        ),
                        ("title", models.CharField(max_length=200, verbose_name="عنوان")),
                        (
                            "introduction",
                            models.TextField(blank=True, default="", verbose_name="مقدمه (مارک\u200cداون)"),
                        ),
                        ("period_start", models.DateTimeField(verbose_name="آغاز دوره")),
                        (
                            "period_end",
                            models.DateTimeField(verbose_name="پایان دوره (بی\u200cآنکه خودش جزو دوره باشد)"),
                        ),
                        ("change_note", models.TextField(blank=True, default="", verbose_name="یادداشت اصلاح")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("submitted_at", models.DateTimeField(blank=True, null=True)),
                        ("approved_at", models.DateTimeField(blank=True, null=True)),
                        ("published_at", models.DateTimeField(blank=True, null=True)),
                        ("returned_note", models.TextField(blank=True, default="", verbose_name="دلیل برگرداندن")),
                        ("content", models.JSONField(blank=True, editable=False, null=True)),
                        (
                            "approved_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "author",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="نویسنده",
                            ),
                        ),
                        (
                            "published_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "report",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="versions",
                                to="reports.report",
                            ),
                        ),
                        (
                            "submitted_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "themes",
                            models.ManyToManyField(
                                blank=True, related_name="+", to="suggestions.theme", verbose_name="محورها"
                            ),
                        ),
                        (
                            "writers",
                            models.ManyToManyField(
                                blank=True,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="نویسندگان بخش\u200cهای گزارش",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "نسخهٔ گزارش",
                        "verbose_name_plural": "نسخه\u200cهای گزارش",
                        "db_table": "review_reportversion",
                        "ordering": ["-report_id", "-number"],
                    },
                ),
                migrations.CreateModel(
                    name="ReportNotice",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "contact",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="suggestions.contact"
                            ),
                        ),
                        (
                            "report",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="notices", to="reports.report"
                            ),
                        ),
                        (
                            "version",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="reports.reportversion",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "review_reportnotice",
                    },
                ),
                migrations.CreateModel(
                    name="ReportCoverage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("theme_label", models.CharField(max_length=200)),
                        (
                            "suggestion",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="suggestions.suggestion",
                            ),
                        ),
                        (
                            "theme",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="suggestions.theme",
                            ),
                        ),
                        (
                            "version",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="coverage",
                                to="reports.reportversion",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "review_reportcoverage",
                    },
                ),
                migrations.CreateModel(
                    name="ThemeSummary",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("text", models.TextField(blank=True, default="", verbose_name="متن خلاصه (مارک\u200cداون)")),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "theme",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="report_summary",
                                to="suggestions.theme",
                                verbose_name="محور",
                            ),
                        ),
                        (
                            "updated_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "writers",
                            models.ManyToManyField(
                                blank=True, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="نویسندگان"
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "خلاصهٔ محور",
                        "verbose_name_plural": "خلاصه\u200cهای محورها",
                        "db_table": "review_themesummary",
                    },
                ),
                migrations.CreateModel(
                    name="Quote",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("excerpt", models.TextField(verbose_name="متن برگزیده")),
                        (
                            "extra_terms",
                            models.JSONField(
                                blank=True, default=list, verbose_name="عبارت\u200cهای پوشانده به دست کارشناس"
                            ),
                        ),
                        ("redacted_text", models.TextField(verbose_name="متن پس از پوشاندن اطلاعات شخصی")),
                        (
                            "redaction_kinds",
                            models.JSONField(blank=True, default=list, verbose_name="انواع اطلاعات پوشانده"),
                        ),
                        ("position", models.PositiveSmallIntegerField(default=0)),
                        ("added_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("confirmed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "added_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "confirmed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "suggestion",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="suggestions.suggestion",
                                verbose_name="پیشنهاد",
                            ),
                        ),
                        (
                            "summary",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="quotes",
                                to="reports.themesummary",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "نقل\u200cقول",
                        "verbose_name_plural": "نقل\u200cقول\u200cها",
                        "db_table": "review_quote",
                        "ordering": ["position", "pk"],
                    },
                ),
                migrations.AddConstraint(
                    model_name="reportversion",
                    constraint=models.UniqueConstraint(fields=("report", "number"), name="report_version_number_once"),
                ),
                migrations.AddConstraint(
                    model_name="reportversion",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("status", "published"), _negated=True),
                        fields=("report",),
                        name="report_one_unpublished_version",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="reportversion",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("period_end__gt", models.F("period_start"))), name="report_period_order"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="reportnotice",
                    constraint=models.UniqueConstraint(fields=("contact", "report"), name="notice_once_per_report"),
                ),
                migrations.AddIndex(
                    model_name="reportcoverage",
                    index=models.Index(fields=["suggestion"], name="coverage_suggestion"),
                ),
                migrations.AddConstraint(
                    model_name="reportcoverage",
                    constraint=models.UniqueConstraint(fields=("version", "suggestion"), name="coverage_once"),
                ),
                migrations.AddConstraint(
                    model_name="quote",
                    constraint=models.UniqueConstraint(fields=("summary", "suggestion"), name="quote_once_per_summary"),
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]

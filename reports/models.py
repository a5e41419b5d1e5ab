"""Summaries per theme, their quotes, and reports with their versions. The models were the review app's
until reports became an app of its own; they keep review's tables (see migrations/0001_initial.py).

A published report version is immutable: the services refuse to change one, and so do save(), delete()
and QuerySet.update() below, for code that goes round the services. Everything a published page shows
is frozen in `content` when the version is submitted, so later decisions and re-clustering never change
what the public read.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from suggestions.models import Contact, Suggestion, Theme

__all__ = [
    "ImmutableReportError",
    "Quote",
    "Report",
    "ReportCoverage",
    "ReportNotice",
    "ReportStatus",
    "ReportVersion",
    "ThemeSummary",
]


class ImmutableReportError(Exception):
    """Something tried to change or delete a published report version."""


class ThemeSummary(models.Model):
    """What reviewers write about one theme. Reports quote it; a published report keeps its own copy."""

    theme = models.OneToOneField(Theme, on_delete=models.CASCADE, related_name="report_summary", verbose_name="محور")
    text = models.TextField("متن خلاصه (مارک‌داون)", blank=True, default="")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Everyone who ever changed the text, not only the last: words of an earlier writer may still be in it.
    writers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name="نویسندگان")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "review_themesummary"
        verbose_name = "خلاصهٔ محور"
        verbose_name_plural = "خلاصه‌های محورها"

    def __str__(self):
        return f"خلاصهٔ {self.theme}"


class QuoteQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def unconfirmed(self):
        return self.filter(confirmed_at__isnull=True)


class Quote(models.Model):
    """A passage of an accepted suggestion a reviewer picked to represent a theme. `excerpt` is verbatim and
    stays on staff pages; only `redacted_text`, after a reviewer confirmed it, ever reaches the public."""

    summary = models.ForeignKey(ThemeSummary, on_delete=models.CASCADE, related_name="quotes")
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="+", verbose_name="پیشنهاد")
    excerpt = models.TextField("متن برگزیده")
    extra_terms = models.JSONField("عبارت‌های پوشانده به دست کارشناس", default=list, blank=True)
    redacted_text = models.TextField("متن پس از پوشاندن اطلاعات شخصی")
    redaction_kinds = models.JSONField("انواع اطلاعات پوشانده", default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = QuoteQuerySet.as_manager()

    class Meta:
        db_table = "review_quote"
        ordering = ["position", "pk"]
        verbose_name = "نقل‌قول"
        verbose_name_plural = "نقل‌قول‌ها"
        constraints = [models.UniqueConstraint(fields=["summary", "suggestion"], name="quote_once_per_summary")]

    def __str__(self):
        return f"نقل‌قول از پیشنهاد {self.suggestion_id}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "پیش‌نویس"
    SUBMITTED = "submitted", "در انتظار تأیید"
    APPROVED = "approved", "تأییدشده، آمادهٔ انتشار"
    PUBLISHED = "published", "منتشرشده"


class Report(models.Model):
    """One report across its versions. /reports/<pk>/ shows its latest published version."""

    is_demo = models.BooleanField("نمونهٔ نمایشی", default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "review_report"
        verbose_name = "گزارش"
        verbose_name_plural = "گزارش‌ها"

    def __str__(self):
        return f"گزارش {self.pk}"


class ReportVersionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=ReportStatus.PUBLISHED)

    def unpublished(self):
        return self.exclude(status=ReportStatus.PUBLISHED)

    def latest_first(self):
        return self.order_by("-published_at", "-number", "-pk")

    def latest_published_per_report(self):
        """The newest published version of each report: what /reports/ lists."""
        newer = ReportVersion.objects.published().filter(report_id=models.OuterRef("report_id"))
        return self.published().exclude(models.Exists(newer.filter(number__gt=models.OuterRef("number"))))

    def update(self, **kwargs):
        if self.filter(status=ReportStatus.PUBLISHED).exists():
            raise ImmutableReportError("a published report version cannot be changed")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(status=ReportStatus.PUBLISHED).exists():
            raise ImmutableReportError("a published report version cannot be deleted")
        return super().delete()


class ReportVersion(models.Model):
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField("نسخه", default=1)
    status = models.CharField(
        "وضعیت", max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT, db_index=True
    )
    title = models.CharField("عنوان", max_length=200)
    introduction = models.TextField("مقدمه (مارک‌داون)", blank=True, default="")
    # Stored in UTC as the first instant of the first day and the first instant after the last day, in Tehran.
    period_start = models.DateTimeField("آغاز دوره")
    period_end = models.DateTimeField("پایان دوره (بی‌آنکه خودش جزو دوره باشد)")
    themes = models.ManyToManyField(Theme, blank=True, related_name="+", verbose_name="محورها")
    change_note = models.TextField("یادداشت اصلاح", blank=True, default="")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="نویسنده"
    )
    # Everyone who wrote any part of the version: its title and introduction (here or in the version a
    # correction copies), a summary of one of its themes, one of its quotes. None of them may approve it.
    writers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name="نویسندگان بخش‌های گزارش"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    returned_note = models.TextField("دلیل برگرداندن", blank=True, default="")
    # Frozen at submission: everything the public page, the PDF and the open data show. Aggregates and
    # confirmed, redacted quotes only.
    content = models.JSONField(null=True, blank=True, editable=False)

    objects = ReportVersionQuerySet.as_manager()

    class Meta:
        db_table = "review_reportversion"
        ordering = ["-report_id", "-number"]
        verbose_name = "نسخهٔ گزارش"
        verbose_name_plural = "نسخه‌های گزارش"
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="report_version_number_once"),
            # While a correction is being written, the report has one unpublished version, never two.
            models.UniqueConstraint(
                fields=["report"], condition=~Q(status="published"), name="report_one_unpublished_version"
            ),
            models.CheckConstraint(condition=Q(period_end__gt=models.F("period_start")), name="report_period_order"),
        ]

    def __str__(self):
        return f"{self.title} (نسخهٔ {self.number})"

    def save(self, *args, **kwargs):
        if self.pk is not None and ReportVersion.objects.filter(pk=self.pk, status=ReportStatus.PUBLISHED).exists():
            raise ImmutableReportError("a published report version cannot be changed; publish a correction")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if ReportVersion.objects.filter(pk=self.pk, status=ReportStatus.PUBLISHED).exists():
            raise ImmutableReportError("a published report version cannot be deleted")
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == ReportStatus.PUBLISHED

    @property
    def is_editable(self) -> bool:
        return self.status == ReportStatus.DRAFT

    @property
    def period_last_instant(self):
        """For showing the last day: the Jalali date filters take a datetime."""
        return self.period_end - timezone.timedelta(microseconds=1)

    @property
    def period_last_day(self):
        return timezone.localtime(self.period_end - timezone.timedelta(microseconds=1)).date()

    @property
    def period_first_day(self):
        return timezone.localtime(self.period_start).date()

    def is_written_by(self, user) -> bool:
        """Whether the user wrote any part of this version, so cannot be the second person who approves it."""
        return user.pk is not None and (user.pk == self.author_id or self.writers.filter(pk=user.pk).exists())

    def facts(self) -> dict:
        """What the audit log keeps of a version: its state, never its texts."""
        return {"status": self.status, "number": self.number, "report": self.report_id}


class ReportCoverage(models.Model):
    """Which suggestion a version counted, and under which theme: the trace behind every figure, and what
    /track/ and the notification e-mails read."""

    version = models.ForeignKey(ReportVersion, on_delete=models.CASCADE, related_name="coverage")
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="+")
    theme = models.ForeignKey(Theme, null=True, on_delete=models.SET_NULL, related_name="+")
    theme_label = models.CharField(max_length=200)

    class Meta:
        db_table = "review_reportcoverage"
        constraints = [models.UniqueConstraint(fields=["version", "suggestion"], name="coverage_once")]
        indexes = [models.Index(fields=["suggestion"], name="coverage_suggestion")]

    def __str__(self):
        return f"{self.suggestion_id} ∈ {self.version_id}"


class ReportNotice(models.Model):
    """One e-mail to one contact about one report: a row claimed before sending, marked sent after, so a
    re-run of the task sends nothing twice."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notices")
    version = models.ForeignKey(ReportVersion, on_delete=models.CASCADE, related_name="+")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "review_reportnotice"
        constraints = [models.UniqueConstraint(fields=["contact", "report"], name="notice_once_per_report")]

    def __str__(self):
        return f"notice {self.contact_id} / {self.report_id}"

"""What the audit log, which review owns, calls the actions, objects and statuses of reports.
ReportsConfig.ready() registers them; review never imports this app."""

from common.persian import persian_digits
from reports.models import Quote, ReportStatus, ReportVersion, ThemeSummary
from review import audit

ACTION_LABELS = {
    "report_create": "ساخت پیش‌نویس گزارش",
    "report_edit": "ویرایش پیش‌نویس گزارش",
    "report_submit": "فرستادن گزارش برای تأیید",
    "report_return": "برگرداندن گزارش به پیش‌نویس",
    "report_approve": "تأیید گزارش",
    "report_publish": "انتشار گزارش",
    "report_correct": "آغاز اصلاحیهٔ گزارش",
    "summary_edit": "ویرایش خلاصهٔ محور",
    "quote_add": "افزودن نقل‌قول",
    "quote_confirm": "تأیید پوشاندن اطلاعات شخصی نقل‌قول",
    "quote_remove": "حذف نقل‌قول",
}


def register_with_the_audit_log() -> None:
    audit.register_action_labels(ACTION_LABELS)
    audit.register_status_labels(ReportStatus.choices)
    # Rows written before reports became an app of their own carry review's object types.
    audit.register_audited_model(
        ReportVersion,
        name=lambda version: f"گزارش «{version.title}» نسخهٔ {persian_digits(version.number)}",
        formerly="review.reportversion",
    )
    audit.register_audited_model(
        ThemeSummary,
        name=lambda summary: f"خلاصهٔ محور {persian_digits(summary.theme_id)}",
        formerly="review.themesummary",
    )
    audit.register_audited_model(
        Quote,
        name=lambda quote: f"نقل‌قول از پیشنهاد {persian_digits(quote.suggestion_id)}",
        formerly="review.quote",
    )

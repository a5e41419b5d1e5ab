"""What became of one suggestion, told to the person who sent it. /track/ gets `fate_of` through the
SUGGESTION_FATE_PROVIDER setting, so the suggestions app never imports review."""

from dataclasses import dataclass, field

from django.urls import reverse

from portal.templatetags.persian import fa_number_filter
from review.models import RejectReason, Review, ReviewStatus
from review.reports.figures import campaign_label
from review.reports.models import ReportCoverage, ReportStatus
from suggestions.models import GroupKind, Suggestion

PENDING = "pending"
REJECTED = "rejected"
ACCEPTED = "accepted"
REPORTED = "reported"


@dataclass(frozen=True)
class FateReport:
    title: str
    url: str
    theme_label: str
    version_number: int


@dataclass(frozen=True)
class Fate:
    kind: str
    headline: str
    details: tuple[str, ...] = ()
    reports: tuple[FateReport, ...] = field(default_factory=tuple)
    merged_with: int = 0
    campaign: str = ""
    theme_label: str = ""
    reject_reason: str = ""


def _reports_covering(suggestion: Suggestion) -> list[FateReport]:
    """The newest published version of each report that counted the suggestion."""
    rows = (
        ReportCoverage.objects.filter(suggestion=suggestion, version__status=ReportStatus.PUBLISHED)
        .select_related("version")
        .order_by("version__report_id", "-version__number")
    )
    found, seen = [], set()
    for row in rows:
        version = row.version
        if version.report_id in seen:
            continue
        seen.add(version.report_id)
        url = reverse("reports:version", args=[version.report_id, version.number])
        anchor = f"#theme-{row.theme_id}" if row.theme_id else ""
        found.append(FateReport(version.title, url + anchor, row.theme_label, version.number))
    return found


def fate_of(suggestion: Suggestion) -> Fate:
    review = Review.objects.filter(pk=suggestion.pk).select_related("theme").first()
    status = review.status if review else ReviewStatus.PENDING
    details = []
    merged_with, campaign = 0, ""
    group = suggestion.duplicate_group
    if group is not None:
        others = Suggestion.objects.filter(duplicate_group=group).exclude(pk=suggestion.pk).count()
        if group.kind == GroupKind.CAMPAIGN and others:
            campaign = campaign_label(group.pk)
            size = fa_number_filter(others + 1)
            details.append(f"پیشنهاد شما بخشی از «{campaign}» با {size} پیشنهاد هم‌متن است و همه یک بار شمرده شدند.")
        elif others:
            merged_with = others
            details.append(f"پیشنهاد شما با {fa_number_filter(others)} پیشنهاد همانند یکی شد و همه یک ایده شمرده شدند.")

    if status == ReviewStatus.REJECTED:
        reason = RejectReason(review.reject_reason).label if review.reject_reason in RejectReason.values else ""
        headline = "پیشنهاد شما در گزارش نیامد" + (f"؛ دلیل: {reason}." if reason else ".")
        return Fate(REJECTED, headline, tuple(details), (), merged_with, campaign, "", reason)

    reports = _reports_covering(suggestion)
    if reports:
        first = reports[0]
        headline = f"پیشنهاد شما در محور «{first.theme_label}» گزارش «{first.title}» آمده است."
        return Fate(REPORTED, headline, tuple(details), tuple(reports), merged_with, campaign, first.theme_label)

    membership = getattr(suggestion, "theme_membership", None)
    theme_label = review.theme.label if review and review.theme else (membership.theme.label if membership else "")
    if status == ReviewStatus.ACCEPTED:
        headline = "پیشنهاد شما پذیرفته شد" + (f" و در محور «{theme_label}» جای گرفت" if theme_label else "")
        headline += "؛ گزارشی که آن را بشمارد هنوز منتشر نشده است."
        return Fate(ACCEPTED, headline, tuple(details), (), merged_with, campaign, theme_label)
    if status == ReviewStatus.DUPLICATE and not details:
        details.append("بررسی‌کنندگان پیشنهاد شما را همانند پیشنهاد دیگری یافتند و هر دو یک ایده شمرده می‌شوند.")
    headline = "پیشنهاد شما هنوز در دست بررسی است؛ پس از انتشار گزارش، سرنوشت آن را همین‌جا می‌بینید."
    return Fate(PENDING, headline, tuple(details), (), merged_with, campaign, theme_label)

"""What became of one suggestion, told to the person who sent it on /track/ (reports/track.py): `fate_of`
is the contract, and tests/reports/test_fate.py holds its tests."""

from dataclasses import dataclass, field

from django.urls import reverse

from common.persian import persian_number as fa_number_filter
from reports.figures import campaign_label, counted
from reports.models import ReportCoverage, ReportStatus
from review.models import RejectReason, Review, ReviewStatus
from suggestions.models import GroupKind, Suggestion

PENDING = "pending"
REJECTED = "rejected"
ACCEPTED = "accepted"
REPORTED = "reported"

# The badge /track/ shows: the suggestion's fate, not the state of its analysis (a rejected suggestion is
# analyzed too, and a green «تحلیل شد» above «در گزارش نیامد» told two stories).
BADGES = {
    PENDING: ("در دست بررسی", "text-bg-secondary"),
    REJECTED: ("در گزارش نیامد", "text-bg-danger"),
    ACCEPTED: ("پذیرفته شد", "text-bg-primary"),
    REPORTED: ("در گزارش آمد", "text-bg-success"),
}


@dataclass(frozen=True)
class FateReport:
    title: str
    url: str
    theme_label: str
    version_number: int
    campaigns: dict[int, int] = field(default_factory=dict)  # campaign number -> size, as the version printed it


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

    @property
    def badge(self) -> str:
        return BADGES[self.kind][0]

    @property
    def badge_class(self) -> str:
        return BADGES[self.kind][1]


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
        printed = ((version.content or {}).get("method") or {}).get("campaigns") or []
        campaigns = {item["number"]: item["size"] for item in printed if "number" in item and "size" in item}
        found.append(FateReport(version.title, url + anchor, row.theme_label, version.number, campaigns))
    return found


def _counted_others(suggestion: Suggestion) -> int:
    """The other members of the suggestion's duplicate group that count, as a report counts them: not rejected."""
    others = Suggestion.objects.filter(duplicate_group_id=suggestion.duplicate_group_id).exclude(pk=suggestion.pk)
    return counted(others).count()


def _group_details(suggestion: Suggestion, *, rejected: bool, report: FateReport | None) -> tuple[list[str], int, str]:
    """What the duplicate group says about the suggestion: (lines, copies merged with, campaign label).

    A rejected suggestion is counted nowhere, so nothing here says it was. A campaign's size is the one the
    report printed when the suggestion is in a published report (the report is a snapshot); otherwise the
    size today, said to be today's."""
    group = suggestion.duplicate_group
    if group is None:
        return [], 0, ""
    is_campaign = group.kind == GroupKind.CAMPAIGN
    if rejected:
        if not is_campaign:
            return [], 0, ""
        campaign = campaign_label(group.pk)
        return [f"متن پیشنهاد شما با «{campaign}» یکی بود، اما چون رد شد در شمار این کارزار نیامد."], 0, campaign
    others = _counted_others(suggestion)
    if not others:
        return [], 0, ""
    if not is_campaign:
        line = f"پیشنهاد شما با {fa_number_filter(others)} پیشنهاد همانند یکی شد و همه یک ایده شمرده شدند."
        return [line], others, ""
    campaign = campaign_label(group.pk)
    if report is not None and group.pk in report.campaigns:
        size = fa_number_filter(report.campaigns[group.pk])
        line = (
            f"پیشنهاد شما بخشی از «{campaign}» است: گزارش «{report.title}» این کارزار را با {size} پیشنهاد "
            "هم‌متن یک بار شمرد."
        )
    else:
        size = fa_number_filter(others + 1)
        line = f"پیشنهاد شما بخشی از «{campaign}» است که تا امروز {size} پیشنهاد هم‌متن دارد و یک بار شمرده می‌شود."
    return [line], 0, campaign


def fate_of(suggestion: Suggestion) -> Fate:
    review = Review.objects.filter(pk=suggestion.pk).select_related("theme").first()
    status = review.status if review else ReviewStatus.PENDING

    if status == ReviewStatus.REJECTED:
        details, merged_with, campaign = _group_details(suggestion, rejected=True, report=None)
        reason = RejectReason(review.reject_reason).label if review.reject_reason in RejectReason.values else ""
        headline = "پیشنهاد شما در گزارش نیامد" + (f"؛ دلیل: {reason}." if reason else ".")
        return Fate(REJECTED, headline, tuple(details), (), merged_with, campaign, "", reason)

    reports = _reports_covering(suggestion)
    details, merged_with, campaign = _group_details(suggestion, rejected=False, report=reports[0] if reports else None)
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

"""One published demo report, so a newcomer's portal has something at /reports/. Development only.

It walks the real path: demo suggestions are analyzed and clustered (inline, when the worker has not got
to them yet), a few are accepted and one rejected by the demo reviewer, each theme gets a summary and a
confirmed quote, the reviewer submits, the demo editor approves and publishes.
"""

import contextlib
import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from reports import services
from reports.forms import start_of_day
from reports.models import Report, ReportVersion, ThemeSummary
from review import services as review_services
from review.models import RejectReason, Review, ReviewStatus
from review.roles import EDITOR, REVIEWER
from suggestions import pipeline
from suggestions import services as intake
from suggestions.models import Suggestion, Theme

logger = logging.getLogger(__name__)

DEMO_TITLE = "گزارش نمایشی: پیشنهادهای مردم برای انتخابات ۱۴۰۰ در شرایط کرونا"
DEMO_INTRODUCTION = (
    "این گزارشی **نمایشی** است که از پیشنهادهای نمونه ساخته شده است. "
    "ارقام هر بخش خودکار از داده‌ها شمرده شده و خلاصه‌ها را باید بررسی‌کنندگان بازنویسی کنند."
)
THEMES_IN_DEMO = 3
ACCEPTED_PER_THEME = 4


def _account(username: str, group_name: str):
    # Only editors have something in the admin (the topics of the call); reviewers are not sent there.
    defaults = {"is_staff": group_name != REVIEWER}
    user, created = get_user_model().objects.get_or_create(username=username, defaults=defaults)
    if created:
        user.set_unusable_password()
        user.save()
    user.groups.add(Group.objects.get_or_create(name=group_name)[0])
    return user


def _analyze_waiting() -> int:
    """Analyze, inline, what the worker has not analyzed yet, then cluster if there are no themes."""
    done = 0
    for pk in Suggestion.objects.unprocessed().oldest_first().values_list("pk", flat=True):
        if intake.claim_for_analysis(suggestion_id=pk):
            intake.do_analyze(suggestion_id=pk)
            done += 1
    if not Theme.objects.filter(is_active=True, size__gt=0).exists():
        pipeline.recluster()
    return done


def _first_sentence(suggestion: Suggestion) -> str:
    body = " ".join(suggestion.body.split())
    for mark in (".", "؛", "!", "؟"):
        if mark in body[:240]:
            return body[: body.index(mark) + 1]
    return body[:240]


def _prepare_theme(theme: Theme, *, reviewer) -> bool:
    members = Suggestion.objects.analyzed().filter(theme_membership__theme=theme).order_by("created_at", "pk")
    accepted = list(members.filter(review__status=ReviewStatus.ACCEPTED)[:ACCEPTED_PER_THEME])
    for suggestion in members.exclude(review__status__in=[ReviewStatus.ACCEPTED, ReviewStatus.REJECTED])[:10]:
        if len(accepted) >= ACCEPTED_PER_THEME:
            break
        try:
            review_services.accept_suggestion(suggestion=suggestion, reviewer=reviewer, theme=theme, version=None)
        except review_services.ReviewError:
            continue
        accepted.append(suggestion)
    if not accepted:
        return False
    summary = ThemeSummary.objects.filter(theme=theme).first()
    if summary is None or not summary.text.strip():
        keywords = "، ".join(f"«{word}»" for word in (theme.keywords or [])[:3]) or f"«{theme.label}»"
        services.save_theme_summary(
            theme=theme,
            editor=reviewer,
            text=(
                f"پیشنهادهای این محور بیشتر دربارهٔ {keywords} بود.\n\n"
                "این خلاصه نمایشی است؛ در کار واقعی، بررسی‌کنندگان آنچه را مردم خواسته‌اند اینجا می‌نویسند."
            ),
        )
        summary = ThemeSummary.objects.get(theme=theme)
    if not summary.quotes.exists():
        try:
            quote = services.add_quote(
                theme=theme,
                suggestion=accepted[0],
                reviewer=reviewer,
                excerpt=_first_sentence(accepted[0]),
                extra_terms=[],
            )
            services.confirm_quote(quote=quote, reviewer=reviewer)
        except services.ReportError as error:
            logger.info("No demo quote for theme %s: %s", theme.pk, error)
    return True


def _reject_one(*, reviewer, themes: list[Theme]) -> None:
    """One rejected suggestion, so the method section has a reason to show."""
    if Review.objects.filter(status=ReviewStatus.REJECTED).exists():
        return
    candidate = (
        Suggestion.objects.analyzed()
        .exclude(theme_membership__theme__in=themes)
        .exclude(review__status__in=[ReviewStatus.ACCEPTED, ReviewStatus.REJECTED])
        .order_by("pk")
        .first()
    )
    if candidate is not None:
        with contextlib.suppress(review_services.ReviewError):
            review_services.reject_suggestion(
                suggestion=candidate, reviewer=reviewer, reason=RejectReason.NOT_ACTIONABLE, version=None
            )


def publish_demo_report() -> ReportVersion | None:
    """The published demo report, made on first call; None when there are no suggestions to report on."""
    existing = ReportVersion.objects.published().filter(report__is_demo=True).order_by("-number").first()
    if existing is not None:
        return existing
    _analyze_waiting()
    reviewer = _account("reviewer", REVIEWER)
    editor = _account("editor", EDITOR)
    themes = [
        theme
        for theme in Theme.objects.filter(is_active=True, size__gt=0).order_by("-size", "pk")[: THEMES_IN_DEMO * 2]
        if _prepare_theme(theme, reviewer=reviewer)
    ][:THEMES_IN_DEMO]
    if not themes:
        return None
    _reject_one(reviewer=reviewer, themes=themes)
    first = Suggestion.objects.order_by("created_at").values_list("created_at", flat=True).first()
    start = start_of_day(timezone.localtime(first).date())
    end = start_of_day(timezone.localdate() + timezone.timedelta(days=1))
    with transaction.atomic():
        version = services.create_report(
            author=reviewer,
            title=DEMO_TITLE,
            introduction=DEMO_INTRODUCTION,
            period_start=start,
            period_end=end,
            themes=themes,
        )
        Report.objects.filter(pk=version.report_id).update(is_demo=True)
        version = services.submit_report(version=version, submitter=reviewer)
        version = services.approve_report(version=version, editor=editor)
        return services.publish_report(version=version, editor=editor)

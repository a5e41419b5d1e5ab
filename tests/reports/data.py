"""Data of the report tests: suggestions in themes with review decisions, and reports through each stage."""

from datetime import timedelta

from django.utils import timezone

from reports import services
from review.models import Review, ReviewStatus
from suggestions.choices import State
from suggestions.models import DuplicateGroup, GroupKind, Theme, ThemeMembership
from tests.factories import ContactFactory, SuggestionFactory

# Planted in suggestion texts and contact details; none may reach a public page, the PDF or the open data.
CANARY_PHONE_FA = "۰۹۱۲۷۷۳۴۴۵۶"
CANARY_PHONE_LATIN = "09127734456"
CANARY_EMAIL = "canary.report-5521@example.ir"
CANARY_NATIONAL_ID = "0499370899"  # a valid check digit
CANARY_NAME = "قناری‌گزارش‌نویس"
CANARY_TEXTS = (CANARY_PHONE_FA, CANARY_PHONE_LATIN, "7734456", "۷۷۳۴۴۵۶", CANARY_EMAIL, CANARY_NATIONAL_ID)


def make_suggestion(
    *, theme: Theme | None = None, status: str = "", reason: str = "", group=None, days_ago: int = 3, **fields
):
    fields.setdefault("state", State.ANALYZED)
    suggestion = SuggestionFactory(created_at=timezone.now() - timedelta(days=days_ago), **fields)
    if theme is not None:
        ThemeMembership.objects.create(suggestion=suggestion, theme=theme)
    if status:
        Review.objects.create(
            suggestion=suggestion,
            status=status,
            reject_reason=reason,
            theme=theme if status == ReviewStatus.ACCEPTED else None,
            decided_at=timezone.now(),
        )
    if group is not None:
        suggestion.duplicate_group = group
        suggestion.save(update_fields=["duplicate_group"])
    return suggestion


def make_group(canonical, *, kind=GroupKind.NEAR):
    group = DuplicateGroup.objects.create(kind=kind, canonical=canonical, size=1)
    canonical.duplicate_group = group
    canonical.save(update_fields=["duplicate_group"])
    return group


def period(days: int = 30):
    today = timezone.localdate()
    start = timezone.make_aware(timezone.datetime.combine(today - timedelta(days=days), timezone.datetime.min.time()))
    end = timezone.make_aware(timezone.datetime.combine(today + timedelta(days=1), timezone.datetime.min.time()))
    return start, end


def write_summary(theme, *, by, text="پیشنهادها بیشتر دربارهٔ **ساعت** رأی‌گیری بود."):
    return services.save_theme_summary(theme=theme, editor=by, text=text)


def quote_and_confirm(theme, suggestion, *, by, excerpt=None):
    quote = services.add_quote(
        theme=theme, suggestion=suggestion, reviewer=by, excerpt=excerpt or suggestion.body, extra_terms=[]
    )
    return services.confirm_quote(quote=quote, reviewer=by)


def draft_report(*, author, themes, title="گزارش نخست هم‌اندیشی"):
    start, end = period()
    return services.create_report(
        author=author,
        title=title,
        introduction="این گزارش **آزمایشی** است.",
        period_start=start,
        period_end=end,
        themes=list(themes),
    )


def publish(version, *, author, editor):
    version = services.submit_report(version=version, submitter=author)
    version = services.approve_report(version=version, editor=editor)
    return services.publish_report(version=version, editor=editor)


def theme_with_accepted(label="ساعت رأی‌گیری", *, count=3, **fields):
    theme = Theme.objects.create(label=label, keywords=[], size=count)
    accepted = [make_suggestion(theme=theme, status=ReviewStatus.ACCEPTED, **fields) for _ in range(count)]
    return theme, accepted


def contact_for(suggestion, **fields):
    return ContactFactory(suggestion=suggestion, **fields)

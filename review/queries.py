"""Reads of the review workspace: the queue as a QuerySet, its counts, and the dashboard figures.

The queue is the analysed suggestions LEFT JOIN their review: a suggestion nobody has touched has no review
row and counts as pending, so every analysed suggestion is in the queue the moment its analysis commits.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce, TruncDate, TruncWeek
from django.shortcuts import get_object_or_404
from django.utils import timezone

from review.models import OPEN_STATUSES, AuditEntry, Review, ReviewStatus
from suggestions import analysis
from suggestions.models import GroupKind, Suggestion, SuggestionQuerySet

OPEN = "open"
ALL = "all"


class QueueQuerySet(SuggestionQuerySet):
    def for_queue(self):
        """Analysed suggestions with what a queue row shows, in one query."""
        return self.analysed().select_related(
            "topic", "review", "review__claimed_by", "theme_membership__theme", "duplicate_group"
        )

    def in_status(self, status: str):
        if status == ALL or not status:
            return self
        if status == OPEN:
            return self.filter(Q(review__isnull=True) | Q(review__status__in=OPEN_STATUSES))
        if status == ReviewStatus.PENDING:
            return self.filter(Q(review__isnull=True) | Q(review__status=ReviewStatus.PENDING))
        return self.filter(review__status=status)

    def awaiting_review(self):
        return self.in_status(OPEN)

    def in_theme(self, theme_id: int):
        return self.filter(theme_membership__theme_id=theme_id)

    def from_province(self, province: str):
        return self.filter(province=province)

    def sent_by_role(self, role: str):
        return self.filter(role=role)

    def in_topic(self, topic_id: int):
        return self.filter(topic_id=topic_id)

    def sent_between(self, first: date | None, last: date | None):
        """Both days inclusive, as days in Tehran."""
        queryset = self
        if first:
            queryset = queryset.filter(created_at__gte=start_of_day(first))
        if last:
            queryset = queryset.filter(created_at__lt=start_of_day(last + timedelta(days=1)))
        return queryset

    def with_duplicates(self):
        return self.filter(duplicate_group__size__gt=1)

    def in_campaign(self):
        return self.filter(duplicate_group__kind=GroupKind.CAMPAIGN)

    def matching(self, text: str):
        """Every word of `text`, folded as the analysis folds, somewhere in the match form. Folding makes
        «برنامه‌ریزی», «برنامه ریزی» and «برنامهريزي» one search; PostgreSQL answers from a trigram index."""
        queryset = self
        for word in text.split():
            folded = analysis.match_form(word)
            if folded:
                queryset = queryset.filter(match_text__contains=folded)
        return queryset

    def claimable_by(self, user, *, now=None):
        """Undecided, not held by a running claim, and not one this reviewer stepped back from."""
        now = now or timezone.now()
        unclaimed = Q(review__isnull=True) | Q(review__claimed_by__isnull=True) | Q(review__claim_expires_at__lte=now)
        return self.awaiting_review().filter(unclaimed).exclude(recusals__reviewer=user)

    def oldest_first(self):
        return self.order_by("created_at", "id")

    def newest_first(self):
        return self.order_by("-created_at", "-id")


def queue() -> QueueQuerySet:
    """Every analysed suggestion, whatever its review."""
    return QueueQuerySet(Suggestion).analysed()


@dataclass(frozen=True)
class QueueFilters:
    status: str = OPEN
    theme: int | None = None
    province: str = ""
    role: str = ""
    topic: int | None = None
    first_day: date | None = None
    last_day: date | None = None
    has_duplicates: bool = False
    campaign: bool = False
    search: str = ""
    sort: str = "oldest"

    def apply(self, queryset: QueueQuerySet) -> QueueQuerySet:
        queryset = queryset.in_status(self.status)
        if self.theme:
            queryset = queryset.in_theme(self.theme)
        if self.province:
            queryset = queryset.from_province(self.province)
        if self.role:
            queryset = queryset.sent_by_role(self.role)
        if self.topic:
            queryset = queryset.in_topic(self.topic)
        if self.first_day or self.last_day:
            queryset = queryset.sent_between(self.first_day, self.last_day)
        if self.has_duplicates:
            queryset = queryset.with_duplicates()
        if self.campaign:
            queryset = queryset.in_campaign()
        if self.search:
            queryset = queryset.matching(self.search)
        return queryset.newest_first() if self.sort == "newest" else queryset.oldest_first()


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Page:
    rows: list
    number: int
    size: int
    count: int  # exact up to `limit`; beyond that the queue says «more than»
    limit: int

    @property
    def capped(self) -> bool:
        return self.count > self.limit

    @property
    def shown_count(self) -> int:
        return min(self.count, self.limit)

    @property
    def last_number(self) -> int:
        return max(1, -(-self.shown_count // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.last_number or (self.capped and len(self.rows) == self.size)

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.rows) - 1 if self.rows else 0


def queue_page(queryset: QueueQuerySet, *, number: int, size: int | None = None) -> Page:
    """One page of the queue and a count of matches that stops at REVIEW_COUNT_LIMIT: counting a million
    rows exactly on every page view costs more than the page itself. Two queries, whatever the filters."""
    size = size or settings.REVIEW_PAGE_SIZE
    limit = settings.REVIEW_COUNT_LIMIT
    count = queryset.select_related(None).order_by()[: limit + 1].count()
    last = max(1, -(-min(count, limit) // size))
    number = min(max(1, number), last + (1 if count > limit else 0))
    start = (number - 1) * size
    rows = list(queryset[start : start + size])
    now = timezone.now()
    for suggestion in rows:
        review = getattr(suggestion, "review", None)  # no review row yet: pending
        suggestion.queue_status = review.status if review else ReviewStatus.PENDING
        suggestion.queue_status_label = review.get_status_display() if review else ReviewStatus.PENDING.label
        suggestion.queue_holder = review.claim_holder(now=now) if review else None
    return Page(rows=rows, number=number, size=size, count=count, limit=limit)


def neighbour_in_queue(queryset: QueueQuerySet, suggestion: Suggestion, *, before: bool):
    """The suggestion just before (or after) this one in the oldest-first queue order."""
    key = Q(created_at__lt=suggestion.created_at) | Q(created_at=suggestion.created_at, id__lt=suggestion.pk)
    if before:
        return queryset.filter(key).select_related(None).order_by("-created_at", "-id").only("pk").first()
    key = Q(created_at__gt=suggestion.created_at) | Q(created_at=suggestion.created_at, id__gt=suggestion.pk)
    return queryset.filter(key).select_related(None).order_by("created_at", "id").only("pk").first()


def get_suggestion_for_review_or_404(pk: int) -> Suggestion:
    return get_object_or_404(
        Suggestion.objects.select_related(
            "topic",
            "review",
            "review__claimed_by",
            "review__decided_by",
            "review__theme",
            "review__duplicate_of",
            "theme_membership__theme",
            "duplicate_group",
        ),
        pk=pk,
    )


# Counts beside the filters ------------------------------------------------------------------------------

COUNTS_KEY = "review:filter-counts:v1"
FACETS = ("status", "province", "role", "topic", "theme", "has_duplicates", "campaign")


def compute_filter_counts() -> dict:
    """How many analysed suggestions each filter value holds, split by review status: one grouped query
    over the queue. {status: {facet: {value: count}}}, where status is a review status."""
    rows = (
        Suggestion.objects.analysed()
        .order_by()
        .values(
            _status=Coalesce("review__status", Value(ReviewStatus.PENDING)),
            _province=Coalesce("province", Value("")),
            _role=Coalesce("role", Value("")),
            _topic=Coalesce("topic_id", Value(0)),
            _theme=Coalesce("theme_membership__theme_id", Value(0)),
            _dup=Case(When(duplicate_group__size__gt=1, then=Value(1)), default=Value(0), output_field=IntegerField()),
            _campaign=Case(
                When(duplicate_group__kind=GroupKind.CAMPAIGN, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .annotate(n=Count("pk"))
    )
    counts: dict = {}
    for row in rows:
        by_facet = counts.setdefault(row["_status"], {facet: {} for facet in FACETS})
        values = {
            "status": row["_status"],
            "province": row["_province"],
            "role": row["_role"],
            "topic": row["_topic"],
            "theme": row["_theme"],
            "has_duplicates": row["_dup"],
            "campaign": row["_campaign"],
        }
        for facet, value in values.items():
            by_facet[facet][value] = by_facet[facet].get(value, 0) + row["n"]
    return {"at": timezone.now().isoformat(), "by_status": counts}


def filter_counts(*, refresh: bool = False) -> dict:
    """The cached counts (REVIEW_COUNTS_SECONDS old at most); a beat task refreshes them in the background,
    so a page computes them only when the cache has lost them."""
    counts = None if refresh else cache.get(COUNTS_KEY)
    if counts is None:
        counts = compute_filter_counts()
        cache.set(COUNTS_KEY, counts, settings.REVIEW_COUNTS_SECONDS)
    return counts


def counts_for_status(counts: dict, status: str) -> dict:
    """Counts of each facet value among the suggestions in one status filter ('open', 'all' or a status)."""
    by_status = counts["by_status"]
    if status == ALL or not status:
        statuses = list(by_status)
    elif status == OPEN:
        statuses = list(OPEN_STATUSES)
    else:
        statuses = [status]
    merged = {facet: {} for facet in FACETS}
    for name in statuses:
        for facet, values in by_status.get(name, {}).items():
            for value, n in values.items():
                merged[facet][value] = merged[facet].get(value, 0) + n
    merged["status"] = {name: sum(values["status"].values()) for name, values in by_status.items()}
    merged["status"][OPEN] = sum(merged["status"].get(name, 0) for name in OPEN_STATUSES)
    merged["status"][ALL] = sum(n for name, n in merged["status"].items() if name in ReviewStatus.values)
    return merged


# Dashboard ----------------------------------------------------------------------------------------------

DASHBOARD_KEY = "review:dashboard:v1"
AGE_BUCKETS = [(1, "کمتر از یک روز"), (7, "۱ تا ۷ روز"), (30, "۸ تا ۳۰ روز"), (None, "بیش از ۳۰ روز")]
WEEKS = 12
THROUGHPUT_DAYS = 14


def compute_dashboard() -> dict:
    now = timezone.now()
    analysed = Suggestion.objects.analysed().order_by()
    backlog = dict(
        analysed.values_list(Coalesce("review__status", Value(ReviewStatus.PENDING))).annotate(n=Count("pk"))
    )
    ages = []
    lower = 0
    for days, label in AGE_BUCKETS:
        bucket = queue().awaiting_review().order_by()
        if lower:
            bucket = bucket.filter(created_at__lte=now - timedelta(days=lower))
        if days:
            bucket = bucket.filter(created_at__gt=now - timedelta(days=days))
        ages.append((label, bucket.count()))
        lower = days or lower
    since = start_of_day(timezone.localdate() - timedelta(weeks=WEEKS))
    weekly = (
        analysed.filter(created_at__gte=since)
        .annotate(week=TruncWeek("created_at"))
        .values_list("week", "role")
        .annotate(n=Count("pk"))
    )
    by_role_week = {}
    for week, role, n in weekly:
        key = f"{week.date().isoformat()}|{role}"
        by_role_week[key] = by_role_week.get(key, 0) + n
    weeks = sorted({key.partition("|")[0] for key in by_role_week})
    themes = list(
        analysed.filter(theme_membership__theme__is_active=True)
        .values_list("theme_membership__theme_id", "theme_membership__theme__label")
        .annotate(n=Count("pk"))
        .order_by("-n")[:12]
    )
    provinces = list(analysed.values_list("province").annotate(n=Count("pk")).order_by("-n"))
    decided_since = start_of_day(timezone.localdate() - timedelta(days=THROUGHPUT_DAYS - 1))
    throughput = list(
        Review.objects.filter(decided_at__gte=decided_since, decided_by__isnull=False)
        .annotate(day=TruncDate("decided_at"))
        .values_list("decided_by__username", "day")
        .annotate(n=Count("pk"))
    )
    return {
        "at": now.isoformat(),
        "backlog": backlog,
        "ages": ages,
        "weeks": weeks,
        "by_role_week": by_role_week,
        "themes": themes,
        "provinces": provinces,
        "throughput": [(name, day.isoformat(), n) for name, day, n in throughput],
        "throughput_days": [
            (timezone.localdate() - timedelta(days=offset)).isoformat() for offset in range(THROUGHPUT_DAYS - 1, -1, -1)
        ],
    }


def dashboard_figures(*, refresh: bool = False) -> dict:
    figures = None if refresh else cache.get(DASHBOARD_KEY)
    if figures is None:
        figures = compute_dashboard()
        cache.set(DASHBOARD_KEY, figures, settings.REVIEW_COUNTS_SECONDS)
    return figures


def audit_for(suggestion: Suggestion):
    return AuditEntry.objects.for_object(suggestion)[:50]

"""Reads of the review workspace: the queue as a QuerySet, its counts, and the dashboard figures.

The queue is the analyzed suggestions LEFT JOIN their review: a suggestion nobody has touched has no review
row and counts as pending, so every analyzed suggestion is in the queue the moment its analysis commits.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from django.db.models import Case, Count, IntegerField, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncDate, TruncWeek
from django.shortcuts import get_object_or_404
from django.utils import timezone

from review.models import OPEN_STATUSES, Assignment, AuditEntry, Review, ReviewStatus
from review.roles import EDITOR_ROLES, REVIEW_ROLES, has_role, require_role
from suggestions import analysis
from suggestions.models import GroupKind, Suggestion, SuggestionQuerySet, Support, support_key
from suggestions.tracking import parse_tracking_code

OPEN = "open"
ALL = "all"


class QueueQuerySet(SuggestionQuerySet):
    def for_queue(self):
        """Analyzed suggestions with what a queue row shows, in one query."""
        return self.analyzed().select_related(
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

    def assigned_to(self, reviewer):
        """Suggestions an editor handed to this reviewer and nobody has decided yet."""
        return self.filter(assignments__reviewer=reviewer, assignments__closed_at__isnull=True)

    def oldest_first(self):
        return self.order_by("created_at", "id")

    def newest_first(self):
        return self.order_by("-created_at", "-id")


def queue() -> QueueQuerySet:
    """Every analyzed suggestion, whatever its review."""
    return QueueQuerySet(Suggestion).analyzed()


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
    assignee: int | None = None  # a reviewer's id: what an editor assigned to them and nobody has decided
    search: str = ""
    sort: str = "oldest"

    def counted_facet(self) -> tuple[str, object] | None:
        """('status', None) or the one facet and value set beside the status, when the cached filter counts
        already know how many match; None for anything else (search, dates, two facets)."""
        if self.search or self.first_day or self.last_day or self.assignee:
            return None
        chosen = [
            (facet, value)
            for facet, value in (
                ("province", self.province),
                ("role", self.role),
                ("topic", self.topic),
                ("theme", self.theme),
                ("has_duplicates", 1 if self.has_duplicates else None),
                ("campaign", 1 if self.campaign else None),
            )
            if value
        ]
        if len(chosen) > 1:
            return None
        return chosen[0] if chosen else ("status", None)

    @property
    def tracking_code(self) -> str | None:
        """The search as a tracking code (Latin or Persian digits, dashes or not), or None."""
        return parse_tracking_code(self.search) if self.search else None

    def apply(self, queryset: QueueQuerySet) -> QueueQuerySet:
        code = self.tracking_code
        if code:
            # A citizen on the phone reads out their code: find that suggestion whatever its status or facets.
            return queryset.filter(tracking_code=code).oldest_first()
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
        if self.assignee:
            queryset = queryset.assigned_to(self.assignee)
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
    count: int | None  # None: counting took longer than its budget
    limit: int
    cached: bool = False  # the count comes from the cached filter counts (a few minutes old at most)

    @property
    def known(self) -> bool:
        return self.count is not None

    @property
    def capped(self) -> bool:
        return self.known and self.count > self.limit

    @property
    def shown_count(self) -> int:
        return min(self.count, self.limit) if self.known else self.last_index

    @property
    def last_number(self) -> int:
        return max(1, -(-self.shown_count // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        if self.known and not self.capped and not self.cached:
            return self.number < self.last_number
        return len(self.rows) == self.size

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.rows) - 1 if self.rows else 0


def bounded_count(queryset: QueueQuerySet, *, limit: int) -> int | None:
    """Matches up to `limit` + 1. On PostgreSQL the count may take REVIEW_COUNT_BUDGET_MS at most: a rare
    combination of filters over a million rows would otherwise cost seconds. None when it ran out of time."""
    counting = queryset.select_related(None).order_by()[: limit + 1]
    if connection.vendor != "postgresql":
        return counting.count()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(settings.REVIEW_COUNT_BUDGET_MS)])
            count = counting.count()
            # set_config(..., true) lasts to the end of the transaction, which in tests is the whole test.
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(_session_timeout())])
            return count
    except OperationalError:
        return None


def _session_timeout() -> int:
    return int(connection.settings_dict.get("OPTIONS", {}).get("statement_timeout", 0) or 0)


@contextmanager
def page_queries():
    """One transaction for a queue page. On PostgreSQL without parallel workers: a page is 25 rows found by
    walking an index, and starting workers cost more than the walk (40 ms against 6 ms at a million rows)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('max_parallel_workers_per_gather', '0', true)")
        yield


# No staff list here reaches this many rows. A page starting past it is out of range whatever the count, and
# asking the database for it would fail (PostgreSQL's OFFSET is a bigint) rather than find nothing.
MAX_ROW_OFFSET = 10**9


def page_start(number: int, size: int) -> int | None:
    """Where page `number` (counted from 1) of `size` rows starts, or None when it lies past any list here."""
    start = (max(1, number) - 1) * size
    return start if start <= MAX_ROW_OFFSET else None


def queue_page(
    queryset: QueueQuerySet, *, number: int, size: int | None = None, cached_count: int | None = None
) -> Page:
    """One page of the queue and how many match. The count is exact, read from the database now, up to
    REVIEW_COUNT_LIMIT and within its time budget: cached counts lag behind decisions and, kept per process,
    disagree between workers. Only when the budget runs out is `cached_count` (the periodic count) shown.
    The same queries whatever the rows."""
    size = size or settings.REVIEW_PAGE_SIZE
    limit = settings.REVIEW_COUNT_LIMIT
    with page_queries():
        count = bounded_count(queryset, limit=limit)
        cached = count is None and cached_count is not None
        if cached:
            count = cached_count
        number = max(1, number)
        if count is not None:
            last = max(1, -(-min(count, limit) // size))
            number = min(number, last + (1 if count > limit else 0))
        number = min(number, MAX_ROW_OFFSET // size + 1)
        start = page_start(number, size)
        rows = list(queryset[start : start + size])
    now = timezone.now()
    assignees = dict(
        Assignment.objects.still_open()
        .filter(suggestion_id__in=[suggestion.pk for suggestion in rows])
        .values_list("suggestion_id", "reviewer__username")
    )
    backers = Support.objects.backers_by_idea(rows)
    for suggestion in rows:
        suggestion.queue_assignee = assignees.get(suggestion.pk)
        suggestion.idea_supporters = backers.get(support_key(suggestion), 0)
        review = getattr(suggestion, "review", None)  # no review row yet: pending
        suggestion.queue_status = review.status if review else ReviewStatus.PENDING
        suggestion.queue_status_label = review.get_status_display() if review else ReviewStatus.PENDING.label
        suggestion.queue_holder = review.claim_holder(now=now) if review else None
    return Page(rows=rows, number=number, size=size, count=count, limit=limit, cached=cached)


def neighbour_in_queue(queryset: QueueQuerySet, suggestion: Suggestion, *, before: bool):
    """The suggestion just before (or after) this one in the oldest-first queue order."""
    key = Q(created_at__lt=suggestion.created_at) | Q(created_at=suggestion.created_at, id__lt=suggestion.pk)
    if before:
        return queryset.filter(key).select_related(None).order_by("-created_at", "-id").only("pk").first()
    key = Q(created_at__gt=suggestion.created_at) | Q(created_at=suggestion.created_at, id__gt=suggestion.pk)
    return queryset.filter(key).select_related(None).order_by("created_at", "id").only("pk").first()


def get_suggestion_for_reviewer_or_404(user, pk: int) -> Suggestion:
    """The suggestion with everything its review page shows, for a person who holds a review role; anyone else
    is refused (403), whichever view asks."""
    require_role(user, *REVIEW_ROLES)
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
    """How many analyzed suggestions each filter value holds, split by review status:
    {"by_status": {status: {facet: {value: count}}}}. One pass over the queue; on PostgreSQL with GROUPING
    SETS (about 3 s over a million suggestions), elsewhere grouped by every facet at once."""
    rows = _facet_rows_grouping_sets() if connection.vendor == "postgresql" else _facet_rows_portable()
    counts: dict = {}
    for status, facet, value, n in rows:
        by_facet = counts.setdefault(status, {name: {} for name in FACETS})
        by_facet[facet][value] = by_facet[facet].get(value, 0) + n
        if facet == "province":  # every suggestion is in exactly one province group: count the status there
            by_facet["status"][status] = by_facet["status"].get(status, 0) + n
    return {"at": timezone.now().isoformat(), "by_status": counts}


def _facet_rows_portable():
    rows = (
        Suggestion.objects.analyzed()
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
    for row in rows:
        for facet, key in (
            ("province", "_province"),
            ("role", "_role"),
            ("topic", "_topic"),
            ("theme", "_theme"),
            ("has_duplicates", "_dup"),
            ("campaign", "_campaign"),
        ):
            yield row["_status"], facet, row[key], row["n"]


_GROUPING_SETS_SQL = """
SELECT COALESCE(r.status, %(pending)s), s.province, s.role, s.topic_id, m.theme_id,
       COALESCE(g.size > 1, false), COALESCE(g.kind = %(campaign)s, false),
       GROUPING(s.province), GROUPING(s.role), GROUPING(s.topic_id), GROUPING(m.theme_id),
       GROUPING(COALESCE(g.size > 1, false)), COUNT(*)
FROM {suggestion} s
LEFT JOIN {review} r ON r.suggestion_id = s.id
LEFT JOIN {membership} m ON m.suggestion_id = s.id
LEFT JOIN {group} g ON g.id = s.duplicate_group_id
WHERE s.state = %(analyzed)s
GROUP BY GROUPING SETS (
    (COALESCE(r.status, %(pending)s), s.province),
    (COALESCE(r.status, %(pending)s), s.role),
    (COALESCE(r.status, %(pending)s), s.topic_id),
    (COALESCE(r.status, %(pending)s), m.theme_id),
    (COALESCE(r.status, %(pending)s), COALESCE(g.size > 1, false)),
    (COALESCE(r.status, %(pending)s), COALESCE(g.kind = %(campaign)s, false))
)
"""


def _facet_rows_grouping_sets():
    from suggestions.models import DuplicateGroup, ThemeMembership

    sql = _GROUPING_SETS_SQL.format(
        suggestion=Suggestion._meta.db_table,
        review=Review._meta.db_table,
        membership=ThemeMembership._meta.db_table,
        group=DuplicateGroup._meta.db_table,
    )
    params = {"pending": ReviewStatus.PENDING.value, "campaign": GroupKind.CAMPAIGN.value, "analyzed": "analyzed"}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for status, province, role, topic, theme, dup, campaign, g_prov, g_role, g_topic, g_theme, g_dup, n in cursor:
            if not g_prov:
                yield status, "province", province or "", n
            elif not g_role:
                yield status, "role", role or "", n
            elif not g_topic:
                yield status, "topic", topic or 0, n
            elif not g_theme:
                yield status, "theme", theme or 0, n
            elif not g_dup:
                yield status, "has_duplicates", int(dup), n
            else:
                yield status, "campaign", int(campaign), n


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
    analyzed = Suggestion.objects.analyzed().order_by()
    backlog = dict(
        analyzed.values_list(Coalesce("review__status", Value(ReviewStatus.PENDING))).annotate(n=Count("pk"))
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
        analyzed.filter(created_at__gte=since)
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
        analyzed.filter(theme_membership__theme__is_active=True)
        .values_list("theme_membership__theme_id", "theme_membership__theme__label")
        .annotate(n=Count("pk"))
        .order_by("-n")[:12]
    )
    provinces = list(analyzed.values_list("province").annotate(n=Count("pk")).order_by("-n"))
    decided_since = start_of_day(timezone.localdate() - timedelta(days=THROUGHPUT_DAYS - 1))
    throughput = list(
        Review.objects.filter(decided_at__gte=decided_since, decided_by__isnull=False)
        .annotate(day=TruncDate("decided_at"))
        .values_list("decided_by__username", "day")
        .annotate(n=Count("pk"))
    )
    return {
        "at": now.isoformat(),
        "suggestions": Suggestion.objects.count(),
        "supporters": Support.objects.count(),
        "supported_ideas": Support.objects.values("idea_id").distinct().count(),
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


def open_assignment_of(suggestion: Suggestion):
    return (
        Assignment.objects.still_open().filter(suggestion=suggestion).select_related("reviewer", "assigned_by").first()
    )


def open_assignment_count(reviewer) -> int:
    return Assignment.objects.held_by(reviewer).count()


def open_loads() -> list[dict]:
    """Every reviewer with how many assigned suggestions still wait for a decision, and since when the
    oldest of them waits. Read live in one query (the open assignments have an index of their own), so a
    decision shows at once."""
    still_open = Assignment.objects.still_open().filter(reviewer=OuterRef("pk")).order_by().values("reviewer")
    people = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=REVIEW_ROLES) | Q(pk__in=Assignment.objects.still_open().values("reviewer")))
        .distinct()
        .annotate(
            open=Coalesce(Subquery(still_open.annotate(n=Count("pk")).values("n")), Value(0)),
            oldest=Subquery(still_open.annotate(first=Min("assigned_at")).values("first")),
        )
        .order_by("-open", "username")
    )
    return [{"name": person.get_username(), "open": person.open, "oldest": person.oldest} for person in people]


def audit_visible_to(user):
    """The log an editor reads whole; a reviewer reads what was done to suggestions, and their own actions."""
    entries = AuditEntry.objects.all()
    if has_role(user, *EDITOR_ROLES):
        return entries
    return entries.filter(Q(object_type=Suggestion._meta.label_lower) | Q(actor=user))


def audit_for(suggestion: Suggestion):
    return AuditEntry.objects.for_object(suggestion)[:50]

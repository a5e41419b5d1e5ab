"""The figures of a report, computed from the data: reads only, aggregates only.

Counting rules, stated once here and in the method section of every report:
- received: every suggestion sent in the period;
- counted: received, less the ones reviewers rejected;
- distinct ideas: counted suggestions with each idea counted once (the texts that propose the same thing:
  copies, campaigns and other wordings); a suggestion sent since the last re-clustering, in no idea yet, counts
  with its duplicate group (exact copies, near copies, campaigns) once, or alone;
- shares by role and province are over counted suggestions (the people who wrote in), and a category
  with fewer than MIN_CELL suggestions is folded into «others», so no small group can be singled out;
- supporters: supports received in the period for an idea counted here (one per idea per browser); a support
  is never a suggestion and counts in none of the figures above;
- people per idea: an idea's counted suggestions in the theme plus the supports received in the period for any
  of its suggestions; an idea is listed when at least MIN_CELL people are behind it, the largest IDEAS_LISTED
  of a theme, its label redacted as quotes are.
"""

from django.db.models import Count, F, Min, Q, QuerySet

from common.persian import TO_PERSIAN
from reports.redaction import redact
from review.models import OPEN_STATUSES, RejectReason, ReviewStatus
from suggestions.analysis import display_form, main_clauses
from suggestions.choices import Province, Role
from suggestions.models import Contact, GroupKind, Idea, Suggestion, Support

MIN_CELL = 3
IDEAS_LISTED = 10
IDEA_LABEL_CHARS = 160
OTHERS = "others"
OTHERS_LABEL = f"سایر (گروه‌های کمتر از {MIN_CELL} نفر)".translate(TO_PERSIAN)
UNKNOWN_PROVINCE_LABEL = "نامشخص"


def received_between(start, end) -> QuerySet:
    return Suggestion.objects.filter(created_at__gte=start, created_at__lt=end)


def counted(suggestions: QuerySet) -> QuerySet:
    # exclude() keeps suggestions that have no review row at all: nobody rejected them.
    return suggestions.exclude(review__status=ReviewStatus.REJECTED)


def in_theme(suggestions: QuerySet, theme_id: int) -> QuerySet:
    return suggestions.filter(theme_membership__theme_id=theme_id)


def distinct_ideas(suggestions: QuerySet) -> int:
    totals = suggestions.aggregate(
        ideas=Count("idea", distinct=True),
        loose=Count("pk", filter=Q(idea__isnull=True, duplicate_group__isnull=True)),
        groups=Count("duplicate_group", distinct=True, filter=Q(idea__isnull=True)),
    )
    return totals["ideas"] + totals["loose"] + totals["groups"]


def supporters(suggestions: QuerySet, *, start, end) -> int:
    """Supports received in the period for the ideas these suggestions belong to: a support points at its idea's
    canonical suggestion, which may itself lie outside these (a copy of it counted here counts its idea)."""
    groups = suggestions.filter(duplicate_group__isnull=False).values("duplicate_group_id")
    return (
        Support.objects.filter(created_at__gte=start, created_at__lt=end)
        .filter(Q(idea__in=suggestions.values("pk")) | Q(idea__duplicate_group_id__in=groups))
        .count()
    )


def campaign_label(number: int) -> str:
    return f"کارزار شمارهٔ {number}".translate(TO_PERSIAN)


# A campaign is shown by what it asked for in about one line of a table: longer texts are cut at a word.
CAMPAIGN_TEXT_CHARS = 110


def campaigns(suggestions: QuerySet, *, described: bool = False) -> list[dict]:
    """Each campaign once, with how many of these suggestions belong to it. ``described``: also what it asked
    for (``text``: its representative member's request, without the reasons given, redacted as report quotes
    are and shortened) and ``theme``, the label of that member's theme. The representative is the campaign's
    canonical member when it is among these suggestions, otherwise the first of its members that is."""
    rows = (
        suggestions.filter(duplicate_group__kind=GroupKind.CAMPAIGN)
        .values_list("duplicate_group_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "duplicate_group_id")
    )
    found = [{"number": group_id, "label": campaign_label(group_id), "size": size} for group_id, size in rows]
    if described and found:
        described_as = _campaign_descriptions(suggestions, [row["number"] for row in found])
        for row in found:
            row["text"], row["theme"] = described_as.get(row["number"], ("", ""))
    return found


def _campaign_descriptions(suggestions: QuerySet, group_ids: list[int]) -> dict[int, tuple[str, str]]:
    members = suggestions.filter(duplicate_group_id__in=group_ids)
    canonical = dict(members.filter(duplicate_group__canonical_id=F("pk")).values_list("duplicate_group_id", "pk"))
    missing = [group_id for group_id in group_ids if group_id not in canonical]
    if missing:
        first = members.filter(duplicate_group_id__in=missing).values("duplicate_group_id").annotate(first=Min("pk"))
        canonical.update({row["duplicate_group_id"]: row["first"] for row in first})
    representatives = Suggestion.objects.filter(pk__in=canonical.values()).select_related(
        "contact", "review__theme", "theme_membership__theme"
    )
    return {
        suggestion.duplicate_group_id: (_request_of(suggestion), _theme_label(suggestion))
        for suggestion in representatives
    }


def _request_of(suggestion: Suggestion) -> str:
    """What a suggestion asks for, as a report may print it: no reasons, no personal data, about one line."""
    contact = getattr(suggestion, "contact", None)
    names = [contact.name] if contact is not None and contact.name.strip() else []
    asked = main_clauses(display_form(suggestion.body))
    return shorten(redact(asked, extra_terms=names).text, CAMPAIGN_TEXT_CHARS)


def _theme_label(suggestion: Suggestion) -> str:
    review = getattr(suggestion, "review", None)
    if review is not None and review.theme is not None:
        return review.theme.label
    membership = getattr(suggestion, "theme_membership", None)
    return membership.theme.label if membership is not None else ""


def shorten(text: str, limit: int) -> str:
    """The text cut at the last space before ``limit`` characters, with an ellipsis when anything was cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip("،,;؛:") + "…"


def shares(suggestions: QuerySet, field: str) -> list[dict]:
    labels = dict(Role.choices if field == "role" else Province.choices)
    rows = suggestions.values_list(field).annotate(n=Count("pk")).order_by("-n", field)
    total = sum(n for _, n in rows)
    kept, folded = [], 0
    for key, n in rows:
        if n < MIN_CELL:
            folded += n
        else:
            kept.append({"key": key or "unknown", "label": labels.get(key, UNKNOWN_PROVINCE_LABEL), "count": n})
    if folded:
        kept.append({"key": OTHERS, "label": OTHERS_LABEL, "count": folded})
    for row in kept:
        row["share"] = round(100 * row["count"] / total, 1) if total else 0.0
    return kept


def ideas_by_people(suggestions: QuerySet, *, start, end, limit: int = IDEAS_LISTED) -> list[dict]:
    """The ideas of these suggestions with the most people behind them, most first: ``people`` is ``suggestions``
    (how many of these are in the idea) plus ``supporters`` (browsers that backed any suggestion of the idea in
    the period, each once). Ideas of fewer than MIN_CELL people are left out, so no one person's words are singled
    out."""
    counts = dict(suggestions.filter(idea__isnull=False).values_list("idea_id").annotate(n=Count("pk")).order_by())
    if not counts:
        return []
    backers = dict(
        Support.objects.filter(created_at__gte=start, created_at__lt=end, idea__idea_id__in=list(counts))
        .values_list("idea__idea_id")
        # One browser that backed two texts of the idea, before they were found to be one, is one supporter.
        .annotate(n=Count("browser", distinct=True))
        .order_by()
    )
    people = {idea_id: n + backers.get(idea_id, 0) for idea_id, n in counts.items()}
    shown = sorted((i for i, n in people.items() if n >= MIN_CELL), key=lambda i: (-people[i], i))[:limit]
    labels = dict(Idea.objects.filter(pk__in=shown).values_list("pk", "label"))
    # A suggestion of the idea counted here, a group's canonical text where there is one (the support page backs
    # the idea of a group through its canonical text): the published report offers to back the idea through it.
    members = suggestions.filter(idea_id__in=shown).values_list("idea_id").annotate(first=Min("pk")).order_by()
    first = dict(members)
    first.update(members.filter(Q(duplicate_group__isnull=True) | Q(duplicate_group__canonical_id=F("pk"))))
    return [
        {
            "number": idea_id,
            "label": _public_label(idea_id, labels.get(idea_id, "")),
            "people": people[idea_id],
            "suggestions": counts[idea_id],
            "supporters": backers.get(idea_id, 0),
            "suggestion": first[idea_id],
        }
        for idea_id in shown
    ]


def _public_label(idea_id: int, label: str) -> str:
    """An idea's label as a report may print it: its words come from a citizen's text, so personal data in it is
    hidden as in quotes, the names its members gave included."""
    names = (
        Contact.objects.filter(suggestion__idea_id=idea_id)
        .exclude(name="")
        .values_list("name", flat=True)
        .distinct()[:500]
    )
    return shorten(redact(label, extra_terms=[name.strip() for name in names if name.strip()]).text, IDEA_LABEL_CHARS)


def theme_figures(theme_id: int, *, start, end) -> dict:
    members = counted(in_theme(received_between(start, end), theme_id))
    total = members.count()
    ideas = distinct_ideas(members)
    return {
        "suggestions": total,
        "distinct_ideas": ideas,
        "merged": total - ideas,
        "supporters": supporters(members, start=start, end=end),
        "ideas": ideas_by_people(members, start=start, end=end),
        "campaigns": campaigns(members),
        "by_role": shares(members, "role"),
        "by_province": shares(members, "province"),
    }


def method_figures(theme_ids: list[int], *, start, end) -> dict:
    received = received_between(start, end)
    kept = counted(received)
    rejected = (
        received.filter(review__status=ReviewStatus.REJECTED)
        .values_list("review__reject_reason")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    reasons = dict(RejectReason.choices)
    by_reason = [{"key": key, "label": reasons.get(key, "بی‌دلیل ثبت‌شده"), "count": n} for key, n in rejected]
    total_counted = kept.count()
    ideas = distinct_ideas(kept)
    groups = (
        kept.filter(duplicate_group__isnull=False)
        .values("duplicate_group_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=2)
        .count()
    )
    in_report = kept.filter(theme_membership__theme_id__in=theme_ids).count()
    return {
        "received": received.count(),
        "rejected": sum(row["count"] for row in by_reason),
        "rejected_by_reason": by_reason,
        "counted": total_counted,
        "awaiting_review": kept.filter(Q(review__isnull=True) | Q(review__status__in=OPEN_STATUSES)).count(),
        "distinct_ideas": ideas,
        "merged": total_counted - ideas,
        "supporters": supporters(kept, start=start, end=end),
        "duplicate_groups": groups,
        "campaigns": campaigns(kept, described=True),
        "themes": len(theme_ids),
        "in_report_themes": in_report,
        "outside_report_themes": total_counted - in_report,
        "min_cell": MIN_CELL,
    }


def coverage_rows(theme_ids: list[int], *, start, end):
    """(suggestion id, theme id) for every counted suggestion in one of the report's themes."""
    members = counted(received_between(start, end)).filter(theme_membership__theme_id__in=theme_ids)
    return members.values_list("pk", "theme_membership__theme_id").iterator(chunk_size=5000)

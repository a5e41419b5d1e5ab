"""What the duplicate and theme boards read. Nothing here writes; nothing here returns contact details."""

from django.db.models import Count, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber

from review.boards.diff import changed_word_count, word_diff
from suggestions.models import DuplicateGroup, GroupKind, Idea, Suggestion, Support, Theme, ThemeMembership

# Only what a reviewer needs to compare texts; the Contact row is never joined.
MEMBER_FIELDS = ("pk", "title", "body", "normalized_text", "province", "role", "created_at", "duplicate_score")


def duplicate_groups(*, kind: str = "", sort: str = "size"):
    backers = (
        Support.objects.filter(idea__duplicate_group_id=OuterRef("pk")).order_by().values("idea__duplicate_group_id")
    )
    groups = (
        DuplicateGroup.objects.filter(size__gte=2)
        .select_related("canonical")
        # A support points at the suggestion that was canonical when it came: it counts for the whole group.
        .annotate(supporters=Coalesce(Subquery(backers.annotate(n=Count("browser", distinct=True)).values("n")), 0))
    )
    if kind:
        groups = groups.filter(kind=kind)
    if sort == "recent":
        return groups.order_by("-last_seen", "-pk")
    return groups.order_by("-size", "-last_seen", "-pk")


def group_counts_by_kind() -> dict[str, int]:
    rows = DuplicateGroup.objects.filter(size__gte=2).values_list("kind").annotate(n=Count("pk"))
    counts = dict.fromkeys(GroupKind.values, 0)
    counts.update(dict(rows))
    counts[""] = sum(counts.values())
    return counts


def members_of(group: DuplicateGroup):
    """Every member but the canonical one, in the order they arrived."""
    return (
        Suggestion.objects.filter(duplicate_group=group)
        .exclude(pk=group.canonical_id)
        .only(*MEMBER_FIELDS)
        .order_by("created_at", "pk")
    )


def shown_text(suggestion: Suggestion) -> str:
    # Before analysis there is no display form yet; the raw text is the best there is.
    return suggestion.normalized_text or f"{suggestion.title}\n{suggestion.body}"


def compared_with(canonical: Suggestion, members) -> list[dict]:
    base = shown_text(canonical)
    rows = []
    for member in members:
        segments = word_diff(base, shown_text(member))
        rows.append({"suggestion": member, "segments": segments, "changed": changed_word_count(segments)})
    return rows


def campaign_sample(group: DuplicateGroup, *, size: int = 8) -> list[Suggestion]:
    """Members spread evenly over the campaign's life, so the sample shows how it changed over time."""
    pks = list(
        Suggestion.objects.filter(duplicate_group=group).order_by("created_at", "pk").values_list("pk", flat=True)
    )
    if len(pks) > size:
        step = (len(pks) - 1) / (size - 1)
        pks = [pks[round(i * step)] for i in range(size)]
    found = Suggestion.objects.only(*MEMBER_FIELDS).in_bulk(pks)
    return [found[pk] for pk in pks if pk in found]


def campaign_provinces(group: DuplicateGroup) -> list[tuple[str, int]]:
    rows = (
        Suggestion.objects.filter(duplicate_group=group)
        .values_list("province")
        .annotate(n=Count("pk"))
        .order_by("-n", "province")
    )
    return list(rows)


def board_themes():
    """Active themes that hold suggestions, largest first."""
    return Theme.objects.filter(is_active=True, size__gt=0).order_by("-size", "pk")


def supporters_by_theme(theme_ids) -> dict[int, int]:
    """How many citizens backed ideas whose suggestion lies in each theme, each browser once (one query)."""
    rows = (
        Support.objects.filter(idea__theme_membership__theme_id__in=list(theme_ids))
        .values_list("idea__theme_membership__theme_id")
        .annotate(n=Count("browser", distinct=True))
        .order_by()
    )
    return dict(rows)


def theme_samples(themes, *, per_theme: int = 3) -> dict[int, list[Suggestion]]:
    """A few members of each theme in one query, canonical texts rather than copies of one text."""
    theme_ids = [theme.pk for theme in themes]
    if not theme_ids:
        return {}
    ranked = (
        ThemeMembership.objects.filter(theme_id__in=theme_ids)
        .filter(
            Q(suggestion__duplicate_group__isnull=True)
            | Q(suggestion__duplicate_group__canonical_id=F("suggestion_id"))
        )
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("theme_id")], order_by=[F("score").desc(), F("suggestion_id")])
        )
        .filter(rank__lte=per_theme)
        .select_related("suggestion")
        .only("theme_id", "suggestion__title", "suggestion__normalized_text", "suggestion__body")
    )
    samples: dict[int, list[Suggestion]] = {pk: [] for pk in theme_ids}
    for membership in ranked:
        samples[membership.theme_id].append(membership.suggestion)
    return samples


def theme_members(theme: Theme):
    return (
        Suggestion.objects.filter(theme_membership__theme=theme)
        .select_related("theme_membership")
        .only(*MEMBER_FIELDS, "duplicate_group_id", "theme_membership__source", "theme_membership__theme_id")
        .order_by("-theme_membership__score", "pk")
    )


# Ideas --------------------------------------------------------------------------------------------------


def theme_ideas(theme: Theme):
    """A theme's ideas, largest first, each with its supporters and people (`Idea.objects.with_people`)."""
    return Idea.objects.active().in_theme(theme).with_people().largest_first()


def top_ideas_by_theme(theme_ids, *, per_theme: int = 3) -> dict[int, list[Idea]]:
    """The largest few ideas of each theme, with their people, in one query."""
    theme_ids = list(theme_ids)
    if not theme_ids:
        return {}
    ranked = (
        Idea.objects.active()
        .filter(theme_id__in=theme_ids)
        .annotate(rank=Window(RowNumber(), partition_by=[F("theme_id")], order_by=[F("size").desc(), F("pk")]))
        .filter(rank__lte=per_theme)
        .with_people()
        .only("pk", "label", "size", "theme_id")
        .order_by("theme_id", "rank")
    )
    found: dict[int, list[Idea]] = {pk: [] for pk in theme_ids}
    for idea in ranked:
        found[idea.theme_id].append(idea)
    return found


def idea_wordings(idea: Idea):
    """An idea's texts once each: a suggestion alone, or the canonical text of a duplicate group (its copies
    counted in `copies`), largest group first."""
    return (
        Suggestion.objects.filter(idea=idea)
        .filter(Q(duplicate_group__isnull=True) | Q(duplicate_group__canonical_id=F("pk")))
        .annotate(copies=Coalesce(F("duplicate_group__size"), 1))
        .only(*MEMBER_FIELDS, "duplicate_group_id", "idea_by_reviewer")
        .order_by("-copies", "created_at", "pk")
    )


def ideas_to_merge_with(idea: Idea, *, limit: int = 200):
    """The other active ideas of the idea's theme, largest first: the ones it may be merged into."""
    return (
        Idea.objects.active()
        .in_theme(idea.theme)
        .exclude(pk=idea.pk)
        .largest_first()
        .only("pk", "label", "size")[:limit]
    )

"""Reviewer edits of duplicate groups and themes.

Every edit is keyword-only, typed and atomic, and writes its audit row in the same transaction. Bad input
raises BoardError with a Persian message before anything is written, so nothing changes. Audit rows hold
ids, sizes and theme labels only: never a suggestion's text or anything about who sent it."""

import logging
import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from portal.templatetags.persian import persian_digits
from review.audit import record_action
from review.models import AuditEntry, Review
from suggestions import analysis, pipeline
from suggestions.models import DuplicateGroup, SeparatePair, Suggestion, Theme, ThemeMembership
from suggestions.text import clean_user_text

logger = logging.getLogger(__name__)

LABEL_MAX = Theme._meta.get_field("label").max_length
KEYWORD_POOL = 2000  # members read to find a split theme's keywords
RECLUSTER_ACTION = "themes.recluster"


class BoardError(Exception):
    """A reviewer asked for something that cannot be done. The message is Persian and safe to show."""


# Duplicate groups ---------------------------------------------------------------------------------------


@transaction.atomic
def choose_canonical(*, group: DuplicateGroup, suggestion: Suggestion, actor) -> DuplicateGroup:
    """Make one member the group's canonical text; the others are compared, and scored, against it."""
    group = _locked_group(group)
    members = _member_ids(group)
    _require_member(suggestion, members)
    if group.canonical_id == suggestion.pk:
        raise BoardError("این پیشنهاد هم‌اکنون نمونهٔ اصلی گروه است.")
    before = {"canonical": group.canonical_id, "chosen_by_reviewer": group.canonical_chosen_by_reviewer}
    group.canonical_id = suggestion.pk
    group.canonical_chosen_by_reviewer = True
    group.save(update_fields=["canonical", "canonical_chosen_by_reviewer"])
    pipeline.rescore_group(group, members)
    pipeline.refresh_group(group)
    record_action(
        actor=actor,
        action="duplicates.choose_canonical",
        target=group,
        before=before,
        after={"canonical": suggestion.pk, "chosen_by_reviewer": True},
    )
    group.refresh_from_db()
    return group


@transaction.atomic
def split_member(*, group: DuplicateGroup, suggestion: Suggestion, actor) -> DuplicateGroup | None:
    """Take one member out of its group. Returns the group, or None when too few were left to keep it."""
    group = _locked_group(group)
    members = _member_ids(group)
    _require_member(suggestion, members)
    before = {"group": group.pk, "canonical": group.canonical_id, "size": len(members)}
    remaining = pipeline.leave_group(suggestion)
    record_action(
        actor=actor,
        action="duplicates.split_member",
        target=suggestion,
        before=before,
        after={"group": None, "group_kept": remaining is not None},
    )
    return remaining


@transaction.atomic
def mark_not_duplicate(*, group: DuplicateGroup, suggestion: Suggestion, actor) -> DuplicateGroup | None:
    """Take a member out and remember it differs from every other member, so the analysis never merges
    any of those pairs again. Returns the group, or None when too few were left to keep it."""
    group = _locked_group(group)
    members = _member_ids(group)
    _require_member(suggestion, members)
    others = [pk for pk in members if pk != suggestion.pk]
    SeparatePair.objects.bulk_create(
        [SeparatePair(first_id=min(pk, suggestion.pk), second_id=max(pk, suggestion.pk)) for pk in others],
        ignore_conflicts=True,  # a pair separated before stays one row
        batch_size=1000,
    )
    before = {"group": group.pk, "canonical": group.canonical_id, "size": len(members)}
    remaining = pipeline.leave_group(suggestion)
    record_action(
        actor=actor,
        action="duplicates.not_duplicate",
        target=suggestion,
        before=before,
        after={"group": None, "group_kept": remaining is not None, "separated_pairs": len(others)},
    )
    return remaining


def _locked_group(group: DuplicateGroup) -> DuplicateGroup:
    locked = DuplicateGroup.objects.select_for_update().filter(pk=group.pk).first()
    if locked is None:
        raise BoardError("این گروه دیگر وجود ندارد؛ شاید کارشناس دیگری آن را از هم جدا کرده است.")
    return locked


def _member_ids(group: DuplicateGroup) -> list[int]:
    members = Suggestion.objects.filter(duplicate_group=group).order_by("created_at", "pk")
    return list(members.values_list("pk", flat=True))


def _require_member(suggestion: Suggestion, member_ids: list[int]) -> None:
    if suggestion.pk not in member_ids:
        raise BoardError("این پیشنهاد عضو این گروه نیست.")


# Themes -------------------------------------------------------------------------------------------------


@transaction.atomic
def rename_theme(*, theme: Theme, label: str, actor) -> Theme:
    """Give a theme a reviewer's label; re-clustering keeps it from then on."""
    label = _clean_label(label)
    theme = _locked_themes(theme)[0]
    before = {"label": theme.label, "label_edited": theme.label_edited}
    theme.label = label
    theme.label_edited = True
    theme.save(update_fields=["label", "label_edited", "updated_at"])
    record_action(
        actor=actor, action="themes.rename", target=theme, before=before, after={"label": label, "label_edited": True}
    )
    return theme


@transaction.atomic
def merge_themes(*, source: Theme, target: Theme, actor) -> Theme:
    """Move every member of `source` into `target` and retire `source`. Returns the target.

    Every member of the merged theme becomes a reviewer placement: otherwise the next re-clustering would
    pull the two halves apart again into the clusters they came from."""
    if source.pk == target.pk:
        raise BoardError("یک محور را نمی‌توان با خودش ادغام کرد؛ محور دیگری را برگزینید.")
    source, target = _locked_themes(source, target)
    before = {"source": source.pk, "source_label": source.label, "source_size": source.size, "size": target.size}
    now = timezone.now()
    moved = ThemeMembership.objects.filter(theme=source).update(
        theme=target, source=ThemeMembership.Source.REVIEWER, assigned_at=now
    )
    ThemeMembership.objects.filter(theme=target).update(source=ThemeMembership.Source.REVIEWER)
    # A decision «accepted into this theme» follows its suggestion rather than point at a retired theme.
    Review.objects.filter(theme=source).update(theme=target)
    source.is_active = False
    source.size = 0
    source.save(update_fields=["is_active", "size", "updated_at"])
    pipeline.recount_theme(target.pk)
    target.refresh_from_db()
    record_action(
        actor=actor,
        action="themes.merge",
        target=target,
        before=before,
        after={"source": source.pk, "source_active": False, "moved": moved, "size": target.size},
    )
    return target


@transaction.atomic
def move_to_theme(*, suggestions: Iterable[Suggestion], to_theme: Theme, actor, from_theme: Theme | None = None) -> int:
    """Place suggestions in a theme as a reviewer, which re-clustering never overrides. With `from_theme`,
    every suggestion must be in that theme now. Returns how many moved; a theme left empty is retired."""
    ids = sorted({suggestion.pk for suggestion in suggestions})
    if not ids:
        raise BoardError("هیچ پیشنهادی انتخاب نشده است.")
    if from_theme is not None and from_theme.pk == to_theme.pk:
        raise BoardError("محور مقصد همان محور کنونی است؛ محور دیگری را برگزینید.")
    to_theme = _locked_themes(to_theme)[0]
    current = dict(
        ThemeMembership.objects.select_for_update()
        .filter(suggestion_id__in=ids)
        .values_list("suggestion_id", "theme_id")
    )
    if from_theme is not None and any(current.get(pk) != from_theme.pk for pk in ids):
        raise BoardError("برخی از پیشنهادهای انتخاب‌شده در این محور نیستند؛ صفحه را تازه کنید.")
    if all(current.get(pk) == to_theme.pk for pk in ids):
        raise BoardError("پیشنهادهای انتخاب‌شده هم‌اکنون در همین محور هستند.")
    pipeline.pin_to_theme(ids, to_theme, retire_emptied=True)
    _follow_in_reviews(ids, to_theme)
    for pk in ids:
        record_action(
            actor=actor,
            action="themes.move",
            target=Suggestion(pk=pk),
            before={"theme": current.get(pk)},
            after={"theme": to_theme.pk},
        )
    return len(ids)


@transaction.atomic
def split_theme(*, theme: Theme, suggestions: Iterable[Suggestion], label: str, actor) -> Theme:
    """Move some members of a theme into a new theme with a reviewer's label. Returns the new theme."""
    label = _clean_label(label)
    ids = sorted({suggestion.pk for suggestion in suggestions})
    if not ids:
        raise BoardError("هیچ پیشنهادی انتخاب نشده است.")
    theme = _locked_themes(theme)[0]
    members = set(ThemeMembership.objects.filter(theme=theme).values_list("suggestion_id", flat=True))
    if not members.issuperset(ids):
        raise BoardError("برخی از پیشنهادهای انتخاب‌شده عضو این محور نیستند؛ صفحه را تازه کنید.")
    if members.issubset(ids):
        raise BoardError("دست‌کم یک پیشنهاد باید در محور بماند؛ برای عوض کردن عنوان از «تغییر عنوان» استفاده کنید.")
    new_theme = Theme.objects.create(
        label=label, label_edited=True, keywords=_split_keywords(members, set(ids)), version=theme.version
    )
    ThemeMembership.objects.filter(suggestion_id__in=ids).update(
        theme=new_theme, source=ThemeMembership.Source.REVIEWER, assigned_at=timezone.now()
    )
    _follow_in_reviews(ids, new_theme)
    pipeline.recount_theme(theme.pk)
    pipeline.recount_theme(new_theme.pk)
    new_theme.refresh_from_db()
    record_action(
        actor=actor,
        action="themes.split",
        target=new_theme,
        before={"theme": theme.pk, "size": len(members)},
        after={"theme": new_theme.pk, "label": label, "moved": len(ids), "size": len(members) - len(ids)},
    )
    return new_theme


def _clean_label(label: str) -> str:
    # The same cleaning as citizens' text: bidi controls would reorder the label wherever it is shown.
    label = " ".join(clean_user_text(label).split())
    if not label:
        raise BoardError("عنوان محور نمی‌تواند خالی باشد.")
    if len(label) > LABEL_MAX:
        raise BoardError(f"عنوان محور باید حداکثر {persian_digits(LABEL_MAX)} نویسه باشد.")
    return label


def _locked_themes(*themes: Theme) -> list[Theme]:
    """The themes, locked in id order so two reviewers merging the same pair cannot deadlock; all active."""
    ids = [theme.pk for theme in themes]
    found = Theme.objects.select_for_update().in_bulk(sorted(ids))
    if any(pk not in found or not found[pk].is_active for pk in ids):
        raise BoardError("این محور دیگر فعال نیست؛ شاید ادغام شده است. صفحه را تازه کنید.")
    return [found[pk] for pk in ids]


def _follow_in_reviews(suggestion_ids: list[int], theme: Theme) -> None:
    """Suggestions accepted into a theme are now accepted into the one a reviewer moved them to."""
    Review.objects.filter(suggestion_id__in=suggestion_ids, theme__isnull=False).update(theme=theme)


def _split_keywords(members: set[int], chosen: set[int]) -> list[str]:
    """The words that set the chosen suggestions apart from the rest of their theme."""
    rest = sorted(members - chosen, reverse=True)[:KEYWORD_POOL]
    read = [*sorted(chosen)[:KEYWORD_POOL], *rest]
    texts = dict(Suggestion.objects.filter(pk__in=read).values_list("pk", "normalized_text"))
    labels = [1 if pk in chosen else 0 for pk in texts]
    if not any(labels) or all(labels):
        return []
    _, keywords = analysis.label_themes(labels, list(texts.values()))
    return keywords[1]


# Re-clustering ------------------------------------------------------------------------------------------


def recluster_failed_key(task_id: str) -> str:
    return f"boards:recluster-not-queued:{task_id}"


@transaction.atomic
def start_reclustering(*, actor) -> str:
    """Queue a re-clustering of every theme once this transaction commits. Returns the task id, which is all
    the progress page needs. The audit row names the task, since no theme is its object yet."""
    task_id = str(uuid.uuid4())
    record_action(actor=actor, action=RECLUSTER_ACTION, target=actor, after={"task_id": task_id})
    transaction.on_commit(lambda: _enqueue_reclustering(task_id))
    return task_id


def _enqueue_reclustering(task_id: str) -> None:
    from suggestions.tasks import recluster_themes

    try:
        recluster_themes.apply_async(task_id=task_id, retry=False)
    except Exception as exc:
        # The broker is down: say so on the progress page rather than leave it waiting forever.
        cache.set(recluster_failed_key(task_id), True, timeout=24 * 3600)
        logger.warning("Could not queue re-clustering %s (%s: %s)", task_id, exc.__class__.__name__, exc)


def was_started(task_id: str) -> bool:
    """Whether this portal started a re-clustering with this id (the audit log remembers every one)."""
    return AuditEntry.objects.filter(action=RECLUSTER_ACTION, after__task_id=task_id).exists()

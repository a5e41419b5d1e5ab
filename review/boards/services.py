"""Reviewer edits of duplicate groups, ideas and themes.

Every edit is keyword-only, typed and atomic, and writes its audit row in the same transaction. Bad input
raises BoardError with a Persian message before anything is written, so nothing changes. Audit rows hold
ids, sizes and theme labels only: never a suggestion's text or anything about who sent it."""

import uuid
from collections.abc import Iterable
from contextlib import contextmanager
from functools import partial

from django.core.cache import cache
from django.db import transaction

from common.errors import Refused
from common.persian import persian_digits
from common.queue import enqueue_on_commit
from review.audit import record_action
from review.models import AuditEntry, Review
from suggestions import analysis, grouping
from suggestions.models import DuplicateGroup, Idea, Suggestion, Theme, ThemeMembership
from suggestions.text import clean_user_text

LABEL_MAX = Theme._meta.get_field("label").max_length
KEYWORD_POOL = 2000  # members read to find a split theme's keywords
RECLUSTER_ACTION = "themes.recluster"


class BoardError(Refused):
    """A reviewer asked for something that cannot be done. The message is Persian and safe to show."""


@contextmanager
def _refused_as_board_error():
    """The grouping verbs refuse in Persian; the boards show their words as they are."""
    try:
        yield
    except grouping.GroupingError as exc:
        raise BoardError(str(exc)) from exc


# Duplicate groups ---------------------------------------------------------------------------------------


@transaction.atomic
def choose_canonical(*, group: DuplicateGroup, suggestion: Suggestion, actor) -> DuplicateGroup:
    """Make one member the group's canonical text; the others are compared, and scored, against it."""
    with _refused_as_board_error():
        locked = grouping.locked_duplicate_group(group.pk)
        before = {"canonical": locked.canonical_id, "chosen_by_reviewer": locked.canonical_chosen_by_reviewer}
        group = grouping.choose_canonical(group=locked, suggestion=suggestion)
    record_action(
        actor=actor,
        action="duplicates.choose_canonical",
        target=group,
        before=before,
        after={"canonical": suggestion.pk, "chosen_by_reviewer": True},
    )
    return group


@transaction.atomic
def split_member(*, group: DuplicateGroup, suggestion: Suggestion, actor) -> DuplicateGroup | None:
    """Take one member out of its group. Returns the group, or None when too few were left to keep it."""
    with _refused_as_board_error():
        before = _group_facts(group)
        remaining = grouping.leave_duplicate_group(suggestion=suggestion, group=group)
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
    with _refused_as_board_error():
        before = _group_facts(group)
        remaining, separated = grouping.mark_separate(group=group, suggestion=suggestion)
    record_action(
        actor=actor,
        action="duplicates.not_duplicate",
        target=suggestion,
        before=before,
        after={"group": None, "group_kept": remaining is not None, "separated_pairs": separated},
    )
    return remaining


def _group_facts(group: DuplicateGroup) -> dict:
    """What the audit row says of a group before a change, read with the group locked."""
    locked = grouping.locked_duplicate_group(group.pk)
    return {"group": locked.pk, "canonical": locked.canonical_id, "size": len(grouping.member_ids(locked.pk))}


# Themes -------------------------------------------------------------------------------------------------


@transaction.atomic
def rename_theme(*, theme: Theme, label: str, actor) -> Theme:
    """Give a theme a reviewer's label; re-clustering keeps it from then on."""
    label = _clean_label(label)
    with _refused_as_board_error():
        (locked,) = grouping.locked_active_themes(theme.pk)
        before = {"label": locked.label, "label_edited": locked.label_edited}
        theme = grouping.rename_theme(theme=locked, label=label)
    record_action(
        actor=actor, action="themes.rename", target=theme, before=before, after={"label": label, "label_edited": True}
    )
    return theme


@transaction.atomic
def merge_themes(*, source: Theme, target: Theme, actor) -> Theme:
    """Move every member of `source` into `target` and retire `source`; a decision accepting a suggestion into
    `source` follows it. Returns the target."""
    with _refused_as_board_error():
        source, target = grouping.locked_active_themes(source.pk, target.pk)
        before = {"source": source.pk, "source_label": source.label, "source_size": source.size, "size": target.size}
        moved = grouping.merge_themes(source=source, target=target)
    # A decision «accepted into this theme» follows its suggestion rather than point at a retired theme.
    Review.objects.filter(theme=source).update(theme=target)
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
    with _refused_as_board_error():
        (to_theme,) = grouping.locked_active_themes(to_theme.pk)
    current = dict(
        ThemeMembership.objects.select_for_update()
        .filter(suggestion_id__in=ids)
        .values_list("suggestion_id", "theme_id")
    )
    if from_theme is not None and any(current.get(pk) != from_theme.pk for pk in ids):
        raise BoardError("برخی از پیشنهادهای انتخاب‌شده در این محور نیستند؛ صفحه را تازه کنید.")
    if all(current.get(pk) == to_theme.pk for pk in ids):
        raise BoardError("پیشنهادهای انتخاب‌شده هم‌اکنون در همین محور هستند.")
    with _refused_as_board_error():
        grouping.move_to_theme(suggestion_ids=ids, theme=to_theme, retire_emptied=True)
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
    with _refused_as_board_error():
        (theme,) = grouping.locked_active_themes(theme.pk)
        members = set(ThemeMembership.objects.filter(theme=theme).values_list("suggestion_id", flat=True))
        keywords = _split_keywords(members, set(ids)) if members.issuperset(ids) else []
        new_theme = grouping.split_theme(theme=theme, suggestion_ids=ids, label=label, keywords=keywords)
    _follow_in_reviews(ids, new_theme)
    record_action(
        actor=actor,
        action="themes.split",
        target=new_theme,
        before={"theme": theme.pk, "size": len(members)},
        after={"theme": new_theme.pk, "label": label, "moved": len(ids), "size": len(members) - len(ids)},
    )
    return new_theme


def _clean_label(label: str, *, of: str = "محور", limit: int = LABEL_MAX) -> str:
    # The same cleaning as citizens' text: bidi controls would reorder the label wherever it is shown.
    label = " ".join(clean_user_text(label).split())
    if not label:
        raise BoardError(f"عنوان {of} نمی‌تواند خالی باشد.")
    if len(label) > limit:
        raise BoardError(f"عنوان {of} باید حداکثر {persian_digits(limit)} نویسه باشد.")
    return label


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


# Ideas --------------------------------------------------------------------------------------------------


@transaction.atomic
def merge_ideas(*, source: Idea, target: Idea, actor) -> Idea:
    """Put every suggestion of `source` in `target` (same theme) and retire `source`; re-clustering keeps the
    merged idea whole. Returns the target."""
    with _refused_as_board_error():
        source, target = grouping.locked_active_ideas(source.pk, target.pk)
        before = {
            "source_idea": source.pk,
            "source_idea_label": source.label,
            "source_idea_size": source.size,
            "size": target.size,
        }
        target, moved = grouping.merge_ideas(source=source, target=target)
    record_action(
        actor=actor,
        action="ideas.merge",
        target=target,
        before=before,
        after={"source_idea": source.pk, "source_idea_active": False, "moved": moved, "size": target.size},
    )
    return target


@transaction.atomic
def split_idea(*, idea: Idea, suggestions: Iterable[Suggestion], label: str, actor) -> Idea:
    """Put the chosen suggestions (each with its copies) in a new idea of the same theme, with a reviewer's
    label; re-clustering keeps the two apart. Returns the new idea."""
    label = _clean_label(label, of="ایده", limit=grouping.IDEA_LABEL_MAX)
    ids = sorted({suggestion.pk for suggestion in suggestions})
    with _refused_as_board_error():
        (idea,) = grouping.locked_active_ideas(idea.pk)
        size = idea.size
        new_idea = grouping.split_idea(idea=idea, suggestion_ids=ids, label=label)
    record_action(
        actor=actor,
        action="ideas.split",
        target=new_idea,
        before={"idea": idea.pk, "size": size},
        after={"idea": new_idea.pk, "label": label, "moved": new_idea.size, "size": size - new_idea.size},
    )
    return new_idea


@transaction.atomic
def move_idea_to_theme(*, idea: Idea, theme: Theme, actor) -> Idea:
    """Place every suggestion of an idea in another theme as a reviewer; a theme left empty is retired, and a
    decision accepting one of them into a theme follows it."""
    with _refused_as_board_error():
        (theme,) = grouping.locked_active_themes(theme.pk)
        (locked,) = grouping.locked_active_ideas(idea.pk)
        before = {"theme": locked.theme_id, "size": locked.size}
        idea = grouping.move_idea_to_theme(idea=locked, theme=theme)
    _follow_in_reviews(list(Suggestion.objects.filter(idea=idea).values_list("pk", flat=True)), theme)
    record_action(
        actor=actor, action="ideas.move", target=idea, before=before, after={"theme": theme.pk, "size": idea.size}
    )
    return idea


# Re-clustering ------------------------------------------------------------------------------------------


def recluster_failed_key(task_id: str) -> str:
    return f"boards:recluster-not-queued:{task_id}"


@transaction.atomic
def start_reclustering(*, actor) -> str:
    """Queue a re-clustering of every theme once this transaction commits. Returns the task id, which is all
    the progress page needs. The audit row names the task, since no theme is its object yet."""
    task_id = str(uuid.uuid4())
    record_action(actor=actor, action=RECLUSTER_ACTION, target=actor, after={"task_id": task_id})
    from suggestions.tasks import recluster_themes

    enqueue_on_commit(recluster_themes, task_id=task_id, on_failure=partial(_reclustering_refused, task_id))
    return task_id


def _reclustering_refused(task_id: str, exc: Exception) -> None:
    # The broker is down: say so on the progress page rather than leave it waiting forever.
    cache.set(recluster_failed_key(task_id), True, timeout=24 * 3600)


def was_started(task_id: str) -> bool:
    """Whether this portal started a re-clustering with this id (the audit log remembers every one)."""
    return AuditEntry.objects.filter(action=RECLUSTER_ACTION, after__task_id=task_id).exists()

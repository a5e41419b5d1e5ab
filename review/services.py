"""Writes of the review workspace. Each is keyword-only, typed and atomic, and writes its audit row in the
same transaction, so the log never claims what did not happen."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from common.errors import Refused
from common.persian import TO_PERSIAN, jalali_datetime, persian_number
from common.queue import enqueue_rollback_unsafe
from review import queries
from review.audit import record_action
from review.models import OPEN_STATUSES, Assignment, Recusal, RejectReason, Review, ReviewStatus
from review.queries import QueueQuerySet
from review.roles import EDITOR_ROLES, REVIEW_ROLES, has_role
from suggestions import grouping
from suggestions.choices import State
from suggestions.models import Suggestion, Theme, ThemeMembership

MAX_TAGS = 10


class ReviewError(Refused):
    """A request that cannot be carried out; the message is Persian and shown as it is."""


class ReviewConflict(ReviewError):
    """Someone else decided or holds the suggestion; nothing was changed."""


def _locked_review(suggestion: Suggestion) -> Review:
    """The suggestion's review, created on first use and locked until the transaction ends."""
    Review.objects.bulk_create([Review(suggestion=suggestion)], ignore_conflicts=True)
    return (
        Review.objects.select_for_update(of=("self",)).select_related("claimed_by", "decided_by").get(pk=suggestion.pk)
    )


def _check_can_decide(review: Review, *, reviewer, version: int | None) -> None:
    if not Suggestion.objects.filter(pk=review.pk, state=State.ANALYZED).exists():
        raise ReviewError("این پیشنهاد هنوز تحلیل نشده است و نمی‌توان دربارهٔ آن تصمیم گرفت.")
    if Recusal.objects.filter(suggestion_id=review.pk, reviewer=reviewer).exists():
        raise ReviewConflict("شما از بررسی این پیشنهاد کناره گرفته‌اید؛ بررسی آن با همکاران دیگر است.")
    if version is not None and version != review.version:
        who = review.decided_by.get_username() if review.decided_by else "همکار دیگری"
        when = jalali_datetime(review.decided_at) if review.decided_at else ""
        raise ReviewConflict(
            f"«{who}» این پیشنهاد را {when} بررسی کرده و وضعیت آن اکنون «{review.get_status_display()}» است. "
            "تصمیم شما ثبت نشد؛ صفحه را دوباره ببینید و اگر لازم است تصمیم را تغییر دهید."
        )
    holder = review.claim_holder()
    if holder is not None and holder.pk != reviewer.pk:
        raise ReviewConflict(
            f"این پیشنهاد تا {jalali_datetime(review.claim_expires_at)} در دست «{holder.get_username()}» است. "
            "تصمیم شما ثبت نشد."
        )


def _apply_decision(review: Review, *, reviewer, at, **changes) -> None:
    """A decision replaces the previous one whole (reason, note, duplicate, theme) and ends the claim."""
    review.reject_reason = ""
    review.decision_note = ""
    review.duplicate_of = None
    review.theme = None
    for name, value in changes.items():
        setattr(review, name, value)
    review.decided_by = reviewer
    review.decided_at = at
    review.claimed_by = None
    review.claim_expires_at = None
    review.version += 1


# Seconds a burst of decisions waits for one recount of the counts beside the queue's filters.
RECOUNT_AFTER_SECONDS = 15


def _counts_changed() -> None:
    """Decisions move suggestions between the counts beside the queue's filters. After the commit, ask for
    one recount in RECOUNT_AFTER_SECONDS, however many reviewers decide meanwhile: the shared cache holds the
    request, so every process sees the same counts a few seconds after the database does."""
    transaction.on_commit(_recount_soon)


def _recount_soon() -> None:
    from review.tasks import refresh_counts

    if not cache.add("review:recount-asked", 1, timeout=RECOUNT_AFTER_SECONDS):
        return  # one is on its way
    # Already after the commit. A broker that is down is logged: the periodic recount comes all the same.
    enqueue_rollback_unsafe(refresh_counts, countdown=RECOUNT_AFTER_SECONDS)


def _close_assignments(suggestion_ids: list[int], *, at, reason: str, reviewer=None) -> int:
    """Close the open assignments of these suggestions (only `reviewer`'s, when given): they leave the load."""
    still_open = Assignment.objects.still_open().filter(suggestion_id__in=suggestion_ids)
    if reviewer is not None:
        still_open = still_open.filter(reviewer=reviewer)
    return still_open.update(closed_at=at, closed_reason=reason)


def _decide(*, suggestion: Suggestion, reviewer, version: int | None, action: str, **changes) -> Review:
    review = _locked_review(suggestion)
    _check_can_decide(review, reviewer=reviewer, version=version)
    before = review.facts()
    now = timezone.now()
    _apply_decision(review, reviewer=reviewer, at=now, **changes)
    review.save()
    _close_assignments([review.pk], at=now, reason=Assignment.Closed.DECIDED)
    _counts_changed()
    record_action(actor=reviewer, action=action, target=suggestion, before=before, after=review.facts())
    return review


@transaction.atomic
def claim_next_suggestion(*, reviewer, queue: QueueQuerySet) -> Suggestion | None:
    """Claim for REVIEW_CLAIM_MINUTES the oldest unclaimed suggestion of a filtered queue that an editor
    assigned to this reviewer; when none is left, the oldest one assigned to nobody else. Rows another
    reviewer is claiming right now are skipped, not waited for, so two reviewers never get the same one."""
    now = timezone.now()
    claimable = queue.claimable_by(reviewer, now=now)
    assigned_to_others = Assignment.objects.still_open().exclude(reviewer=reviewer).values("suggestion_id")
    for candidates in (claimable.assigned_to(reviewer), claimable.exclude(pk__in=assigned_to_others)):
        suggestion = _claim_oldest(candidates, reviewer=reviewer, now=now)
        if suggestion is not None:
            return suggestion
    return None


def _claim_oldest(queue: QueueQuerySet, *, reviewer, now) -> Suggestion | None:
    candidates = (
        queue.select_related(None)
        .oldest_first()
        .select_for_update(skip_locked=True, of=("self",))
        .only("pk", "created_at")
    )
    passed = []
    for _ in range(5):
        suggestion = candidates.exclude(pk__in=passed).first()
        if suggestion is None:
            return None
        review = _locked_review(suggestion)
        if review.claim_holder(now=now) is not None or not review.is_open:
            # Claimed or decided by a reviewer who committed after this query's snapshot: take the next one.
            passed.append(suggestion.pk)
            continue
        review.claimed_by = reviewer
        review.claim_expires_at = now + timedelta(minutes=settings.REVIEW_CLAIM_MINUTES)
        review.save(update_fields=["claimed_by", "claim_expires_at", "updated_at"])
        record_action(
            actor=reviewer, action="claim", target=suggestion, after={"until": review.claim_expires_at.isoformat()}
        )
        return suggestion
    return None


@transaction.atomic
def release_claim(*, suggestion: Suggestion, reviewer) -> bool:
    released = Review.objects.filter(pk=suggestion.pk, claimed_by=reviewer).update(
        claimed_by=None, claim_expires_at=None, updated_at=timezone.now()
    )
    if released:
        record_action(actor=reviewer, action="release", target=suggestion)
    return bool(released)


@transaction.atomic
def accept_suggestion(*, suggestion: Suggestion, reviewer, theme: Theme, version: int | None) -> Review:
    review = _decide(
        suggestion=suggestion,
        reviewer=reviewer,
        version=version,
        action="accept",
        status=ReviewStatus.ACCEPTED,
        theme=theme,
    )
    try:
        grouping.move_to_theme(suggestion_ids=[suggestion.pk], theme=theme)
    except grouping.GroupingError as exc:
        raise ReviewError(str(exc)) from exc
    return review


@transaction.atomic
def reject_suggestion(*, suggestion: Suggestion, reviewer, reason: str, note: str = "", version: int | None) -> Review:
    if reason not in RejectReason.values:
        raise ReviewError("دلیل رد را از فهرست انتخاب کنید.")
    if reason == RejectReason.OTHER and not note.strip():
        raise ReviewError("برای «دلیل دیگر» توضیح کوتاهی بنویسید.")
    return _decide(
        suggestion=suggestion,
        reviewer=reviewer,
        version=version,
        action="reject",
        status=ReviewStatus.REJECTED,
        reject_reason=reason,
        decision_note=note.strip(),
    )


@transaction.atomic
def mark_duplicate(*, suggestion: Suggestion, reviewer, original: Suggestion, version: int | None) -> Review:
    """Mark a suggestion as a duplicate of another and put it in the other's duplicate group (made if the
    other has none), then recount the groups it left and joined."""
    if original.pk == suggestion.pk:
        raise ReviewError("یک پیشنهاد نمی‌تواند تکراریِ خودش باشد.")
    if original.state != State.ANALYZED:
        raise ReviewError("پیشنهاد اصلی هنوز تحلیل نشده است.")
    review = _decide(
        suggestion=suggestion,
        reviewer=reviewer,
        version=version,
        action="mark_duplicate",
        status=ReviewStatus.DUPLICATE,
        duplicate_of=original,
    )
    try:
        grouping.join_duplicate_group(suggestion=suggestion, original=original, by_reviewer=True)
    except grouping.GroupingError as exc:
        raise ReviewError(str(exc)) from exc  # the decision above is rolled back with it
    return review


@transaction.atomic
def mark_follow_up(*, suggestion: Suggestion, reviewer, note: str = "", version: int | None) -> Review:
    return _decide(
        suggestion=suggestion,
        reviewer=reviewer,
        version=version,
        action="follow_up",
        status=ReviewStatus.FOLLOW_UP,
        decision_note=note.strip(),
    )


@transaction.atomic
def recuse_from_suggestion(*, suggestion: Suggestion, reviewer) -> Review:
    """Declare a conflict of interest: release the claim, and never hand this suggestion to this reviewer
    again. An undecided suggestion is marked recused so a colleague picks it up."""
    review = _locked_review(suggestion)
    before = review.facts()
    Recusal.objects.get_or_create(suggestion=suggestion, reviewer=reviewer)
    # An assignment to someone who may not review it would never be served: the editor sees it unassigned.
    _close_assignments([suggestion.pk], at=timezone.now(), reason=Assignment.Closed.RECUSED, reviewer=reviewer)
    if review.claimed_by_id == reviewer.pk:
        review.claimed_by = None
        review.claim_expires_at = None
    if review.status == ReviewStatus.PENDING:
        review.status = ReviewStatus.RECUSED
    review.save()
    record_action(actor=reviewer, action="recuse", target=suggestion, before=before, after=review.facts())
    _counts_changed()
    return review


def clean_tags(text: str) -> list[str]:
    tags = []
    for part in text.replace("،", ",").split(","):
        tag = " ".join(part.split())[:40]
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ReviewError(f"حداکثر {MAX_TAGS} برچسب می‌توان گذاشت.".translate(TO_PERSIAN))
    return tags


@transaction.atomic
def save_private_notes(*, suggestion: Suggestion, reviewer, notes: str, tags: list[str]) -> Review:
    """Notes stay inside the workspace. The audit row says that they changed, never what they say."""
    review = _locked_review(suggestion)
    before = {**review.facts(), "notes_length": len(review.private_notes)}
    review.private_notes = notes.strip()
    review.tags = tags
    review.save(update_fields=["private_notes", "tags", "updated_at"])
    after = {**review.facts(), "notes_length": len(review.private_notes)}
    record_action(actor=reviewer, action="notes", target=suggestion, before=before, after=after)
    return review


@transaction.atomic
def record_contact_view(*, suggestion: Suggestion, viewer) -> None:
    """Seeing a submitter's contact details is logged, though nothing of the details is."""
    record_action(actor=viewer, action="view_contact", target=suggestion)


# Bulk actions -------------------------------------------------------------------------------------------


@dataclass
class BulkResult:
    changed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def _bulk_targets(suggestion_ids: list[int], *, reviewer) -> tuple[list[Review], list[int]]:
    ids = sorted(set(suggestion_ids))
    if len(ids) > settings.REVIEW_BULK_LIMIT:
        limit = persian_number(settings.REVIEW_BULK_LIMIT)
        raise ReviewError(f"یک کار گروهی حداکثر {limit} پیشنهاد را تغییر می‌دهد؛ فیلترها را محدودتر کنید.")
    if not ids:
        raise ReviewError("هیچ پیشنهادی انتخاب نشده است.")
    now = timezone.now()
    usable = [
        review
        for review in _locked_reviews_not_recused(ids, reviewer=reviewer)
        if review.claimed_by_id in (None, reviewer.pk) or review.claim_expires_at <= now
    ]
    return usable, sorted(set(ids) - {review.pk for review in usable})


def _locked_reviews_not_recused(ids: list[int], *, reviewer) -> list[Review]:
    """The review rows of the analyzed suggestions among `ids`, made where missing and locked, leaving out those
    `reviewer` stepped back from."""
    analyzed = list(Suggestion.objects.filter(pk__in=ids, state=State.ANALYZED).values_list("pk", flat=True))
    Review.objects.bulk_create([Review(suggestion_id=pk) for pk in analyzed], ignore_conflicts=True)
    # Locked in id order, so two actions over overlapping selections take turns instead of deadlocking.
    reviews = list(Review.objects.select_for_update().filter(pk__in=analyzed).order_by("pk"))
    recused = set(
        Recusal.objects.filter(suggestion_id__in=analyzed, reviewer=reviewer).values_list("suggestion_id", flat=True)
    )
    return [review for review in reviews if review.pk not in recused]


def _bulk_decide(*, reviewer, reviews: list[Review], action: str, **changes) -> list[int]:
    now = timezone.now()
    changed = []
    for review in reviews:
        before = review.facts()
        _apply_decision(review, reviewer=reviewer, at=now, **changes)
        review.updated_at = now
        changed.append(review)
        record_action(
            actor=reviewer, action=action, target=Suggestion(pk=review.pk), before=before, after=review.facts()
        )
    Review.objects.bulk_update(
        changed,
        [
            "status",
            "reject_reason",
            "decision_note",
            "duplicate_of",
            "theme",
            "decided_by",
            "decided_at",
            "claimed_by",
            "claim_expires_at",
            "version",
            "updated_at",
        ],
        batch_size=500,
    )
    _close_assignments([review.pk for review in changed], at=now, reason=Assignment.Closed.DECIDED)
    if changed:
        _counts_changed()
    return [review.pk for review in changed]


@transaction.atomic
def bulk_reject_as_spam(*, suggestion_ids: list[int], reviewer) -> BulkResult:
    """Reject undecided suggestions as spam. Decided ones, and those a colleague holds, are left alone."""
    reviews, skipped = _bulk_targets(suggestion_ids, reviewer=reviewer)
    undecided = [review for review in reviews if review.status in OPEN_STATUSES]
    skipped += [review.pk for review in reviews if review.status not in OPEN_STATUSES]
    changed = _bulk_decide(
        reviewer=reviewer,
        reviews=undecided,
        action="bulk_reject_spam",
        status=ReviewStatus.REJECTED,
        reject_reason=RejectReason.SPAM,
    )
    return BulkResult(changed=changed, skipped=sorted(skipped))


@transaction.atomic
def bulk_mark_reviewed(*, suggestion_ids: list[int], reviewer) -> BulkResult:
    """Accept undecided suggestions as they stand, each into the theme the analysis gave it."""
    reviews, skipped = _bulk_targets(suggestion_ids, reviewer=reviewer)
    theme_of = dict(
        ThemeMembership.objects.filter(suggestion_id__in=[r.pk for r in reviews]).values_list(
            "suggestion_id", "theme_id"
        )
    )
    # Sorted before any is decided: a decision moves a review out of the open statuses.
    undecided = [review for review in reviews if review.status in OPEN_STATUSES]
    skipped += [review.pk for review in reviews if review.status not in OPEN_STATUSES]
    changed = []
    for theme_id in {theme_of.get(review.pk) for review in undecided}:
        batch = [review for review in undecided if theme_of.get(review.pk) == theme_id]
        changed += _bulk_decide(
            reviewer=reviewer,
            reviews=batch,
            action="bulk_mark_reviewed",
            status=ReviewStatus.ACCEPTED,
            theme_id=theme_id,
        )
    return BulkResult(changed=sorted(changed), skipped=sorted(skipped))


@transaction.atomic
def bulk_move_to_theme(*, suggestion_ids: list[int], reviewer, theme: Theme) -> BulkResult:
    """Move suggestions to a theme as a reviewer's placement; an accepted one is now accepted into it."""
    reviews, skipped = _bulk_targets(suggestion_ids, reviewer=reviewer)
    theme_of = dict(
        ThemeMembership.objects.filter(suggestion_id__in=[r.pk for r in reviews]).values_list(
            "suggestion_id", "theme_id"
        )
    )
    for review in reviews:
        before = {**review.facts(), "placed_in": theme_of.get(review.pk)}
        if review.status == ReviewStatus.ACCEPTED:
            review.theme = theme
        review.updated_at = timezone.now()
        record_action(
            actor=reviewer,
            action="bulk_move_theme",
            target=Suggestion(pk=review.pk),
            before=before,
            after={**review.facts(), "placed_in": theme.pk},
        )
    Review.objects.bulk_update(reviews, ["theme", "updated_at"], batch_size=500)
    if reviews:
        try:
            grouping.move_to_theme(suggestion_ids=[review.pk for review in reviews], theme=theme)
        except grouping.GroupingError as exc:
            raise ReviewError(str(exc)) from exc
    return BulkResult(changed=[review.pk for review in reviews], skipped=skipped)


# Assignment ---------------------------------------------------------------------------------------------


@dataclass
class AssignResult:
    assigned: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def _check_can_assign(*, editor, reviewer) -> None:
    if not has_role(editor, *EDITOR_ROLES):
        raise ReviewError("فقط ویراستاران پیشنهادها را به بررسی‌کنندگان می‌سپارند.")
    if reviewer is None or not has_role(reviewer, *REVIEW_ROLES):
        raise ReviewError("پیشنهاد را فقط به یکی از بررسی‌کنندگان می‌توان سپرد.")


@transaction.atomic
def assign_suggestions(*, suggestion_ids: list[int], reviewer, editor) -> AssignResult:
    """Hand undecided suggestions to a reviewer; one already with a colleague is handed over. Decided and
    unanalyzed ones, and those the reviewer stepped back from, are left as they are. One audit row each."""
    _check_can_assign(editor=editor, reviewer=reviewer)
    ids = sorted(set(suggestion_ids))
    if len(ids) > settings.REVIEW_BULK_LIMIT:
        limit = persian_number(settings.REVIEW_BULK_LIMIT)
        raise ReviewError(f"در هر بار حداکثر {limit} پیشنهاد را می‌توان سپرد؛ فیلترها را محدودتر کنید.")
    if not ids:
        raise ReviewError("هیچ پیشنهادی برای سپردن انتخاب نشده است.")
    # The review rows are the lock: two editors handing out overlapping selections take turns.
    targets = [review.pk for review in _locked_reviews_not_recused(ids, reviewer=reviewer) if review.is_open]
    current = {
        assignment.suggestion_id: assignment
        for assignment in Assignment.objects.still_open().filter(suggestion_id__in=targets).select_related("reviewer")
    }
    now = timezone.now()
    handed_over = [pk for pk, assignment in current.items() if assignment.reviewer_id != reviewer.pk]
    Assignment.objects.filter(pk__in=[current[pk].pk for pk in handed_over]).update(
        closed_at=now, closed_reason=Assignment.Closed.REASSIGNED
    )
    fresh = [pk for pk in targets if pk not in current or pk in handed_over]
    Assignment.objects.bulk_create(
        [Assignment(suggestion_id=pk, reviewer=reviewer, assigned_by=editor, assigned_at=now) for pk in fresh]
    )
    for pk in fresh:
        previous = current.get(pk)
        record_action(
            actor=editor,
            action="assign",
            target=Suggestion(pk=pk),
            before={"assigned_to": previous.reviewer.get_username() if previous else None},
            after={"assigned_to": reviewer.get_username()},
        )
    return AssignResult(assigned=targets, skipped=sorted(set(ids) - set(targets)))


@transaction.atomic
def withdraw_assignments(*, suggestion_ids: list[int], editor) -> list[int]:
    """Take back open assignments: the suggestions go back to whoever takes them next. One audit row each."""
    if not has_role(editor, *EDITOR_ROLES):
        raise ReviewError("فقط ویراستاران سپردن پیشنهادها را پس می‌گیرند.")
    ids = sorted(set(suggestion_ids))
    if not ids:
        raise ReviewError("هیچ پیشنهادی انتخاب نشده است.")
    if len(ids) > settings.REVIEW_BULK_LIMIT:
        raise ReviewError("در هر بار پیشنهادهای کمتری را انتخاب کنید؛ فیلترها را محدودتر کنید.")
    assignments = list(
        Assignment.objects.still_open()
        .filter(suggestion_id__in=ids)
        .select_related("reviewer")
        .select_for_update(of=("self",))
        .order_by("suggestion_id")
    )
    Assignment.objects.filter(pk__in=[a.pk for a in assignments]).update(
        closed_at=timezone.now(), closed_reason=Assignment.Closed.WITHDRAWN
    )
    for assignment in assignments:
        record_action(
            actor=editor,
            action="unassign",
            target=Suggestion(pk=assignment.suggestion_id),
            before={"assigned_to": assignment.reviewer.get_username()},
            after={"assigned_to": None},
        )
    return [assignment.suggestion_id for assignment in assignments]


def assign_theme(*, theme: Theme, reviewer, editor) -> AssignResult:
    """Hand a reviewer every undecided suggestion of a theme, up to REVIEW_BULK_LIMIT."""
    _check_can_assign(editor=editor, reviewer=reviewer)
    ids = list(
        queries.queue()
        .awaiting_review()
        .in_theme(theme.pk)
        .oldest_first()
        .values_list("pk", flat=True)[: settings.REVIEW_BULK_LIMIT + 1]
    )
    if not ids:
        raise ReviewError(f"در محور «{theme.label}» پیشنهاد بررسی‌نشده‌ای نمانده است.")
    return assign_suggestions(suggestion_ids=ids, reviewer=reviewer, editor=editor)

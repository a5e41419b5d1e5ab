"""Writes to suggestions. Each is keyword-only, typed and atomic; enqueueing happens after commit."""

import logging
import uuid
from functools import partial

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, PositiveSmallIntegerField, Q, When
from django.utils import timezone

from common.queue import enqueue_on_commit, enqueue_rollback_unsafe
from suggestions import pipeline, semantic
from suggestions.choices import State
from suggestions.models import Contact, Suggestion, SuggestionEmbedding, Support, Topic
from suggestions.tracking import new_tracking_code

logger = logging.getLogger(__name__)


def _analysis_refused(suggestion_id: int, exc: Exception) -> None:
    # The broker is down: the sweeper sends these first once it is back.
    Suggestion.objects.filter(pk=suggestion_id, state=State.RECEIVED).update(awaiting_enqueue=True)


def enqueue_analysis(suggestion_id: int) -> bool:
    """Queue the analysis now, as the sweeper does; a broker that is down leaves it to the next sweep."""
    from suggestions.tasks import analyze_suggestion

    return enqueue_rollback_unsafe(
        analyze_suggestion, suggestion_id, on_failure=partial(_analysis_refused, suggestion_id)
    )


class IdempotencyKeyReused(Exception):
    """A form's key came back with content other than what was stored under it. Nothing new was stored."""

    def __init__(self, earlier: Suggestion):
        super().__init__(f"idempotency key of suggestion {earlier.pk} reused with different content")
        self.earlier = earlier


def _same_submission(earlier: Suggestion, fields: dict, contact: dict | None) -> bool:
    mine = (fields["role"], fields["province"], fields["topic"].pk, fields["title"], fields["body"])
    if mine != (earlier.role, earlier.province, earlier.topic_id, earlier.title, earlier.body):
        return False
    stored = Contact.objects.filter(suggestion=earlier).values("name", "email", "phone").first()
    asked = {key: contact[key] for key in ("name", "email", "phone")} if contact else None
    return stored == asked


def submit_suggestion(
    *,
    role: str,
    province: str,
    topic: Topic,
    title: str,
    body: str,
    name: str = "",
    email: str = "",
    phone: str = "",
    consent: bool = False,
    ip_hash: str = "",
    idempotency_key: uuid.UUID | None = None,
    source: str = "web",
) -> Suggestion:
    """Store a suggestion with its contact details in one transaction. The same idempotency key with the same
    content (a double click) returns the first suggestion instead of making a second one; with other content it
    raises IdempotencyKeyReused, so that the new text is neither stored under the old receipt nor dropped."""
    fields = {
        "role": role,
        "province": province,
        "topic": topic,
        "title": title,
        "body": body,
        "ip_hash": ip_hash,
        "idempotency_key": idempotency_key,
        "source": source,
    }
    contact = None
    if name or email or phone:
        contact = {"name": name, "email": email, "phone": phone, "consent": consent}
    # No look-up first: the unique index on the idempotency key refuses a double click's second insert.
    for _ in range(4):
        try:
            suggestion = _insert(fields, contact)
        except IntegrityError:
            if idempotency_key is not None:
                existing = Suggestion.objects.filter(idempotency_key=idempotency_key).first()
                if existing is not None:
                    if not _same_submission(existing, fields, contact):
                        raise IdempotencyKeyReused(existing) from None
                    return existing
            # Otherwise the tracking code was taken: 53 random bits make that so rare that asking the
            # database first would cost more than drawing a fresh code now and then.
            continue
        from suggestions.tasks import analyze_suggestion  # the tasks module imports this one

        enqueue_on_commit(analyze_suggestion, suggestion.pk, on_failure=partial(_analysis_refused, suggestion.pk))
        return suggestion
    raise RuntimeError("could not draw an unused tracking code")


def _insert(fields: dict, contact: dict | None) -> Suggestion:
    if contact is None and not transaction.get_connection().in_atomic_block:
        # One INSERT is atomic on its own; a transaction around it would only add round trips. Inside a caller's
        # transaction the savepoint below is what lets a refused insert leave that transaction usable.
        return Suggestion.objects.create(tracking_code=new_tracking_code(), **fields)
    with transaction.atomic():
        suggestion = Suggestion.objects.create(tracking_code=new_tracking_code(), **fields)
        if contact is not None:
            Contact.objects.create(
                suggestion=suggestion, purge_after=Contact.purge_date_from(suggestion.created_at), **contact
            )
    return suggestion


class AlreadySupported(Exception):
    """This browser backed this idea before. Nothing new was stored; `earlier` is the first support."""

    def __init__(self, earlier: Support):
        super().__init__(f"idea {earlier.idea_id} already supported from this browser")
        self.earlier = earlier


def idea_of(suggestion: Suggestion) -> Suggestion:
    """The suggestion that stands for the idea a suggestion belongs to: its duplicate group's canonical one."""
    group = suggestion.duplicate_group
    return group.canonical if group is not None else suggestion


def do_support_idea(
    *, idea: Suggestion, idea_text: str, browser: str, role: str = "", province: str = "", ip_hash: str = ""
) -> Support:
    """Count one browser's support for an idea the caller found public, with its own tracking code. A second
    support for the same idea from the same browser raises AlreadySupported and stores nothing. Never a
    suggestion: nothing is analyzed or queued."""
    # The same idea backed earlier through another suggestion of its group (its canonical one then).
    earlier = Support.objects.for_idea_of(idea).filter(browser=browser).first()
    if earlier is not None:
        raise AlreadySupported(earlier)
    for _ in range(4):
        code = new_tracking_code()
        if Suggestion.objects.filter(tracking_code=code).exists():
            continue  # /track/ looks in both tables: a code names one thing
        try:
            with transaction.atomic():
                return Support.objects.create(
                    idea=idea,
                    idea_text=idea_text[:400],
                    tracking_code=code,
                    browser=browser,
                    role=role,
                    province=province,
                    ip_hash=ip_hash,
                )
        except IntegrityError:
            earlier = Support.objects.for_idea_of(idea).filter(browser=browser).first()
            if earlier is not None:
                raise AlreadySupported(earlier) from None
            # Otherwise the tracking code was taken: draw another.
    raise RuntimeError("could not draw an unused tracking code")


# What the analysis reads of the suggestion it claims, returned by the claim itself.
# In the model's order of fields, as `Model.from_db` takes them.
_CLAIMED_FIELDS = ("id", "title", "body", "duplicate_group_id", "state", "attempts")
# A claim: the suggestion moves to analyzing, and the attempt is counted (its values: the state, the moment).
_CLAIM = f"UPDATE {Suggestion._meta.db_table} SET state = %s, attempts = attempts + 1, state_changed_at = %s"


def claim_for_analysis(*, suggestion_id: int) -> Suggestion | None:
    """Move a received suggestion to analyzing and return it, with the fields the analysis reads (the others are
    read when asked for), and `waited`: whether it was sent more than ANALYSIS_BATCH_AFTER_SECONDS ago, so that
    others may be waiting behind it (`claim_waiting`). None when another delivery already took it. One statement,
    written out in SQL: the claim and the read of the row together, where a queryset's update and a second read
    cost three times as much."""
    now = timezone.now()
    waited_since = now - timezone.timedelta(seconds=settings.ANALYSIS_BATCH_AFTER_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"{_CLAIM} WHERE id = %s AND state = %s RETURNING {', '.join(_CLAIMED_FIELDS)}, created_at < %s",
            [
                State.ANALYZING,
                connection.ops.adapt_datetimefield_value(now),
                suggestion_id,
                State.RECEIVED,
                connection.ops.adapt_datetimefield_value(waited_since),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    suggestion = Suggestion.from_db(connection.alias, _CLAIMED_FIELDS, row[:-1])
    suggestion.waited = bool(row[-1])
    return suggestion


def claim_waiting(*, besides: int, limit: int) -> list[Suggestion]:
    """Up to `limit` more received suggestions, those waiting longest first, moved to analyzing and returned as
    `claim_for_analysis` returns one: the rest of a batch for the worker that has just claimed `besides`. Their
    own deliveries then find them taken and do nothing. On PostgreSQL a row another worker is claiming is
    skipped, not waited for. A suggestion whose analysis failed before is left to its own delivery, so it never
    fails a batch twice."""
    if limit <= 0:
        return []
    table = Suggestion._meta.db_table
    features = connection.features
    lock = ""
    if features.has_select_for_update:
        lock = " FOR UPDATE SKIP LOCKED" if features.has_select_for_update_skip_locked else " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(
            f"{_CLAIM} WHERE id IN (SELECT id FROM {table} WHERE state = %s AND last_error = '' AND id <> %s "
            f"ORDER BY state_changed_at, id LIMIT %s{lock}) RETURNING {', '.join(_CLAIMED_FIELDS)}",
            [
                State.ANALYZING,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                State.RECEIVED,
                besides,
                limit,
            ],
        )
        rows = cursor.fetchall()
    return [Suggestion.from_db(connection.alias, _CLAIMED_FIELDS, row) for row in rows]


def do_analyze_batch(suggestions: list[Suggestion]) -> None:
    """The whole analysis of claimed suggestions, in id order, written in one transaction
    (`pipeline.analyze_suggestion_texts`); raises with nothing written when it cannot be."""
    pipeline.analyze_suggestion_texts(sorted(suggestions, key=lambda s: s.pk))


def do_analyze(*, suggestion_id: int, suggestion: Suggestion | None = None) -> None:
    """Run the whole analysis of a claimed suggestion (normalise, fingerprint, duplicates, similar, theme)
    and mark it analyzed; what it writes is written in one transaction. `suggestion` is the row the claim
    returned, when the caller has it; otherwise it is read."""
    suggestion = suggestion or Suggestion.objects.get(pk=suggestion_id)
    if not pipeline.analyze_suggestion_text(suggestion):
        # The sweeper gave this suggestion to another delivery meanwhile; let that one write.
        logger.info("Suggestion %s was no longer analyzing; its result was not written", suggestion_id)


def release_after_failure(*, suggestion_id: int, error: Exception) -> State:
    """Give a failed attempt back to the sweeper, or mark the suggestion failed after the last attempt."""
    suggestion = Suggestion.objects.get(pk=suggestion_id)
    state = State.FAILED if suggestion.attempts >= settings.ANALYSIS_MAX_ATTEMPTS else State.RECEIVED
    Suggestion.objects.filter(pk=suggestion_id, state=State.ANALYZING).update(
        state=state, state_changed_at=timezone.now(), last_error=f"{error.__class__.__name__}: {error}"[:200]
    )
    return state


def sweep_stuck_suggestions() -> dict[str, int]:
    """Re-enqueue suggestions left received or analyzing too long; fail those out of attempts."""
    age = timezone.timedelta(seconds=settings.ANALYSIS_STUCK_AFTER_SECONDS)
    now = timezone.now()
    stuck = Suggestion.objects.stuck(older_than=age)
    failed = stuck.filter(attempts__gte=settings.ANALYSIS_MAX_ATTEMPTS).update(
        state=State.FAILED, state_changed_at=now, last_error="تعداد تلاش‌ها به پایان رسید"
    )
    # An analyzing row this old belongs to a worker that died; hand it back so a new delivery can claim it.
    # Its clock stays old, so the lines below enqueue it in this same sweep.
    Suggestion.objects.stuck(older_than=age).filter(state=State.ANALYZING).update(state=State.RECEIVED)
    # Those the broker refused at submit time go first and at once; the rest once they are stuck.
    ids = list(
        Suggestion.objects.filter(state=State.RECEIVED)
        .filter(Q(awaiting_enqueue=True) | Q(state_changed_at__lt=now - age))
        .order_by("-awaiting_enqueue", "state_changed_at")
        .values_list("pk", flat=True)[:5000]
    )
    requeued = 0
    for pk in ids:
        if not enqueue_analysis(pk):
            break
        # Restart the clock so the next sweep does not enqueue it again while it waits in the queue.
        Suggestion.objects.filter(pk=pk, state=State.RECEIVED).update(state_changed_at=now)
        Suggestion.objects.filter(pk=pk, awaiting_enqueue=True).update(awaiting_enqueue=False)
        requeued += 1
    return {"failed": failed, "requeued": requeued}


def purge_expired_contacts() -> int:
    deleted, _ = Contact.objects.filter(purge_after__lt=timezone.localdate()).delete()
    return deleted


# The semantic tier: an e5 vector per analyzed suggestion, made on the slow queue after the analysis. A
# failure here never touches the suggestion's state: its lexical analysis stands.


def enqueue_embedding(suggestion_id: int) -> bool:
    """Send one message for the e5 vector of an analyzed suggestion, counted as an attempt. Sends nothing when a
    message already waits for it, it is being made or stored, or it was given up. A broker that is down leaves
    it pending for the sweeper."""
    return enqueue_embeddings([suggestion_id]) == 1


def enqueue_embeddings(suggestion_ids: list[int]) -> int:
    """`enqueue_embedding` for the suggestions of an analyzed batch: their rows are written and marked queued in one
    transaction (one commit where each suggestion took two, 4.9 ms of its analysis), then a message leaves for
    each. The rows are recorded before the messages leave, so a worker that takes one at once finds it queued, and
    two sweepers never both send it. Returns how many left."""
    from suggestions.tasks import embed_suggestion

    with transaction.atomic():
        SuggestionEmbedding.objects.bulk_create(
            [SuggestionEmbedding(suggestion_id=pk) for pk in suggestion_ids], ignore_conflicts=True
        )
        waiting = SuggestionEmbedding.objects.filter(
            suggestion_id__in=suggestion_ids,
            state=SuggestionEmbedding.State.PENDING,
            attempts__lt=settings.EMBEDDING_MAX_ATTEMPTS,
        )
        marked = sorted(waiting.select_for_update().values_list("suggestion_id", flat=True))
        SuggestionEmbedding.objects.filter(suggestion_id__in=marked).update(
            state=SuggestionEmbedding.State.QUEUED, attempts=F("attempts") + 1, state_changed_at=timezone.now()
        )
    return sum(
        enqueue_rollback_unsafe(embed_suggestion, pk, on_failure=partial(_embedding_refused, pk)) for pk in marked
    )


def _embedding_refused(suggestion_id: int, exc: Exception) -> None:
    # No message left, so no attempt was made: the sweeper sends it once the broker is back.
    SuggestionEmbedding.objects.filter(suggestion_id=suggestion_id, state=SuggestionEmbedding.State.QUEUED).update(
        state=SuggestionEmbedding.State.PENDING, attempts=F("attempts") - 1
    )


def claim_for_embedding(*, suggestion_id: int) -> bool:
    """Move an analyzed suggestion's vector to embedding. False when it is stored or given up, another delivery
    took it, or the suggestion is not analyzed."""
    if not Suggestion.objects.filter(pk=suggestion_id, state=State.ANALYZED).exists():
        return False
    SuggestionEmbedding.objects.bulk_create([SuggestionEmbedding(suggestion_id=suggestion_id)], ignore_conflicts=True)
    waiting = [SuggestionEmbedding.State.QUEUED, SuggestionEmbedding.State.PENDING]
    claimed = SuggestionEmbedding.objects.filter(suggestion_id=suggestion_id, state__in=waiting).update(
        state=SuggestionEmbedding.State.EMBEDDING,
        # A queued vector's message was counted when it was sent; a delivery nobody recorded counts now.
        attempts=Case(
            When(state=SuggestionEmbedding.State.PENDING, then=F("attempts") + 1),
            default=F("attempts"),
            output_field=PositiveSmallIntegerField(),
        ),
        state_changed_at=timezone.now(),
    )
    return claimed == 1


def do_embed(*, suggestion_id: int) -> None:
    """Embed a claimed suggestion's text, store the vector, re-rank its similar suggestions with it and place it
    in its theme again by meaning as well as words."""
    suggestion = Suggestion.objects.get(pk=suggestion_id)
    vector = semantic.embed(suggestion.normalized_text)
    similar = pipeline.similar_with_meaning(suggestion, vector)
    now = timezone.now()
    with transaction.atomic():
        stored = SuggestionEmbedding.objects.filter(
            suggestion_id=suggestion_id, state=SuggestionEmbedding.State.EMBEDDING
        ).update(
            state=SuggestionEmbedding.State.STORED,
            vector=semantic.vector_to_bytes(vector),
            stored_at=now,
            state_changed_at=now,
            last_error="",
        )
        if not stored:
            # The sweeper gave this vector to another delivery meanwhile; let that one write.
            logger.info("The vector of suggestion %s was no longer being made; not written", suggestion_id)
            return
        pipeline.store_similar(suggestion, similar)
        pipeline.place_in_theme(suggestion, suggestion.normalized_text, vector)
    semantic.vector_index().add(suggestion_id, vector)


def release_embedding_after_failure(*, suggestion_id: int, error: Exception) -> str:
    """Give a failed vector back to the sweeper, or give it up after the last attempt."""
    embedding = SuggestionEmbedding.objects.get(suggestion_id=suggestion_id)
    state = SuggestionEmbedding.State.PENDING
    if embedding.attempts >= settings.EMBEDDING_MAX_ATTEMPTS:
        state = SuggestionEmbedding.State.FAILED
    released = SuggestionEmbedding.objects.filter(
        suggestion_id=suggestion_id, state=SuggestionEmbedding.State.EMBEDDING
    ).update(state=state, state_changed_at=timezone.now(), last_error=f"{error.__class__.__name__}: {error}"[:200])
    if released and state == SuggestionEmbedding.State.FAILED:
        logger.warning("The vector of suggestion %s is given up after %s attempts", suggestion_id, embedding.attempts)
    return state


def sweep_missing_embeddings() -> dict[str, int]:
    """Send one message for each vector that has none waiting: never sent, refused by the broker, failed, taken by
    a worker that died, or queued so long its message is presumed lost. Give up those out of attempts."""
    now = timezone.now()
    stuck = now - timezone.timedelta(seconds=settings.ANALYSIS_STUCK_AFTER_SECONDS)
    lost = now - timezone.timedelta(seconds=settings.EMBEDDING_REQUEUE_AFTER_SECONDS)
    # A worker that died mid-vector, or a message that has waited longer than any backlog lasts: send another.
    SuggestionEmbedding.objects.filter(
        Q(state=SuggestionEmbedding.State.EMBEDDING, state_changed_at__lt=stuck)
        | Q(state=SuggestionEmbedding.State.QUEUED, state_changed_at__lt=lost)
    ).update(state=SuggestionEmbedding.State.PENDING)
    given_up = list(
        SuggestionEmbedding.objects.filter(
            state=SuggestionEmbedding.State.PENDING, attempts__gte=settings.EMBEDDING_MAX_ATTEMPTS
        ).values_list("pk", flat=True)[:5000]
    )
    failed = SuggestionEmbedding.objects.filter(pk__in=given_up, state=SuggestionEmbedding.State.PENDING).update(
        state=SuggestionEmbedding.State.FAILED, state_changed_at=now, last_error="تعداد تلاش‌ها به پایان رسید"
    )
    if failed:
        # Once per vector: a given-up row is never pending again, so no later sweep repeats this line.
        logger.warning(
            "Gave up the vectors of %s suggestions after %s attempts each (first: %s)",
            failed,
            settings.EMBEDDING_MAX_ATTEMPTS,
            given_up[:10],
        )
    ids = list(
        SuggestionEmbedding.objects.filter(state=SuggestionEmbedding.State.PENDING)
        .order_by("state_changed_at")
        .values_list("pk", flat=True)[:5000]
    )
    # Analyzed before this tier existed, or while the broker refused the task.
    never = Suggestion.objects.analyzed().filter(embedding__isnull=True, analyzed_at__lt=stuck)
    ids += list(never.order_by("analyzed_at").values_list("pk", flat=True)[: 5000 - len(ids)])
    requeued = 0
    for pk in ids:
        if enqueue_embedding(pk):
            requeued += 1
        elif SuggestionEmbedding.objects.filter(pk=pk, state=SuggestionEmbedding.State.PENDING).exists():
            break  # the broker refused it: the rest wait for the next sweep
    return {"embeddings_failed": failed, "embeddings_requeued": requeued}

"""Thin tasks: load by id, call the service. A claim makes every re-delivery harmless."""

import logging
from functools import partial

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from suggestions import pipeline, services

logger = logging.getLogger(__name__)


@shared_task(name="suggestions.analyze_suggestion")
def analyze_suggestion(suggestion_id: int) -> None:
    """Analyze a suggestion, and with it those received and waiting (up to ANALYSIS_BATCH in all) when it waited
    itself, as one batch: under a burst of submissions one worker keeps pace, where one task per suggestion fell
    behind. If the batch fails, nothing of it is written and each is analyzed alone, so one text that breaks the
    analysis fails only its own attempt."""
    suggestion = services.claim_for_analysis(suggestion_id=suggestion_id)
    if suggestion is None:
        return
    batch = [suggestion]
    if suggestion.waited:  # one taken at once has no queue behind it, and the look for one costs 1.5 ms
        batch += services.claim_waiting(besides=suggestion_id, limit=settings.ANALYSIS_BATCH - 1)
    analyzed = []
    if len(batch) > 1:
        try:
            services.do_analyze_batch(batch)
            analyzed = batch
        except Exception:
            logger.warning("A batch of %s suggestions failed; each is analyzed alone", len(batch), exc_info=True)
    if not analyzed:
        analyzed = [claimed for claimed in batch if _analyze_alone(claimed)]
    # The slow tier follows on its own queue; its claim ignores a suggestion another delivery analyzed.
    if analyzed:
        transaction.on_commit(partial(services.enqueue_embeddings, [claimed.pk for claimed in analyzed]))
    try:
        # Once the analysis is committed: the first after a start or a re-clustering makes the theme pools the
        # next ones search, so none of them waits for its theme's pool.
        pipeline.make_theme_pools()
    except Exception:
        logger.warning("The theme pools were not made ahead; each is made at its first look-up", exc_info=True)


def _analyze_alone(suggestion) -> bool:
    """One claimed suggestion's analysis; a failure gives it back to the sweeper (or fails it after its last
    attempt). False when it failed."""
    try:
        services.do_analyze(suggestion_id=suggestion.pk, suggestion=suggestion)
    except Exception as exc:
        state = services.release_after_failure(suggestion_id=suggestion.pk, error=exc)
        logger.exception("Analysis of suggestion %s failed; now %s", suggestion.pk, state)
        return False
    return True


@shared_task(name="suggestions.embed_suggestion")
def embed_suggestion(suggestion_id: int) -> None:
    """The e5 vector of an analyzed suggestion, and its similar list re-ranked with it. On a queue of its own,
    so the fast analysis never waits behind it; a failure leaves the lexical result as it was."""
    if not services.claim_for_embedding(suggestion_id=suggestion_id):
        return
    try:
        services.do_embed(suggestion_id=suggestion_id)
    except Exception as exc:
        state = services.release_embedding_after_failure(suggestion_id=suggestion_id, error=exc)
        logger.exception("The vector of suggestion %s could not be made; now %s", suggestion_id, state)


@shared_task(name="suggestions.sweep_stuck_suggestions")
def sweep_stuck_suggestions() -> dict[str, int]:
    return services.sweep_stuck_suggestions()


@shared_task(name="suggestions.sweep_missing_embeddings")
def sweep_missing_embeddings() -> dict[str, int]:
    return services.sweep_missing_embeddings()


@shared_task(name="suggestions.purge_expired_contacts")
def purge_expired_contacts() -> int:
    return services.purge_expired_contacts()


RECLUSTER_LOCK = "suggestions:recluster-lock"


@shared_task(bind=True, name="suggestions.recluster_themes", ignore_result=False)
def recluster_themes(self, n_themes: int | None = None) -> dict:
    """Re-cluster the whole collection; progress is readable as Celery task state PROGRESS."""
    # One re-clustering at a time: a second request while one runs would only repeat the same work.
    if not cache.add(RECLUSTER_LOCK, self.request.id or "inline", timeout=3600):
        return {"skipped": "another re-clustering is running"}
    try:

        def progress(stage: str, done: int, total: int) -> None:
            if self.request.id and not self.request.is_eager:
                self.update_state(state="PROGRESS", meta={"stage": stage, "done": done, "total": total})

        return pipeline.recluster(n_themes=n_themes, progress=progress)
    finally:
        cache.delete(RECLUSTER_LOCK)


@shared_task(name="suggestions.recluster_themes_if_due")
def recluster_themes_if_due() -> dict | None:
    if pipeline.recluster_is_due():
        return recluster_themes()
    return None

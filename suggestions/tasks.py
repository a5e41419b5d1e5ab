"""Thin tasks: load by id, call the service. A claim makes every re-delivery harmless."""

import logging

from celery import shared_task

from suggestions import services

logger = logging.getLogger(__name__)


@shared_task(name="suggestions.analyze_suggestion")
def analyze_suggestion(suggestion_id: int) -> None:
    if not services.claim_for_analysis(suggestion_id=suggestion_id):
        return
    try:
        services.do_analyse(suggestion_id=suggestion_id)
    except Exception as exc:
        state = services.release_after_failure(suggestion_id=suggestion_id, error=exc)
        logger.exception("Analysis of suggestion %s failed; now %s", suggestion_id, state)


@shared_task(name="suggestions.sweep_stuck_suggestions")
def sweep_stuck_suggestions() -> dict[str, int]:
    return services.sweep_stuck_suggestions()


@shared_task(name="suggestions.purge_expired_contacts")
def purge_expired_contacts() -> int:
    return services.purge_expired_contacts()

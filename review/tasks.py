"""Thin tasks of the review workspace."""

from celery import shared_task

from review import queries


@shared_task(name="review.refresh_counts")
def refresh_counts() -> None:
    """Recount the queue's filter counts and the dashboard before their cache runs out, so no reviewer's
    page has to wait for a count over the whole collection."""
    queries.filter_counts(refresh=True)
    queries.dashboard_figures(refresh=True)

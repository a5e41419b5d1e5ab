"""Thin tasks of reports: load by id, call the service; the notice rows make a re-run harmless."""

from celery import shared_task

from reports import notifications


# Named while reports were part of review; messages already queued carry the name, so it stays.
@shared_task(name="review.notify_report_published")
def notify_report_published(version_id: int) -> int:
    return notifications.send_report_notices(version_id=version_id)


@shared_task(name="reports.sweep_report_notices", ignore_result=True)
def sweep_report_notices() -> int:
    """What a lost or interrupted notice task still owes, sent by beat's periodic run."""
    return notifications.send_owed_notices()

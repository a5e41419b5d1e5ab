"""Sending Celery tasks. After the commit is the default: a worker that starts at once must find the rows the
request wrote, and a rolled-back request must send nothing. A broker that is down never fails the request that
asked: the failure is logged and handed to `on_failure`, so the caller can leave the work to a sweeper."""

import logging
from collections.abc import Callable
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args, on_failure: Callable[[Exception], None] | None = None, **options) -> None:
    """Send `task(*args)` once the current transaction commits (at once outside one); pass ids, never objects."""
    transaction.on_commit(partial(enqueue_rollback_unsafe, task, *args, on_failure=on_failure, **options))


def enqueue_rollback_unsafe(task, *args, on_failure: Callable[[Exception], None] | None = None, **options) -> bool:
    """Send `task(*args)` now, whether or not the transaction around it commits: for sweepers and for work that
    runs after a commit already. Whether the message left; `options` go to `apply_async` (countdown, task_id)."""
    try:
        # No publish retries: a broker that is down answers at once, and the caller has a way to catch up.
        task.apply_async(args=args, retry=False, **options)
    except Exception as exc:
        logger.warning("Broker unavailable; %s%s not queued (%s: %s)", task.name, args, exc.__class__.__name__, exc)
        if on_failure is not None:
            on_failure(exc)
        return False
    return True

"""The active topics, held in each process for a few seconds.

The form page and every submission need them, and they change a handful of times in a whole call for ideas: a
query for them on each request was a tenth of a submission's cost. A change saved in this process is seen at
once; other processes see it within `TOPIC_CACHE_SECONDS`. Topics are deactivated, never deleted (the admin
offers no delete), so a suggestion never points at a topic that is gone.
"""

import time

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from suggestions.caches import process_caches
from suggestions.models import Topic


def active_topics() -> tuple[Topic, ...]:
    """The active topics, read again once they are `TOPIC_CACHE_SECONDS` old; kept in `process_caches`."""
    held, now = process_caches.topics, time.monotonic()
    if held is None or now - held[0] >= settings.TOPIC_CACHE_SECONDS:
        held = process_caches.topics = (now, tuple(Topic.objects.filter(is_active=True)))
    return held[1]


def topic_by_pk(pk) -> Topic | None:
    return next((topic for topic in active_topics() if str(topic.pk) == str(pk)), None)


def forget_topics(**kwargs) -> None:
    process_caches.topics = None


post_save.connect(forget_topics, sender=Topic, dispatch_uid="suggestions.topic_cache.saved")
post_delete.connect(forget_topics, sender=Topic, dispatch_uid="suggestions.topic_cache.deleted")

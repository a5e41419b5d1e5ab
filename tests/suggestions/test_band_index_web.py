"""The live look-up under the form never rebuilds a lost Redis band index: the worker does, and a look-up while
a citizen types must not wait minutes for a million signatures."""

import pytest
import redis

from suggestions import pipeline
from suggestions.caches import process_caches
from tests.suggestions.ideas import HOURS, analyzed

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/15"
PREFIX = "tests-band-index-web:lsh"


@pytest.fixture
def lost_redis_index(settings):
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    analyzed(HOURS)  # stored with its signature, before Redis is used
    settings.REDIS_URL = REDIS_URL
    settings.LSH_REDIS_PREFIX = PREFIX
    process_caches.reset()
    client.delete(*client.keys(f"{PREFIX}*") or ["-"])
    yield client
    client.delete(*client.keys(f"{PREFIX}*") or ["-"])
    process_caches.reset()


def test_a_live_look_up_with_the_redis_index_lost_answers_without_rebuilding_it(lost_redis_index):
    found = pipeline.similar_to_text(HOURS)
    assert not lost_redis_index.exists(f"{PREFIX}:built")
    assert isinstance(found, list)


def test_the_worker_rebuilds_the_lost_redis_index_before_it_looks_for_copies(lost_redis_index):
    copy = analyzed(HOURS.replace("۲۴", "24"))
    assert lost_redis_index.exists(f"{PREFIX}:built")
    assert copy.duplicate_group is not None

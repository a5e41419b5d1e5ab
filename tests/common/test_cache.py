"""The portal's Redis cache against a real Redis server."""

import uuid

import pytest

from common.cache import RedisCache
from common.ratelimit import check_rate
from tests.conftest import REDIS_URL, service_reachable

URL = REDIS_URL or "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_cache():
    if not service_reachable(URL):
        pytest.skip(f"needs a Redis server; none answers at {URL}")
    cache = RedisCache(URL, {"KEY_PREFIX": f"test-cache-{uuid.uuid4().hex}"})
    yield cache
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(f"{cache.key_prefix}:*"):
        client.delete(key)


def test_count_hit_counts_each_hit_in_the_window(redis_cache):
    assert [redis_cache.count_hit("hits", 60) for _ in range(3)] == [1, 2, 3]


def test_count_hit_gives_the_counter_the_window_as_its_lifetime(redis_cache):
    redis_cache.count_hit("hits", 30)
    redis_cache.count_hit("hits", 5000)  # a later hit does not stretch the window
    key = redis_cache.make_and_validate_key("hits")
    assert 0 < redis_cache._cache.get_client(key).ttl(key) <= 30


def test_the_counter_is_readable_as_a_cache_value(redis_cache):
    redis_cache.count_hit("hits", 60)
    assert redis_cache.get("hits") == 1


def test_one_redis_client_serves_every_call(redis_cache):
    assert redis_cache._cache.get_client("a") is redis_cache._cache.get_client("b", write=True)


def test_the_rate_limit_refuses_the_request_over_the_limit_on_redis(redis_cache, settings):
    settings.CACHES = {
        "default": {"BACKEND": "common.cache.RedisCache", "LOCATION": URL, "KEY_PREFIX": redis_cache.key_prefix}
    }
    verdicts = [check_rate(scope="submit", ip="198.51.100.7", rate="2/600") for _ in range(3)]
    assert [verdict.allowed for verdict in verdicts] == [True, True, False]
    assert 0 < verdicts[2].retry_after <= 600

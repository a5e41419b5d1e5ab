import contextlib
import os
import signal
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

from portal.celery import app as celery_app
from tests.factories import SuggestionFactory, UserFactory

if not settings.REDIS_URL:
    # Messages and results that tests publish go to files of their own (one per run, so runs side by side never
    # share them), never into the development queue.
    celery_app.conf.broker_url = f"embedded+sqlite:///{settings.VAR_DIR / f'test-broker-{os.getpid()}.sqlite3'}"
    celery_app.conf.result_backend = f"db+sqlite:///{settings.VAR_DIR / f'test-results-{os.getpid()}.sqlite3'}"


def pytest_unconfigure(config):
    # The run's own broker and result files (above) go with it, as Django's test database does.
    for name in (f"test-broker-{os.getpid()}.sqlite3", f"test-results-{os.getpid()}.sqlite3"):
        for leftover in settings.VAR_DIR.glob(f"{name}*"):
            leftover.unlink(missing_ok=True)


NEEDS_POSTGRESQL = "needs PostgreSQL: set DATABASE_URL"


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` run the code's PostgreSQL-only branches. CI runs them (its DATABASE_URL names
    PostgreSQL); elsewhere each is skipped with a reason that `-ra` prints, never passed silently."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason=NEEDS_POSTGRESQL)
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


def service_reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _isolated_caches():
    """Each test starts with nothing kept from the one before: a rolled-back test's topics, band index, theme
    snapshot or vectors must not linger in the process."""
    from django.core.cache import cache

    from suggestions.caches import process_caches

    process_caches.reset()
    with contextlib.suppress(Exception):  # a test may point the cache at a server that is down
        cache.clear()  # with Redis this also empties the shared band index, rebuilt from the test database
    yield
    process_caches.reset()


@pytest.fixture
def seeded_topics(transactional_db):
    """Transactional tests empty every table between them, the topics of the call included."""
    from suggestions.models import Topic
    from suggestions.topics import SEED_TOPICS

    for position, (slug, name) in enumerate(SEED_TOPICS):
        Topic.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})


@pytest.fixture
def eager_tasks():
    """Run Celery tasks inline, as unit tests only may."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(scope="session")
def e5_model():
    """The real e5 model, loaded once for the whole session (0.7 s) and kept by the analysis package's cache;
    tests that make vectors ask for it so the load is not timed inside one of them."""
    from suggestions import semantic

    semantic.embed("مدل معنایی")


@pytest.fixture
def no_fill_delay(settings):
    settings.FORM_MIN_FILL_SECONDS = 0


@pytest.fixture
def citizen(client):
    """An anonymous member of the public: every citizen-facing page is open to them."""
    return client


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer-persona", groups=["reviewer"])


@pytest.fixture
def editor(db):
    return UserFactory(username="editor-persona", groups=["editor"])


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider-persona")


@pytest.fixture
def suggestion(db):
    return SuggestionFactory()


@pytest.fixture
def dead_broker(settings):
    """A broker address where nothing listens, as when Redis has stopped."""
    previous = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    celery_app.conf.broker_transport_options = {"socket_connect_timeout": 0.5}
    _reset_producer_pool()
    yield
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = previous
    _reset_producer_pool()


def _reset_producer_pool():
    # The app keeps one producer pool bound to the broker it first saw; drop it so the new address is used.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


REDIS_URL = os.environ.get("REDIS_URL") or settings.REDIS_URL


@pytest.fixture
def fails_rather_than_waits():
    """For a test of something that once waited for ever: after 60 s it fails, instead of holding the whole run."""

    def expired(signum, frame):
        raise TimeoutError("still waiting after 60 s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)

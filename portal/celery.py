import logging
import os
import sys

from celery import Celery
from celery.signals import task_prerun, worker_init, worker_process_init, worker_ready
from django.db import close_old_connections
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

logger = logging.getLogger(__name__)

# The broker URL `embedded+sqlite:///…` names this transport (settings.CELERY_BROKER_URL without REDIS_URL);
# kombu imports it, and SQLAlchemy with it, only when that broker is used.
TRANSPORT_ALIASES["embedded"] = "portal.embedded_broker:EmbeddedTransport"

app = Celery("hamandishi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _analysis_libraries_before_the_pool(**kwargs):
    # The analysis imports scikit-learn where it first uses it (suggestions.analysis.learn), so that the web never
    # does. A worker imports it before it forks its pool: the processes share it, and no first task waits 0.6 s.
    from suggestions.analysis.learn import import_now

    import_now()


@worker_process_init.connect
def _own_broker_engine_per_process(**kwargs):
    # A pool process forked after the parent opened the broker file must not share the parent's SQLite
    # connections: forget the inherited engines (without closing the parent's connections) and open new ones.
    embedded = sys.modules.get("portal.embedded_broker")
    if embedded is None:
        return  # another broker: no engine to forget
    for engine, _session in embedded.EmbeddedChannel._engines.values():
        engine.dispose(close=False)
    embedded.EmbeddedChannel._engines.clear()


@task_prerun.connect
def _database_connection_as_for_a_request(sender=None, **kwargs):
    # Before each task a worker runs, what Django does before each request: a connection past CONN_MAX_AGE, or one
    # an error left unusable (a database restarted under it), is closed and the task connects anew; the others are
    # kept (settings.CELERY_DB_REUSE_MAX). Never for a task run inline, which may be inside a caller's transaction.
    if sender is not None and not getattr(sender.request, "is_eager", False):
        close_old_connections()


@worker_ready.connect
def _say_which_broker(sender, **kwargs):
    # Newcomers run without Redis; the log line tells them which broker the worker really uses.
    logger.info("Celery worker ready on broker %s", sender.app.connection().as_uri())

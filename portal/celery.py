import logging
import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("hamandishi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


@worker_ready.connect
def _say_which_broker(sender, **kwargs):
    # Newcomers run without Redis; the log line tells them which broker the worker really uses.
    logger.info("Celery worker ready on broker %s", sender.app.connection().as_uri())

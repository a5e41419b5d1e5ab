"""Logs that carry no news stay below WARNING."""

import logging
import sys

from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as ConsoleBackend

from portal.celery import app as celery_app


def test_an_email_a_worker_prints_through_the_console_backend_is_logged_at_info_not_warning(caplog):
    stdout, stderr = sys.stdout, sys.stderr
    try:
        # What `celery worker` does with its output, at the level the settings give it.
        celery_app.log.redirect_stdouts(celery_app.conf.worker_redirect_stdouts_level)
        with caplog.at_level(logging.DEBUG, logger="celery.redirected"):
            console = ConsoleBackend()  # what DJANGO_DEBUG=true and .env.example use
            console.send_messages([EmailMessage("گزارش منتشر شد", "گزارش تازه منتشر شد.", to=["citizen@example.com"])])
            sys.stdout.flush()
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    printed = [record for record in caplog.records if record.name == "celery.redirected"]
    assert printed
    assert {record.levelname for record in printed} == {"INFO"}

"""The worker finds the reports app's task the way it finds every app's: by autodiscovery of reports/tasks.py."""

import os
import subprocess
import sys

from django.conf import settings

WORKER_TASKS = """
import django
django.setup()
from portal.celery import app
app.loader.import_default_modules()  # what a worker does at start-up
print(sorted(name for name in app.tasks if not name.startswith("celery.")))
"""


def test_a_worker_registers_the_report_notice_task_with_no_list_of_task_modules_in_settings():
    assert not hasattr(settings, "CELERY_IMPORTS")
    # A fresh process: in this one, the tests have imported the task module already.
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    found = subprocess.run(
        [sys.executable, "-c", WORKER_TASKS],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The name it had while reports were part of review: messages already queued carry it.
    assert "'review.notify_report_published'" in found

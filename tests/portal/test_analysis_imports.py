"""scikit-learn (0.6 s, scipy.stats with it) is imported where the analysis first uses it: a web process starts
without it (it comes with the first live look-up of similar ideas), and a Celery worker imports it before it forks
its pool."""

import os
import subprocess
import sys

from tests.faults.conftest import ROOT


def modules_after(code: str) -> set[str]:
    """The modules a new process has imported once it has run `code` (Django set up first)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HAMANDISHI_PROCESS")}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    script = f"import django; django.setup(); {code}; import sys; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return set(out.stdout.strip().splitlines()[-1].split())


def test_the_web_loads_its_urls_views_and_tasks_without_scikit_learn():
    loaded = modules_after(
        "import portal.wsgi, portal.urls, suggestions.views, review.views, reports.views, suggestions.tasks; "
        "from django.urls import get_resolver; get_resolver().url_patterns"
    )
    assert "suggestions.pipeline" in loaded
    assert "sklearn" not in loaded


def test_a_celery_worker_imports_scikit_learn_before_it_forks_its_pool():
    loaded = modules_after(
        "from portal.celery import app; from celery.signals import worker_init; worker_init.send(None)"
    )
    assert {"sklearn.cluster", "sklearn.decomposition", "sklearn.feature_extraction.text"} <= loaded

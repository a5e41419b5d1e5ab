"""Settings for the portal a benchmark starts (`benchmarks.harness.portal`): the product's settings plus a URLconf
with a trivial view.

Everything else (database, cache, broker, rate limits, security) still comes from the environment exactly as in
production; `benchmarks.harness.portal.portal_env` passes those variables to gunicorn and the Celery workers.
"""

from portal.settings import *  # noqa: F403

# The trivial view lives here, never in the product's URLs.
ROOT_URLCONF = "benchmarks.bench_urls"

# Plain static storage: with DEBUG off the product uses whitenoise's manifest storage, which needs
# `collectstatic` to have run first. The benchmark never asks for static files, and `{% static %}` with plain
# storage builds the same kind of URL without the manifest, so no collectstatic is needed.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

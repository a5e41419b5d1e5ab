"""The one settings module. Every value comes from the environment; `.env.example` lists them all."""

import os
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV", default=True):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# SQLite, the embedded broker, the supervisor's crash record and collected static files live here. The soak
# benchmark and the supervisor tests point it at a temporary folder so they never touch the developer's data.
VAR_DIR = Path(env("HAMANDISHI_VAR_DIR", default=str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
else:
    # Production refuses to start without these: a missing secret must never fall back to a default.
    SECRET_KEY = env("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise environ.ImproperlyConfigured("ALLOWED_HOSTS must name at least one host when DJANGO_DEBUG is off")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "common",
    "portal",
    "suggestions",
    "review",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "review.accounts.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "portal.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a lock-out flagged during authentication into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
            "builtins": ["common.templatetags.persian"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'hamandishi.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("OPTIONS", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that does not answer fails the request fast with the Persian 503 page.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3))
    # The web's statements end after DATABASE_STATEMENT_TIMEOUT_MS; workers and commands (re-clustering a million
    # suggestions, migrations) get DATABASE_BATCH_STATEMENT_TIMEOUT_MS, none by default. portal/wsgi.py says
    # which process this is.
    if os.environ.get("HAMANDISHI_PROCESS") == "web":
        statement_ms = env.int("DATABASE_STATEMENT_TIMEOUT_MS", default=5000)
    else:
        statement_ms = env.int("DATABASE_BATCH_STATEMENT_TIMEOUT_MS", default=0)
    # A frozen server never enforces its statement_timeout, and its kernel keeps TCP alive, so the client keeps a
    # deadline of its own (portal/db): a second longer, so a slow statement still ends with the server's error.
    DATABASES["default"]["ENGINE"] = "portal.db"
    DATABASES["default"]["OPTIONS"].update(
        {
            "options": f"-c statement_timeout={statement_ms}",
            "answer_timeout": statement_ms / 1000 + 1 if statement_ms else None,
            # A server or network that vanishes is found in about a minute even on an idle connection.
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    # Web, worker and beat write to one file: take the write lock at BEGIN so no one fails mid-transaction.
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    # A file, not memory, so that worker processes started by the fault tests share the test database.
    # One file per test run, so runs side by side never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-hamandishi-{os.getpid()}.sqlite3")}
    DATABASES["default"]["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "common.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "fa"
LANGUAGES = [("fa", "فارسی")]
TIME_ZONE = "Asia/Tehran"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "portal" / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/vazirmatn", NODE_MODULES / "vazirmatn" / "fonts" / "webfonts"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/review/"
LOGOUT_REDIRECT_URL = "/"

# Staff accounts. Axes checks the lock-out before the password is even compared, so it comes first.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock one username from one address after AXES_FAILURE_LIMIT failures, for AXES_COOLOFF_MINUTES. Locking
# the pair, and not restarting the clock on failures during the lock-out, means an attacker elsewhere can
# never lock a reviewer out for good.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "review.accounts.locked_out_response"  # the Persian page, status 429
AXES_CLIENT_IP_CALLABLE = "common.ratelimit.client_ip"
AXES_VERBOSE = False
# A signed-in session ends after SESSION_IDLE_MINUTES without a request, and SESSION_ABSOLUTE_HOURS after
# the sign-in however active it is.
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_HOURS", default=12) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
# Two-factor login (TOTP) for editors and administrators who turn it on.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Hamandishi")

# Security headers. The CSP uses nonces; no inline script or style runs without one.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Intake.
# Number of proxies in front of the portal whose X-Forwarded-For entries are trusted for the client address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
IP_HASH_SALT = env("IP_HASH_SALT", default=SECRET_KEY)
SUBMIT_RATE_LIMIT = env("SUBMIT_RATE_LIMIT", default="10/600")  # suggestions and supports together, per address
TRACK_RATE_LIMIT = env("TRACK_RATE_LIMIT", default="30/600")  # tracking-code look-ups per seconds, per address
SIMILAR_RATE_LIMIT = env("SIMILAR_RATE_LIMIT", default="120/600")  # live similar look-ups while typing
FORM_MIN_FILL_SECONDS = env.float("FORM_MIN_FILL_SECONDS", default=3.0)
TOPIC_CACHE_SECONDS = env.float("TOPIC_CACHE_SECONDS", default=10.0)  # how long a process keeps the topic list
CONTACT_RETENTION_DAYS = env.int("CONTACT_RETENTION_DAYS", default=365)

# Review.
REVIEW_CLAIM_MINUTES = env.int("REVIEW_CLAIM_MINUTES", default=20)  # a «next» claim lapses after this
REVIEW_PAGE_SIZE = env.int("REVIEW_PAGE_SIZE", default=25)
REVIEW_COUNT_LIMIT = env.int("REVIEW_COUNT_LIMIT", default=10000)  # the queue counts matches up to this many
REVIEW_COUNT_BUDGET_MS = env.int("REVIEW_COUNT_BUDGET_MS", default=50)  # ...and for this long at most (PostgreSQL)
REVIEW_COUNTS_SECONDS = env.int("REVIEW_COUNTS_SECONDS", default=300)  # filter and dashboard counts are cached
REVIEW_BULK_LIMIT = env.int("REVIEW_BULK_LIMIT", default=1000)  # most suggestions one bulk action may change

# Reports.
# The address people reach the portal at, for links in e-mails, e.g. https://hamandishi.example.ir
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
REPORT_PDF_CACHE_SECONDS = env.int("REPORT_PDF_CACHE_SECONDS", default=24 * 3600)

# E-mail: printed to the console in development, SMTP through the EMAIL_* server below in production (or
# wherever EMAIL_BACKEND names SMTP). Django 6.1 configures mail through MAILERS; the environment keeps the
# familiar EMAIL_* names.
_mail_default = "console" if DEBUG else "smtp"
_email_backend = env("EMAIL_BACKEND", default=f"django.core.mail.backends.{_mail_default}.EmailBackend")
MAILERS = {"default": {"BACKEND": _email_backend}}
if _email_backend == "django.core.mail.backends.smtp.EmailBackend":
    MAILERS["default"]["OPTIONS"] = {
        "host": env("EMAIL_HOST", default="localhost"),
        "port": env.int("EMAIL_PORT", default=25),
        "username": env("EMAIL_HOST_USER", default=""),
        "password": env("EMAIL_HOST_PASSWORD", default=""),
        "use_tls": env.bool("EMAIL_USE_TLS", default=False),
        "use_ssl": env.bool("EMAIL_USE_SSL", default=False),
        "timeout": env.int("EMAIL_TIMEOUT", default=10),
    }
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Hamandishi <no-reply@hamandishi.local>")

# Processing.
ANALYSIS_MAX_ATTEMPTS = env.int("ANALYSIS_MAX_ATTEMPTS", default=5)
ANALYSIS_STUCK_AFTER_SECONDS = env.int("ANALYSIS_STUCK_AFTER_SECONDS", default=120)
# A worker analyzes a suggestion together with up to this many waiting in all (`tasks.analyze_suggestion`), when
# the suggestion itself was sent more than ANALYSIS_BATCH_AFTER_SECONDS before (a queue has formed). A batch of 256
# takes one or two seconds; a larger one spreads each batch's fixed costs (its look-ups, its transaction) wider.
ANALYSIS_BATCH = env.int("ANALYSIS_BATCH", default=256)
ANALYSIS_BATCH_AFTER_SECONDS = env.float("ANALYSIS_BATCH_AFTER_SECONDS", default=0.5)
# A vector's message waits in the semantic queue, behind a backlog of hours after an import; only one older than
# this is presumed lost and sent again, and after EMBEDDING_MAX_ATTEMPTS messages the vector is given up.
EMBEDDING_REQUEUE_AFTER_SECONDS = env.int("EMBEDDING_REQUEUE_AFTER_SECONDS", default=6 * 3600)
EMBEDDING_MAX_ATTEMPTS = env.int("EMBEDDING_MAX_ATTEMPTS", default=5)
SWEEP_INTERVAL_SECONDS = env.int("SWEEP_INTERVAL_SECONDS", default=30)
# How often beat looks for report e-mails whose task was lost (reports.notifications.owed_versions).
NOTICE_SWEEP_SECONDS = env.int("NOTICE_SWEEP_SECONDS", default=300)
HEARTBEAT_INTERVAL_SECONDS = env.int("HEARTBEAT_INTERVAL_SECONDS", default=15)
RECLUSTER_CHECK_SECONDS = env.int("RECLUSTER_CHECK_SECONDS", default=60)
RECLUSTER_MIN_SUGGESTIONS = env.int("RECLUSTER_MIN_SUGGESTIONS", default=20)
LSH_REDIS_PREFIX = env("LSH_REDIS_PREFIX", default="hamandishi:lsh")

# Celery. Chosen so that no accepted task is lost: acknowledge after the work, give the message back when
# a worker dies, take one message at a time, and keep unacknowledged messages invisible for longer than
# the slowest task runs.
# Without Redis the broker is kombu's SQLAlchemy transport on a SQLite file of its own (portal.embedded_broker's
# EmbeddedTransport). The file-system transport it replaces read message files before they were fully written
# and killed the worker with a JSONDecodeError (kombu issue 1551); here a message is claimed inside one SQLite
# write transaction, so a half-written message can never be read.
CELERY_BROKER_URL = REDIS_URL or f"embedded+sqlite:///{VAR_DIR / 'broker.sqlite3'}"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        # An unacknowledged message returns to the queue after this long: longer than the slowest task.
        "visibility_timeout": env.int("BROKER_VISIBILITY_TIMEOUT", default=3600),
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        # A publisher whose broker is down gives up at once, so a citizen's receipt never waits on it (the
        # sweeper enqueues later). Workers reconnect by their own retry settings, not these.
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.1,
        "interval_max": 0.1,
    }
    if REDIS_URL
    else {
        # Passed to SQLAlchemy's create_engine. Web, workers and beat write to the one file; a writer waits up
        # to 30 s for the lock instead of failing with "database is locked" (portal.embedded_broker also turns WAL on).
        "connect_args": {"timeout": 30},
    }
)
# Results are ignored except re-clustering's progress; without Redis they go to a SQLite file through
# Celery's database backend, which writes each state in a transaction (the file backend could be read half-written).
CELERY_RESULT_BACKEND = REDIS_URL or f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite3'}"
CELERY_DATABASE_ENGINE_OPTIONS = {} if REDIS_URL else {"connect_args": {"timeout": 30}}
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes the database connection before and after every task unless told to reuse it: a
# worker then connected to PostgreSQL anew for each task, 11 % of its time under a burst of submissions, most of
# it for deliveries whose suggestion a batch had analyzed already. It reuses it; `portal.celery` applies Django's
# own rules (CONN_MAX_AGE, CONN_HEALTH_CHECKS, a connection an error left unusable) before each task instead.
CELERY_DB_REUSE_MAX = 1_000_000_000
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A submission must not wait long on a broker that is down: the sweeper enqueues it later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The e5 vectors (tens of ms each, a backlog of hours when a collection is imported) have a queue of their own,
# consumed by a worker of their own, so the analysis a citizen waits for never queues behind them.
CELERY_TASK_ROUTES = {"suggestions.embed_suggestion": {"queue": "semantic"}}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# What a task prints (the console e-mail backend prints whole mails) is ordinary output, not a warning: Celery
# would otherwise log every line of it at WARNING.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "axes": {"level": "WARNING"}},
}

CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-suggestions": {"task": "suggestions.sweep_stuck_suggestions", "schedule": SWEEP_INTERVAL_SECONDS},
    "sweep-missing-embeddings": {"task": "suggestions.sweep_missing_embeddings", "schedule": SWEEP_INTERVAL_SECONDS},
    "record-heartbeat": {"task": "portal.record_heartbeat", "schedule": HEARTBEAT_INTERVAL_SECONDS},
    "recluster-themes-if-due": {"task": "suggestions.recluster_themes_if_due", "schedule": RECLUSTER_CHECK_SECONDS},
    "purge-expired-contacts": {"task": "suggestions.purge_expired_contacts", "schedule": 6 * 3600},
    "refresh-review-counts": {"task": "review.refresh_counts", "schedule": max(REVIEW_COUNTS_SECONDS // 2, 30)},
    "sweep-report-notices": {"task": "reports.sweep_report_notices", "schedule": NOTICE_SWEEP_SECONDS},
}

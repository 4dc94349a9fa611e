"""Settings for the storefront: one module, driven by environment variables.

Every value that differs between a laptop and production comes from the
environment (12-factor). The defaults are the embedded set-up: SQLite in the
repository and uploads in `media/`. Production sets `DEBUG=0`, `SECRET_KEY`,
`ALLOWED_HOSTS` and `DATABASE_URL`; see the README for the full list.
"""

import os
from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from .env import (
    admin_base_url,
    database,
    env_bool,
    env_int,
    env_list,
    env_rate,
    logging_config,
    secret_key,
    session_engine,
)
from .redis_settings import redis_cache, rq_queues
from .s3 import media_storage
from .sentry import init_sentry

PROJECT_DIR = Path(__file__).resolve().parent  # site/storefront/
BASE_DIR = PROJECT_DIR.parent.parent  # the repository root


# --- Core -----------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = secret_key(debug=DEBUG)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "home",
    "pages",
    "commerce",
    "commerce.integrations",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "django_tasks",
    "django_tasks_db",
    "modelcluster",
    "taggit",
    "django_filters",
    "ninja",
    "django_countries",
    "phonenumber_field",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Security headers on every answer, cached pages and static files included
    # ("Security headers" block below).
    "storefront.security.StorefrontCSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # WhiteNoise serves static files straight after the security headers are set.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A request carrying NUL is a 400 before anything reads it (commerce/inputs.py).
    "commerce.inputs.NulGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Cached shop pages, answered before routing (commerce/services/page_cache.py).
    "commerce.services.page_cache.PageCacheMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "storefront.urls"
WSGI_APPLICATION = "storefront.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "commerce.context_processors.cart",
                # CSP_NONCE for inline <style>/<script> (storefront/security.py).
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# DATABASE_URL selects the database (postgres://user:pass@host:port/name in
# production). Without it the shop runs on a SQLite file in the repository.

SQLITE_PATH = BASE_DIR / "db.sqlite3"
# SQLite: WAL and queued writers; PostgreSQL: no JIT, and psycopg's connection pool when
# DATABASE_POOL_MAX_SIZE > 0 (storefront/env.py, database(); README, "Health checks and logs").
DATABASES = {"default": database(sqlite_path=SQLITE_PATH)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------
# Storefront pages (commerce.services.page_cache), rate-limit counters and image
# renditions. Per process by default: pages stay correct with any number of workers,
# because they are keyed by a catalog version kept in the database, but each process
# counts rate limits on its own. CACHE_URL=redis://host:6379/0 shares one cache between
# workers and machines (`pip install ".[redis]"`); recommended in production. Timeouts
# and reconnects: storefront/redis_settings.py. CACHE_KEY_PREFIX starts every key, so
# several shops can share a Redis.

CACHE_URL = os.environ.get("CACHE_URL", "").strip()
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "storefront").strip()
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": redis_cache(CACHE_URL, CACHE_KEY_PREFIX)}
elif CACHE_URL:
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// URL, not {CACHE_URL!r}.")
else:
    CACHES = {
        "default": {
            # LocMemCache bounded in bytes too (storefront/bounded_cache.py): pages differ
            # in size, so an entry count alone does not bound a worker's memory. The least
            # recently used entries go first. LOCMEM_CACHE_MB (default 32) per process.
            "BACKEND": "storefront.bounded_cache.BoundedLocMemCache",
            "OPTIONS": {
                "MAX_ENTRIES": 2000,
                "MAX_BYTES": env_int("LOCMEM_CACHE_MB", 32) * 1024 * 1024,
            },
        }
    }
# Sessions from the shared cache, written through to the database (storefront/env.py).
SESSION_ENGINE = session_engine(CACHE_URL)

# Longest time a cached storefront page is served (a safety net: changes bump the
# catalog version and take effect at once). 0 turns the page cache off.
STOREFRONT_PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 600)

# --- Shared HTTP cache (Varnish / CDN) ------------------------------------------------------
# Everything for a proxy in front is in this block (commerce/services/http_cache.py and
# http_purge.py; deploy/varnish/default.vcl; README, "Shared HTTP cache (Varnish/CDN)").
# Anonymous pages without a CSRF token are sent `public, max-age=0, s-maxage=` this many
# seconds with an ETag (0: every answer stays private, as without a proxy).
STOREFRONT_HTTP_CACHE_SECONDS = env_int("HTTP_CACHE_SECONDS", STOREFRONT_PAGE_CACHE_SECONDS)
MIDDLEWARE.insert(
    MIDDLEWARE.index("commerce.services.page_cache.PageCacheMiddleware"),
    "commerce.services.http_cache.SharedCacheMiddleware",
)
# Where PURGE requests go (the proxy, e.g. http://127.0.0.1:6081): every catalog version
# change purges each site's "/" after its commit, from a task. Unset: no purging, and
# Wagtail's frontend-cache app is left out (it would queue a task on every page publish).
HTTP_CACHE_PURGE_URL = os.environ.get("HTTP_CACHE_PURGE_URL", "")
if HTTP_CACHE_PURGE_URL:
    INSTALLED_APPS += ["wagtail.contrib.frontend_cache"]
    WAGTAILFRONTENDCACHE = {
        "proxy": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": HTTP_CACHE_PURGE_URL,
        }
    }
# --- end of the shared HTTP cache block -----------------------------------------------------

# --- Background tasks -------------------------------------------------------
# Every side effect (e-mails, feed builds, search index, renditions) is a task
# (commerce/services/tasks.py). TASK_BACKEND picks what runs them:
# - "database" (default): a queue table in the shop's own database, run by
#   `manage.py db_worker`; nothing else to install.
# - "rq": Redis through RQ (`pip install ".[redis]"`, REDIS_URL), run by `manage.py rqworker`.
# - "immediate": in the web process, at once (the tests; never for a real shop).

TASK_BACKEND = os.environ.get("TASK_BACKEND", "database").strip()
TASK_QUEUES = ["default"]
if TASK_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
elif TASK_BACKEND == "immediate":
    TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": TASK_QUEUES,
        }
    }
elif TASK_BACKEND == "rq":
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
else:
    raise ImproperlyConfigured(
        f"TASK_BACKEND must be database, rq or immediate, not {TASK_BACKEND!r}."
    )

# --- Task queue on Redis (TASK_BACKEND=rq) ----------------------------------
# RQ through django-tasks-rq: each queue above is an RQ queue at REDIS_URL, worked by
# `manage.py rqworker default --with-scheduler` (the scheduler moves delayed jobs, such as
# retries, onto the queue when due). Retries: commerce/services/tasks.py.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if TASK_BACKEND == "rq":
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            "TASK_BACKEND=rq needs REDIS_URL (redis://host:6379/1), not " + repr(REDIS_URL)
        )
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = rq_queues(REDIS_URL, TASK_QUEUES)
    # The worker runs a job through django-tasks-rq's job class, which calls the task and
    # reports its end (plain RQ jobs cannot call a Task); no --job-class needed.
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}

# Price-comparison feeds (commerce/integrations/services/price_feeds.py): built by a task
# into the default (media) storage under feeds/, so every app server serves the same file;
# rebuilt when the catalog changes or a feed is FEED_MAX_AGE_SECONDS old (stock counts
# change without a version bump). 0 rebuilds only on catalog changes.
STOREFRONT_FEED_MAX_AGE_SECONDS = env_int("FEED_MAX_AGE_SECONDS", 3600)
# Products read per query while a feed is generated: memory stays bounded by this.
STOREFRONT_FEED_CHUNK_SIZE = 500

# Outgoing webhooks (commerce/integrations/services/webhooks.py). A delivery is tried up to
# WEBHOOK_ATTEMPTS times; the wait after the first failure is WEBHOOK_RETRY_BACKOFF_SECONDS,
# doubling after each (at most WEBHOOK_MAX_BACKOFF_SECONDS): 5, 10, 20, 40, 80 minutes by
# default, six tries over about 2.5 hours. Tests set tiny backoffs.
STOREFRONT_WEBHOOK_ATTEMPTS = env_int("WEBHOOK_ATTEMPTS", 6)
STOREFRONT_WEBHOOK_RETRY_BACKOFF_SECONDS = env_int("WEBHOOK_RETRY_BACKOFF_SECONDS", 300)
STOREFRONT_WEBHOOK_MAX_BACKOFF_SECONDS = env_int("WEBHOOK_MAX_BACKOFF_SECONDS", 7200)
# A subscriber whose deliveries failed this many times in a row (each after its retries) is
# switched off and staff are mailed (STOREFRONT_ORDER_NOTIFICATION_EMAILS).
STOREFRONT_WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 10)
# The delivery log keeps delivered webhooks this long, failed ones longer (staff re-send
# them); pending ones are never pruned.
STOREFRONT_WEBHOOK_DELIVERY_DAYS = env_int("WEBHOOK_DELIVERY_DAYS", 30)
STOREFRONT_FAILED_WEBHOOK_DELIVERY_DAYS = env_int("FAILED_WEBHOOK_DELIVERY_DAYS", 90)
# Subscriber URLs must be https unless DEBUG or this is set (receivers on loopback).
STOREFRONT_WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", False)
# Subscribers on loopback or private networks (an ERP inside the shop's own network); off,
# webhooks are sent only to public addresses (SSRF: commerce.integrations.services.webhooks).
STOREFRONT_WEBHOOK_PRIVATE_ADDRESSES = env_bool("WEBHOOK_PRIVATE_ADDRESSES", False)

# --- Auth -------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account:login"
LOGIN_REDIRECT_URL = "account:overview"
LOGOUT_REDIRECT_URL = "/"
# Staff keep Wagtail's own login page for the admin.
WAGTAILADMIN_LOGIN_URL = "wagtailadmin_login"

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Countries and phone numbers (issue 16, part "forms") ---------------------

# The countries the shop delivers to, its home country first. The delivery methods carry no
# countries, so this list is the one place: address forms offer these first in their country
# select (django-countries' COUNTRIES_FIRST) and pre-fill the first; phone numbers typed
# without "+" are read as numbers of the first (django-phonenumber-field's default region).
STOREFRONT_SHIPPING_COUNTRIES = os.environ.get("SHIPPING_COUNTRIES", "PL,DE,CZ,SK,LT").split(",")
COUNTRIES_FIRST = STOREFRONT_SHIPPING_COUNTRIES
COUNTRIES_FIRST_BREAK = "──────────"
PHONENUMBER_DEFAULT_REGION = STOREFRONT_SHIPPING_COUNTRIES[0]
PHONENUMBER_DB_FORMAT = "E164"
# Shown as "+48 601 234 567"; a number kept from before that does not parse shows as typed.
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"

# --- Static files and media -------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [PROJECT_DIR / "static"]

MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# Local disk under MEDIA_ROOT, or S3 when AWS_STORAGE_BUCKET_NAME is set (storefront/s3.py).
_media_storage, MEDIA_URL = media_storage()

STORAGES = {
    "default": _media_storage,
    # Compressed, content-hashed names: safe to cache forever. Needs
    # `collectstatic`; with DEBUG on, files come straight from the apps.
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Wagtail's page editor posts many fields for a long StreamField.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# The integration API's batch writes (an ERP's products, stock), checked after the key:
# a batch in a job is larger than Django's DATA_UPLOAD_MAX_MEMORY_SIZE for forms (2.5 MB).
STOREFRONT_API_BATCH_MAX_BYTES = env_int("API_BATCH_MAX_BYTES", 32 * 1024 * 1024)

# --- Security ---------------------------------------------------------------
# Secure by default whenever DEBUG is off; each knob can be relaxed by
# environment for set-ups that need it (documented in the README).

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # Wagtail's preview views opt in to SAMEORIGIN themselves.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    # Only behind a proxy that sets this header itself and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The health checks answer plain HTTP from a load balancer.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]

# --- E-mail -----------------------------------------------------------------

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "shop@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- E-mail retries -----------------------------------------------------------
# E-mails are tasks (commerce/services/notifications.py): while the mail server is down
# one is tried again after this many seconds, then twice as long each time (at most an
# hour, six tries in all). Tests set 1.
STOREFRONT_EMAIL_RETRY_BACKOFF_SECONDS = env_int("EMAIL_RETRY_BACKOFF_SECONDS", 30)

# --- Shop -------------------------------------------------------------------

# A checkout left alone this long expires; the cart stays, the shopper starts again.
STOREFRONT_CHECKOUT_IDLE_MINUTES = env_int("CHECKOUT_IDLE_MINUTES", 30)
# The most units of one product a cart line may hold, whatever the stock.
STOREFRONT_MAX_LINE_QUANTITY = env_int("MAX_LINE_QUANTITY", 99)
# Guests' shopping lists are kept this long after their last change
# (the scheduler's purge_guest_lists job deletes older ones, daily).
STOREFRONT_GUEST_LIST_DAYS = env_int("GUEST_LIST_DAYS", 30)
# Who hears about new orders (comma-separated e-mail addresses).
STOREFRONT_ORDER_NOTIFICATION_EMAILS = [
    address.strip()
    for address in os.environ.get("ORDER_NOTIFICATION_EMAILS", "").split(",")
    if address.strip()
]
# Payment providers offered to staff when they set up payment methods.
STOREFRONT_PAYMENT_PROVIDERS = [
    "commerce.payments.mock.MockCardProvider",
    "commerce.payments.offline.CashOnDeliveryProvider",
    "commerce.payments.offline.BankTransferProvider",
]

# --- Scheduled jobs ---------------------------------------------------------
# Run by `manage.py run_scheduler` (any number of them, on any machines: each job
# runs once per interval; commerce/services/scheduler.py). Each job is
# (name, interval in seconds, task import path); adding a job is one line here plus
# a @background_task. SCHEDULE_SCALE multiplies every interval (0.5 runs them twice
# as often; tests shrink them to seconds); an interval never drops below a second.

SCHEDULE_SCALE = float(os.environ.get("SCHEDULE_SCALE", "1") or 1)
STOREFRONT_SCHEDULE = [
    (name, max(1, round(seconds * SCHEDULE_SCALE)), path)
    for name, seconds, path in [
        ("publish_scheduled", 60, "commerce.services.maintenance.publish_scheduled_task"),
        ("requeue_stuck_tasks", 300, "commerce.services.maintenance.requeue_stuck_tasks_task"),
        ("expire_checkouts", 900, "commerce.services.maintenance.expire_checkouts_task"),
        (
            "rebuild_stale_feeds",
            900,
            "commerce.integrations.services.price_feeds.rebuild_stale_feeds_task",
        ),
        ("purge_stale_carts", 86400, "commerce.services.maintenance.purge_stale_carts_task"),
        ("purge_guest_lists", 86400, "commerce.services.maintenance.purge_guest_lists_task"),
        ("prune_task_results", 86400, "commerce.services.maintenance.prune_task_results_task"),
        (
            "prune_batch_jobs",
            86400,
            "commerce.integrations.services.batch_jobs.prune_batch_jobs_task",
        ),
        (
            "prune_webhook_deliveries",
            86400,
            "commerce.integrations.services.webhooks.prune_deliveries_task",
        ),
    ]
]
# Guest carts idle this long are deleted (accounts' carts never are).
STOREFRONT_STALE_CART_DAYS = env_int("STALE_CART_DAYS", 30)
# An expired checkout still holding the shopper's answers (e-mail, addresses) is kept
# this long, so a shopper who comes back finds them filled in; then it is deleted.
STOREFRONT_EXPIRED_CHECKOUT_DAYS = env_int("EXPIRED_CHECKOUT_DAYS", 7)
# Finished background tasks are kept this long for the admin's report, then pruned.
STOREFRONT_TASK_RESULT_DAYS = env_int("TASK_RESULT_DAYS", 14)
# Failed tasks stay longer: staff read and retry them in the admin's report.
STOREFRONT_FAILED_TASK_RESULT_DAYS = env_int("FAILED_TASK_RESULT_DAYS", 90)
# Finished batch jobs of the integration API (Prefer: respond-async) are kept this long
# for their client to read the report, then pruned.
STOREFRONT_BATCH_JOB_DAYS = env_int("BATCH_JOB_DAYS", 7)
# A task still running after this long lost its worker (killed, machine gone): it is
# queued again. Longer than any task runs (a feed of the whole catalog takes minutes).
STOREFRONT_TASK_STUCK_MINUTES = env_int("TASK_STUCK_MINUTES", 60)

# --- Integrations -------------------------------------------------------------

# The create-order API's JSON Web Tokens (commerce/integrations/jwt_auth.py), HS256. The
# signing key is derived from INTEGRATION_JWT_SECRET, or from SECRET_KEY when it is
# empty; changing either invalidates every token issued.
INTEGRATION_JWT_SECRET = os.environ.get("INTEGRATION_JWT_SECRET", "")
INTEGRATION_JWT_ACCESS_SECONDS = env_int("INTEGRATION_JWT_ACCESS_SECONDS", 300)
INTEGRATION_JWT_REFRESH_SECONDS = env_int("INTEGRATION_JWT_REFRESH_SECONDS", 24 * 60 * 60)
# Orders created through the API are paid with the first active payment method of
# this (offline) provider.
INTEGRATION_ORDER_PAYMENT_PROVIDER = os.environ.get(
    "INTEGRATION_ORDER_PAYMENT_PROVIDER", "bank_transfer"
)

# --- Logging, request ids, errors and readiness ------------------------------
# README, "Health checks and logs". One line per request with its id (pages/request_log.py);
# LOG_FORMAT=json for JSON lines; errors to Sentry when SENTRY_DSN is set.

LOGGING = logging_config()

INSTALLED_APPS += ["django_guid"]
MIDDLEWARE = [
    # Outermost: the access line times the whole answer and sees its final status.
    "pages.request_log.AccessLogMiddleware",
    # The request id: X-Request-ID from the proxy when it is a UUID, else a new one.
    "django_guid.middleware.guid_middleware",
    *MIDDLEWARE,
]
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,  # no cross-origin script reads it
}

# Errors to Sentry when SENTRY_DSN is set (storefront/sentry.py; sentry-sdk is optional).
init_sentry()

# /readyz/ (pages/health.py): the task queue counts as not ready when more than
# READYZ_QUEUE_MAX_LATE tasks have been due for READYZ_QUEUE_LATE_SECONDS (no worker is
# keeping up; 0 leaves the queue out), and as degraded (still 200) past
# READYZ_QUEUE_MAX_FAILED failed tasks (staff retry them in the admin).
STOREFRONT_READYZ_QUEUE_LATE_SECONDS = env_int("READYZ_QUEUE_LATE_SECONDS", 300)
STOREFRONT_READYZ_QUEUE_MAX_LATE = env_int("READYZ_QUEUE_MAX_LATE", 100)
STOREFRONT_READYZ_QUEUE_MAX_FAILED = env_int("READYZ_QUEUE_MAX_FAILED", 100)
# Seconds media storage (S3 over the network) may take to answer before it counts as down.
STOREFRONT_READYZ_STORAGE_TIMEOUT = env_int("READYZ_STORAGE_TIMEOUT", 3)

# --- Wagtail ----------------------------------------------------------------

WAGTAIL_SITE_NAME = os.environ.get("WAGTAIL_SITE_NAME", "Storefront")
# Draftail, reading a value it did not write as a form error (pages/rich_text.py).
WAGTAILADMIN_RICH_TEXT_EDITORS = {"default": {"WIDGET": "pages.rich_text.RichTextInput"}}
# Staff reset their password through the shop's own page (/account/password-reset/), which
# is rate-limited; Wagtail's unlimited admin form would mail any account, shoppers included.
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
# Documents always go through Wagtail's view, which checks collection privacy and
# streams the file with its own headers (attachment, CSP `default-src 'none'`).
# "redirect" (Wagtail's default for S3) would need documents/ publicly readable
# or signed URLs; both would hand out links that outlive any privacy setting.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# Nothing calls out to the internet at run time or in tests.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Wagtail 8's autosave posts the edit form in the background every half second. A product's
# form carries inline variants with unique SKUs and a unique slug, and a save that races an
# autosave fails on them: a "Publish" clicked while the create form's autosave was in flight
# created the product twice (a 500 on the slug, seen in tests/browser/test_variant_editor.py),
# and Wagtail reports the same for inline rows (wagtail/wagtail#14359). Off until Wagtail
# settles it; WAGTAIL_AUTOSAVE_INTERVAL=500 (milliseconds) turns it on.
WAGTAIL_AUTOSAVE_INTERVAL = env_int("WAGTAIL_AUTOSAVE_INTERVAL", 0)
WAGTAILEMBEDS_RESPONSIVE_HTML = True

# --- Limits on abuse ------------------------------------------------------------
# Everything for log-in lock-out and request limits is in this block
# (commerce/services/limits.py; README, "Limits on abuse").

INSTALLED_APPS += ["axes", "django_ratelimit"]
# Last: it turns a log-in refused by axes into the lock-out answer.
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
# AxesStandaloneBackend refuses a locked-out account or address before any
# password is checked; ModelBackend then authenticates as before.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed log-ins are counted in the database rather than the cache: PostgreSQL is
# shared by every worker even without CACHE_URL, and a lock-out survives a cache
# flush or restart. Only failures write (AXES_DISABLE_ACCESS_LOG).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each one on its own
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
# The cool-off runs from the failure that locked; attempts while locked out do
# not extend it, so a stranger can't keep an account locked for ever by trying.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "commerce.services.limits.login_username"
AXES_CLIENT_IP_CALLABLE = "commerce.services.limits.axes_client_ip"
AXES_LOCKOUT_CALLABLE = "commerce.views.limits.locked_out"
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False  # no Django admin here; `manage.py axes_reset` lifts lock-outs

# Proxies in front of the shop that append the client to X-Forwarded-For; the
# client IP every limit counts by is that many entries from the right. 0: REMOTE_ADDR.
STOREFRONT_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
RATELIMIT_USE_CACHE = "default"
STOREFRONT_RATE_LIMITS = {
    "password_reset_address": env_rate("LIMIT_PASSWORD_RESET_PER_ADDRESS", "3/h"),
    "password_reset_ip": env_rate("LIMIT_PASSWORD_RESET_PER_IP", "20/h"),
    "signup_ip": env_rate("LIMIT_SIGNUP_PER_IP", "10/h"),
    "api_auth_ip": env_rate("LIMIT_API_AUTH_PER_IP", "30/m"),
    "api_refresh_ip": env_rate("LIMIT_API_REFRESH_PER_IP", "30/m"),
    "coupon_cart": env_rate("LIMIT_COUPON_PER_CART", "10/h"),
    "coupon_ip": env_rate("LIMIT_COUPON_PER_IP", "60/h"),
    "cart_writes": env_rate("LIMIT_CART_WRITES_PER_SESSION", "120/m"),
    "list_writes": env_rate("LIMIT_LIST_WRITES_PER_SESSION", "120/m"),
    # Writes through the integration API (status changes, the ERP connector), per key.
    "api_writes_key": env_rate("LIMIT_API_WRITES_PER_KEY", "600/m"),
}
# --- product part: back-in-stock alerts (commerce.views.stock_alerts) ---
STOREFRONT_RATE_LIMITS |= {
    "stock_alert_ip": env_rate("LIMIT_STOCK_ALERT_PER_IP", "30/h"),
    "stock_alert_address": env_rate("LIMIT_STOCK_ALERT_PER_ADDRESS", "10/h"),
}
# --- end product part ---
# After this many refused coupon codes in an hour (per cart or per address), every
# refusal reads the same, whether the code exists or not.
STOREFRONT_COUPON_GUESS_AFTER = env_int("COUPON_GUESS_AFTER", 3)
# django-ratelimit calls LocMem "not shared" (an error) and Django's own Redis
# backend "not officially supported". LocMem is the embedded default, counting per
# process; CACHE_URL=redis://... shares the counters, and Django's RedisCache
# increments atomically (INCR), which is all the counters need.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# --- Security headers and the admin's public address ------------------------
# Content-Security-Policy (django-csp, middleware in storefront/security.py),
# Permissions-Policy (django-permissions-policy) and WAGTAILADMIN_BASE_URL. README:
# "Security headers".

# What raw-HTML blocks and rich-text embeds (trusted editors' content) may load besides
# this site: "directive source ...; directive source ...", in CSP syntax.
CSP_RAW_HTML_DIRECTIVES = (
    "script-src",
    "style-src",
    "style-src-attr",
    "img-src",
    "media-src",
    "font-src",
    "frame-src",
    "connect-src",
    "form-action",
)


def csp_sources(name: str) -> dict[str, list[str]]:
    """Extra CSP sources per directive from the environment variable `name`, e.g.
    `frame-src https://www.youtube-nocookie.com; img-src https://stats.example.com`."""
    sources: dict[str, list[str]] = {directive: [] for directive in CSP_RAW_HTML_DIRECTIVES}
    for part in os.environ.get(name, "").split(";"):
        words = part.split()
        if not words:
            continue
        directive, *values = words
        if directive not in sources:
            raise ImproperlyConfigured(
                f"{name}: {directive!r} is not one of {', '.join(CSP_RAW_HTML_DIRECTIVES)}."
            )
        if not values or any("," in value for value in values):
            raise ImproperlyConfigured(
                f"{name}: {directive} needs sources separated by spaces, such as "
                f"'{directive} https://cdn.example.com'."
            )
        sources[directive] += values
    return sources


CSP_RAW_HTML_SOURCES = csp_sources("CSP_RAW_HTML_SOURCES")
# Media may live on S3 or a CDN (MEDIA_URL is absolute then).
_media_origins = [MEDIA_URL] if MEDIA_URL.startswith(("https://", "http://")) else []


def _with_raw_html(directive: str, *own: str) -> list[str]:
    return [*own, *CSP_RAW_HTML_SOURCES[directive]]


# The shop: nothing inline but what carries the request's nonce (the branding <style>;
# cached pages get a fresh one per answer, commerce/services/page_cache.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": _with_raw_html("script-src", SELF, NONCE),
        "style-src": _with_raw_html("style-src", SELF, NONCE),
        "style-src-attr": CSP_RAW_HTML_SOURCES["style-src-attr"] or None,
        "img-src": _with_raw_html("img-src", SELF, "data:", *_media_origins),
        "media-src": _with_raw_html("media-src", SELF, *_media_origins),
        "font-src": _with_raw_html("font-src", SELF),
        "frame-src": _with_raw_html("frame-src", SELF),
        "connect-src": _with_raw_html("connect-src", SELF),
        "form-action": _with_raw_html("form-action", SELF),
        "object-src": [NONE],
        "base-uri": [SELF],
        # As X-Frame-Options DENY, for browsers that only read CSP.
        "frame-ancestors": [NONE],
    },
}
# The Wagtail admin (and its preview of shop pages, served under the same prefix) writes
# inline scripts and style attributes of its own, which no nonce can reach: it gets
# 'unsafe-inline' for those two, and may frame itself (the live preview). Only staff
# reach these URLs, after logging in.
STOREFRONT_ADMIN_CSP_PREFIX = "/admin/"
STOREFRONT_ADMIN_CSP_DIRECTIVES = {
    **CONTENT_SECURITY_POLICY["DIRECTIVES"],
    "script-src": _with_raw_html("script-src", SELF, UNSAFE_INLINE),
    "style-src": _with_raw_html("style-src", SELF, UNSAFE_INLINE),
    "style-src-attr": None,
    "img-src": _with_raw_html("img-src", SELF, "data:", "blob:", *_media_origins),
    "font-src": _with_raw_html("font-src", SELF, "data:"),
    "frame-ancestors": [SELF],
}

# Powerful browser features: nothing on this site uses them. Fullscreen stays for the
# site itself and for framed embeds it allows (a video player's fullscreen button).
_embed_origins = [
    source
    for source in CSP_RAW_HTML_SOURCES["frame-src"]
    if source.startswith(("https://", "http://")) and "*" not in source
]
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "browsing-topics": [],
    "camera": [],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": ["self", *(origin.rstrip("/") for origin in _embed_origins)],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "picture-in-picture": [],
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}

# Links in e-mails to staff (new orders, Wagtail's notifications) start with this. A
# laptop gets the local server; with DEBUG off there is no default, so no production
# e-mail can point at localhost (pages/checks.py also checks what is set).
WAGTAILADMIN_BASE_URL = admin_base_url(debug=DEBUG)

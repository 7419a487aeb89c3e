"""Settings for the tracker.

Every value that differs between a laptop and a server comes from an environment
variable with a safe development default, so `make run` needs no configuration.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# The development key is only ever used with DEBUG on; production must set SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (a long random string) when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# A form refused for want of a valid CSRF token gets a page of the site's own.
CSRF_FAILURE_VIEW = "tracker.ops.errors.csrf_failure"

INSTALLED_APPS = [
    # modeltranslation patches the admin, so it comes before it.
    "modeltranslation",
    "tracker.apps.TrackerAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django.contrib.sitemaps",
    "simple_history",
    "django_tables2",
    "django_filters",
    "import_export",
    "axes",
    "ninja",
    "django_ratelimit",
    "django_tasks_db",
    "tracker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Django's Content Security Policy, built once for the pages that use no nonce.
    "tracker.ops.security.PolicyMiddleware",
    # Before anything reads the address: a NUL byte in it is refused with a message.
    "tracker.ops.security.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cached public pages are answered here, like static files, before the rest runs;
    # they still pass out through the security headers above.
    "tracker.ops.pagecache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]
# How long a rendered public page is kept; any change to the data replaces it sooner.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "300"))
# Stored statuses (tracker.stored) are recomputed when a change commits; the tests, run
# in a transaction that never commits, recompute them at once instead.
STORED_STATUSES_AT_ONCE = env_bool("STORED_STATUSES_AT_ONCE", False)

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The sixth wrong password for an account from one address locks that account from
# that address, and only there, for an hour: guessing at `admin` from elsewhere never
# locks the real admin out. An address with many failures across accounts (password
# spraying) is locked for every account. Staff see and lift lockouts in the admin (Axes:
# access attempts). Addresses are read as tracker.ops.security.client_ip explains.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "6"))
AXES_ADDRESS_FAILURE_LIMIT = int(os.environ.get("AXES_ADDRESS_FAILURE_LIMIT", "30"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "1"))
if AXES_ADDRESS_FAILURE_LIMIT <= AXES_FAILURE_LIMIT:
    raise ImproperlyConfigured("AXES_ADDRESS_FAILURE_LIMIT must be above AXES_FAILURE_LIMIT.")
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "tracker.ops.security.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "tracker.ops.security.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "tracker/locked_out.html"

IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Bounds on a file imported in the admin (tracker.editorial.uploads): its size, its size unpacked
# (an XLSX is a zip archive), its rows and the characters in one cell. Within them a
# preview takes seconds, well inside gunicorn's timeout.
IMPORT_MAX_FILE_BYTES = int(os.environ.get("IMPORT_MAX_FILE_BYTES", str(2 * 1024 * 1024)))
IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("IMPORT_MAX_UNPACKED_BYTES", str(20 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "500"))
IMPORT_MAX_CELL_CHARS = int(os.environ.get("IMPORT_MAX_CELL_CHARS", "5000"))
# An import (or its preview) running longer than this is stopped and rolled back, well
# before gunicorn's timeout (GUNICORN_TIMEOUT, 30 s), with a message to split the file.
IMPORT_TIME_LIMIT_SECONDS = float(os.environ.get("IMPORT_TIME_LIMIT_SECONDS", "20"))
# Uploaded files go to a temporary file, of which no more than the largest accepted is
# kept; other form data is held in memory up to 1 MB a request (a long progress update
# is a few tens of kilobytes).
FILE_UPLOAD_HANDLERS = ["tracker.editorial.uploads.BoundedUploadHandler"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tracker.public.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Persistent connections, checked before each request's first query, so the app
        # survives a database restart without being restarted itself.
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Short queries: PostgreSQL's JIT compiler costs more than it saves here.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "tracker" / "locale"]
USE_I18N = True
USE_TZ = True
# The first programmes are Chinese; "today" for a deadline is Beijing's today.
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")

MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "zh-hans")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en", "zh-hans")

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Evidence files (sources' documents, archived pages, photos): on the local file system
# under MEDIA_ROOT by default, or in any S3-compatible object store with
# STORAGE_BACKEND=s3 and the AWS_* variables django-storages reads (see README). They
# are served only through tracker.public.files, never straight from MEDIA_URL.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"
STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "filesystem")
if STORAGE_BACKEND == "s3":
    _default_storage: dict = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("AWS_STORAGE_BUCKET_NAME", ""),
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "location": os.environ.get("AWS_LOCATION", ""),
            # Private objects: every file is served by the site, after its checks.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif STORAGE_BACKEND == "filesystem":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured("STORAGE_BACKEND: use filesystem or s3.")
# Uploads: what one evidence file may weigh, and the largest image (in pixels) opened.
EVIDENCE_MAX_FILE_BYTES = int(os.environ.get("EVIDENCE_MAX_FILE_BYTES", str(10 * 1024 * 1024)))
EVIDENCE_MAX_IMAGE_PIXELS = int(os.environ.get("EVIDENCE_MAX_IMAGE_PIXELS", str(40_000_000)))
# Archived copies of cited pages are fetched only where the operator allows outbound
# access; private and loopback addresses never, unless a test allows them.
ARCHIVE_FETCH_ENABLED = env_bool("ARCHIVE_FETCH_ENABLED", False)
ARCHIVE_ALLOW_PRIVATE_ADDRESSES = env_bool("ARCHIVE_ALLOW_PRIVATE_ADDRESSES", False)
ARCHIVE_TIMEOUT_SECONDS = float(os.environ.get("ARCHIVE_TIMEOUT_SECONDS", "10"))
ARCHIVE_MAX_BYTES = int(os.environ.get("ARCHIVE_MAX_BYTES", str(EVIDENCE_MAX_FILE_BYTES)))
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# A shared cache for several app servers (Redis) in production; memory otherwise. If
# Redis fails, pages are served uncached rather than not at all (tracker.ops.cache).
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "tracker.ops.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_PREFIX", "tracker"),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Readers' evidence (tracker/public/evidence.py): submissions per address, counted in the
# shared cache. django-ratelimit knows django-redis but not Django's own Redis cache,
# which increments atomically too (INCR), hence W001. Without REDIS_URL (development and
# the tests, one process) the local-memory cache counts for that process only, which is
# what E003 warns of; production sets REDIS_URL.
EVIDENCE_RATE = os.environ.get("EVIDENCE_RATE", "5/h")
# Following by e-mail (tracker/public/following.py): sign-ups per sender's address, and
# confirmation messages per e-mail address (past which a sign-up sends nothing more).
FOLLOW_RATE = os.environ.get("FOLLOW_RATE", "10/h")
FOLLOW_ADDRESS_RATE = os.environ.get("FOLLOW_ADDRESS_RATE", "5/d")
# With the cache down the count is unknown: the forms then refuse (503, saying the site
# is the reason: tracker/public/limits.py) rather than take submissions without one.
RATELIMIT_FAIL_OPEN = False
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"] + (
    [] if REDIS_URL else ["django_ratelimit.E003"]
)

# With Redis down, one warning per process per this many seconds, not one per request.
CACHE_ERROR_LOG_SECONDS = int(os.environ.get("CACHE_ERROR_LOG_SECONDS", "60"))

# In development, static files are read from their folders as they change.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG

LOGIN_URL = "admin:login"
# Staff may add a second factor (an authenticator app or backup codes) and must then
# give its code at login; in production a superuser cannot use the admin without one.
OTP_REQUIRED_FOR_SUPERUSERS = env_bool("OTP_REQUIRED_FOR_SUPERUSERS", not DEBUG)
OTP_TOTP_ISSUER = "Policy target tracker"
# Require a second factor of every member of staff, not only of superusers (a programme
# may also require it of its own managers and editors: Programme.requires_two_factor).
OTP_REQUIRED_FOR_STAFF = env_bool("OTP_REQUIRED_FOR_STAFF", False)
# Invitation links for new staff expire after this many seconds (default three days).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("INVITATION_TIMEOUT", str(3 * 24 * 3600)))

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"

# Every message is queued (tracker.ops.mail) and sent by a task of Django's tasks
# framework. TASKS_BACKEND=database (the default with DEBUG off) keeps tasks in the
# database, where `manage.py worker` runs them; TASKS_BACKEND=immediate (the default in
# development and the tests) runs each as soon as the transaction that queued it commits.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "immediate" if DEBUG else "database")
_TASK_BACKENDS = {
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured("TASKS_BACKEND must be 'database' or 'immediate'.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND]}}
# A message the mail server refuses (or that cannot reach it) is tried again after
# MAIL_RETRY_SECONDS, then twice as long each time up to an hour, MAIL_MAX_ATTEMPTS
# times in all (about four hours by default); then it is marked failed and logged.
MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "10"))
MAIL_RETRY_SECONDS = float(os.environ.get("MAIL_RETRY_SECONDS", "60"))
# A worker sending a message holds it this long; a message still "sending" after that
# (its worker was killed) is sent again. Longer than the SMTP timeout, so that a slow
# server is never mistaken for a dead worker.
MAIL_SMTP_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "30"))
MAIL_LEASE_SECONDS = float(os.environ.get("MAIL_LEASE_SECONDS", "300"))
if MAIL_LEASE_SECONDS <= MAIL_SMTP_TIMEOUT:
    raise ImproperlyConfigured("MAIL_LEASE_SECONDS must be longer than EMAIL_TIMEOUT.")
# In development mail is printed to the console; in production it goes by SMTP to
# EMAIL_HOST (with EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS).
_EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": {
            key: value
            for key, value in {
                "host": os.environ.get("EMAIL_HOST"),
                "port": int(os.environ["EMAIL_PORT"]) if os.environ.get("EMAIL_PORT") else None,
                "username": os.environ.get("EMAIL_HOST_USER"),
                "password": os.environ.get("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", False) or None,
                "timeout": MAIL_SMTP_TIMEOUT
                if _EMAIL_BACKEND.endswith("smtp.EmailBackend")
                else None,
            }.items()
            if value is not None
        },
    }
}
# The site's public address, for links in e-mail (invitations, workflow messages).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tracker@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


# Security. Off in development (plain http on 127.0.0.1); on as soon as DEBUG is off.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # badges, being images, are embedded without frames
# Behind a proxy that terminates TLS: it says the scheme, the host and, from the
# addresses in TRUSTED_PROXIES only, the client's address (X-Forwarded-For).
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "127.0.0.1,::1")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from error
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# No inline script or style on any public page; the admin's few inline styles carry
# the per-request nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "tracker.ops.logs.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"}
        | ({"formatter": "json"} if env_bool("LOG_JSON", not DEBUG) else {})
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}

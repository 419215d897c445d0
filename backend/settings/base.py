"""Settings shared by every environment. Development-safe defaults; production.py removes them."""

from datetime import timedelta
from pathlib import Path

from .env import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin with the staff second factor (accounts/admin_site.py).
    "backend.accounts.admin_site.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "backend.common",
    "backend.accounts",
    "backend.audit",
    "backend.adherence",
    "backend.sideeffects",
    "backend.labs",
    "backend.refills",
    "backend.alerts",
    "backend.notifications",
    "backend.caregivers",
    "backend.demo",
    "backend.api",
    "backend.reports",
    "backend.patientapp",
    "backend.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "backend.common.middleware.NoStoreMiddleware",
    "backend.api.middleware.RequestBodyLimitMiddleware",
    # The request's origin (address, user agent) for every audit row written while it is
    # served, browser or bearer API: before any middleware that audits (session timeout).
    "backend.audit.context.AuditOriginMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(); then a staff session without a second factor is ended.
    "django_otp.middleware.OTPMiddleware",
    "backend.accounts.middleware.StaffSessionMfaMiddleware",
    "backend.accounts.session_timeout.StaffSessionTimeoutMiddleware",
    # Audits throttled sign-ins after the response, outside the request's transaction.
    "backend.accounts.lockout.SignInThrottleAuditMiddleware",
    # Django's MessageMiddleware, skipped for bearer API requests (no page to show one on).
    "backend.api.middleware.BrowserMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout raised by authentication into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"
ASGI_APPLICATION = "backend.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # `make run` (web, worker and beat on one SQLite file): write-ahead logging lets readers
    # go on while the worker writes, a busy timeout waits for the lock instead of failing at
    # once with "database is locked", and IMMEDIATE transactions take the write lock when
    # they begin, so a read-then-write transaction never fails half-way on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=20),
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
elif DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A server that does not answer (a dropped network, not a refused port) fails a connection
    # after this long instead of the operating system's minutes.
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT_SECONDS", default=5),
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# /healthz (backend/common/health.py) waits at most HEALTH_WAIT_MS for a fresh check of each
# dependency, else answers from the last one; a check running longer than
# HEALTH_CHECK_TIMEOUT_SECONDS counts as that dependency down.
HEALTH_WAIT_MS = env.int("HEALTH_WAIT_MS", default=40)
HEALTH_CHECK_TIMEOUT_SECONDS = env.float("HEALTH_CHECK_TIMEOUT_SECONDS", default=1.0)

# The sign-in throttle counts in the cache, so every web process must share it: production
# uses Redis (CACHE_URL, else REDIS_URL). django-axes keeps its counts in the database.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, as django-axes requires: refuses locked-out credentials before any other backend.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
    ("de", "Deutsch"),
]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Bodies above 1 MB are refused with 413 before anything parses them (see api/middleware.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
REQUEST_BODY_MAX_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE
# A JSON body nested deeper than this is a 400 (api/parsers.py); real bodies nest under 10.
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)
# Every date or instant a client sends must fall in these years, else a 400 naming the field
# (common/dates.py): dates near year 1 or 9999 overflow as soon as a day is added.
INPUT_DATE_MIN_YEAR = env.int("INPUT_DATE_MIN_YEAR", default=1900)
INPUT_DATE_MAX_YEAR = env.int("INPUT_DATE_MAX_YEAR", default=2200)
# Responses under these paths may hold patient data: `Cache-Control: no-store`
# (common/middleware.py). The patient app's shell (/app/) and static files keep their caching.
NO_STORE_PATH_PREFIXES = ("/api/", "/dashboard/", "/admin/")

# The OpenAPI schema and docs (/api/schema/, /api/docs/): public in development, for signed-in
# care staff only in production (docs/security.md).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=True)

# Staff sign in to the dashboard with a session; phones use bearer tokens (api/).
LOGIN_URL = "dashboard:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "dashboard:login"

# Staff second factor (issue 18; accounts/mfa.py): every nurse, coordinator and administrator
# signs in with a TOTP code (or a one-time recovery code) on the dashboard, the admin and the
# API's login. On everywhere; only the test suite's settings turn it off (its own tests turn it
# back on). Patients never need one.
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=True)
# Recovery codes given at enrolment (each works once).
STAFF_MFA_RECOVERY_CODES = env.int("STAFF_MFA_RECOVERY_CODES", default=10)
# Between the password and the code: how long the half-signed-in state lasts, and how many
# wrong codes end it (the password is then asked again).
STAFF_MFA_PENDING_SECONDS = env.int("STAFF_MFA_PENDING_SECONDS", default=300)
STAFF_MFA_MAX_ATTEMPTS = env.int("STAFF_MFA_MAX_ATTEMPTS", default=5)
# The name authenticator apps show next to the account (django-otp's otpauth:// issuer).
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="GIST adherence")

# Content Security Policy (django-csp): scripts and styles only from our own static files, so
# a note or free text that slipped past escaping still could not run. The interactive API docs
# (Swagger UI) start from an inline script and keep Django's defaults instead.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# The patient app (/app/): Firebase's web app config (the JSON object the Firebase console
# gives for a web app: apiKey, projectId, messagingSenderId, appId...) and the web push
# certificate's public key (VAPID). Both are public. Without both, the app's settings screen
# says push reminders are not set up on this server.
PATIENT_APP_FIREBASE_CONFIG = env.json("PATIENT_APP_FIREBASE_CONFIG", default={})
PATIENT_APP_FIREBASE_VAPID_KEY = env("PATIENT_APP_FIREBASE_VAPID_KEY", default="")
# How often the nurse's alert queue asks for new alerts (the issue asks for under 30 s).
DASHBOARD_POLL_SECONDS = env.int("DASHBOARD_POLL_SECONDS", default=15)
DASHBOARD_PAGE_SIZE = env.int("DASHBOARD_PAGE_SIZE", default=50)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE_SECONDS", default=12 * 60 * 60)
# Staff sessions and staff bearer tokens end after this long without a request the person made
# (background refreshes do not count), and this long after sign-in whatever happens
# (backend/accounts/session_timeout.py).
STAFF_SESSION_IDLE_MINUTES = env.int("STAFF_SESSION_IDLE_MINUTES", default=30)
STAFF_SESSION_MAX_HOURS = env.int("STAFF_SESSION_MAX_HOURS", default=12)
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send the CSRF header
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Reverse proxies in front of the app (each adds one X-Forwarded-For hop). The lockout, the
# throttle and the audit log all find the client address with this (common/client_address.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Where those proxies connect from: X-Forwarded-For is read only on a connection from these
# networks, so a client reaching gunicorn directly cannot choose its address. The default is
# this host and the private networks; narrow it to your proxies' addresses.
TRUSTED_PROXY_ADDRESSES = env.list(
    "TRUSTED_PROXY_ADDRESSES",
    default=[
        "127.0.0.0/8",
        "::1/128",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "fc00::/7",
    ],
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backend.api.authentication.BearerTokenAuthentication",
        "backend.api.authentication.CheckedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["backend.api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "backend.api.pagination.StandardPagination",
    "DEFAULT_SCHEMA_CLASS": "backend.api.schema.ErrorDocumentingAutoSchema",
    "EXCEPTION_HANDLER": "backend.api.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anonymous_auth": env("AUTH_THROTTLE_RATE", default="30/min")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Clients are told apart by address: trust X-Forwarded-For only from our own proxies.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "GIST imatinib adherence API",
    "DESCRIPTION": (
        "Dose logging, side-effect reports and care-team alerts for people taking imatinib "
        "for gastrointestinal stromal tumour. Phones authenticate with `Authorization: Bearer "
        "<token>`; staff browsers with a session and CSRF token. Every error is JSON: "
        "`{code, detail, errors: [{field, reason}]}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ScheduledDoseStatusEnum": [
            "taken",
            "taken_late",
            "skipped",
            "missed",
            "pending",
            "on_hold",
        ],
        "DoseLogInputStatusEnum": ["taken", "skipped"],
    },
}

# Per-device bearer tokens for phones (ADR 0001): revocable one by one or all at once.
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": timedelta(days=env.int("AUTH_TOKEN_TTL_DAYS", default=30)),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": timedelta(days=env.int("AUTH_TOKEN_MAX_TTL_DAYS", default=365)),
}
# Signing in on another device beyond this many drops the oldest token (a lost phone's, say).
AUTH_TOKENS_PER_USER = env.int("AUTH_TOKENS_PER_USER", default=10)

# Sign-in lockout (backend/accounts/lockout.py, docs/security.md "Sign-in lockout and rate
# limits"): an account is locked after LOGIN_FAILURE_LIMIT failures from any addresses, and an
# address after LOGIN_FAILURE_LIMIT_PER_ADDRESS failures across any usernames, each for the
# cool-off time. Unknown usernames are counted the same way, so the response never tells
# whether a username exists. AUTH_THROTTLE_RATE (above) also limits every sign-in POST per
# address, on the API and the dashboard (which /admin/login/ redirects to).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env.int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "backend.accounts.lockout.SignInLockoutHandler"
# A right password clears that account's failures only (SignInLockoutHandler).
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "backend.api.exceptions.lockout_response"
AXES_CLIENT_IP_CALLABLE = "backend.common.client_address.client_address"

# A plan whose days on drug end below this share of its planned days is flagged for review
# (clinical facts §3.3: a DESIGN threshold borrowed from CML adherence data, not a GIST rule).
EXPOSURE_SHORTFALL_THRESHOLD = env.float("EXPOSURE_SHORTFALL_THRESHOLD", default=0.9)

# Overrides for the guideline rules docs/clinical-facts.md marks UNCONFIRMED or DESIGN, as JSON:
# {"small_non_gastric_mitotic_risk": "high"}. Names: backend/guidelines/rules.py
# GuidelineSettings. A value other than the default adds non_default_settings to
# recommendations; an invalid one stops every process at start-up.
GUIDELINE_SETTINGS = env.json("GUIDELINE_SETTINGS", default={})

# Dose logging: how far back a phone may log or correct a dose, when a dose counts as late,
# how long after the end of its local day an unlogged dose becomes missed, and how far ahead
# of the server a phone's clock may be.
DOSE_BACKFILL_DAYS = env.int("DOSE_BACKFILL_DAYS", default=7)
DOSE_LATE_AFTER_MINUTES = env.int("DOSE_LATE_AFTER_MINUTES", default=120)
DOSE_MISSED_GRACE_HOURS = env.int("DOSE_MISSED_GRACE_HOURS", default=6)
DOSE_CLOCK_SKEW_SECONDS = env.int("DOSE_CLOCK_SKEW_SECONDS", default=120)
# DESIGN (issue 22): the patient gets one refill reminder when the tablets counted last about
# this many days of full doses or fewer (docs/settings.md; backend/refills).
REFILL_REMINDER_DAYS_LEFT = env.int("REFILL_REMINDER_DAYS_LEFT", default=7)
# A taken_at this long before the dose's own time is a wrong day, not an early dose.
DOSE_EARLIEST_HOURS_BEFORE = env.int("DOSE_EARLIEST_HOURS_BEFORE", default=12)
# DESIGN (docs/clinical-facts.md §2.6): the patient app asks "take it now?" before storing a
# dose logged more than this many hours before its time (the label names no number).
DOSE_EARLY_CONFIRM_HOURS = env.int("DOSE_EARLY_CONFIRM_HOURS", default=2)
# The dose ledger (adherence.ScheduledDose) holds each plan's doses up to this many days past
# the patient's today; a daily job moves the horizon on.
LEDGER_HORIZON_DAYS = env.int("LEDGER_HORIZON_DAYS", default=35)

# Coordinator exports estimated to take more than about 10 s are written by a worker (queue
# "reports") into EXPORT_DIR, with a progress bar on the cohort page; the download link and
# the file last EXPORT_LINK_HOURS. The estimate, from the measured dose export
# (docs/performance.md: 1,163,956 rows of 10,000 patients x 90 days at 56,345 rows/s, i.e.
# 20.7 s for 900,000 patient-days, about 43,600 patient-days/s):
# - 10 s is about 436,000 patient-days: above 430,000 (9.9 s) goes to the background;
# - 20.7 s / 10,000 patients is 2.07 ms a patient (90 days each, an upper bound on a
#   patient's cost for any shorter period): 10 s is 4,840 patients, so above 4,800 patients
#   goes to the background whatever the period.
EXPORT_ASYNC_MIN_PATIENTS = env.int("EXPORT_ASYNC_MIN_PATIENTS", default=4_800)
EXPORT_ASYNC_MIN_PATIENT_DAYS = env.int("EXPORT_ASYNC_MIN_PATIENT_DAYS", default=430_000)
# The key of the study ids in pseudonymised exports (HMAC-SHA256, backend/reports/
# pseudonyms.py): the same patient has the same id in every export made with the same key.
# Production refuses this development default (settings/production.py).
EXPORT_PSEUDONYM_KEY_DEVELOPMENT_DEFAULT = "development-only-export-pseudonym-key"
EXPORT_PSEUDONYM_KEY = env.str(
    "EXPORT_PSEUDONYM_KEY", default=EXPORT_PSEUDONYM_KEY_DEVELOPMENT_DEFAULT
)
EXPORT_DIR = env("EXPORT_DIR", default=str(VAR_DIR / "exports"))
EXPORT_LINK_HOURS = env.int("EXPORT_LINK_HOURS", default=24)

# Mounts /api/v1/bench/constant/ (a bare DRF view, the dose-log benchmark's baseline). Only
# the benchmark sets it; never in production.
BENCH_ENDPOINTS = env.bool("BENCH_ENDPOINTS", default=False)

# An unacknowledged alert is escalated to the whole care team after this many minutes.
ALERT_ESCALATE_URGENT_AFTER_MINUTES = env.int("ALERT_ESCALATE_URGENT_AFTER_MINUTES", default=60)
ALERT_ESCALATE_HIGH_AFTER_MINUTES = env.int("ALERT_ESCALATE_HIGH_AFTER_MINUTES", default=240)
# Coordinators hear about plans ending this many days ahead.
PLAN_ENDING_NOTICE_DAYS = env.int("PLAN_ENDING_NOTICE_DAYS", default=30)

# Dose reminders: follow-ups every N minutes while the dose is not logged (at most M), and a
# reminder more than this late (the worker was down) is dropped rather than sent.
REMINDER_FOLLOW_UP_MINUTES = env.int("REMINDER_FOLLOW_UP_MINUTES", default=60)
REMINDER_MAX_FOLLOW_UPS = env.int("REMINDER_MAX_FOLLOW_UPS", default=2)
REMINDER_MAX_DELAY_MINUTES = env.int("REMINDER_MAX_DELAY_MINUTES", default=30)
# The patient's own reminder settings (NotificationPreference): a reminder at most this many
# minutes before the dose time; follow-ups every 5 to REMINDER_FOLLOW_UP_MINUTES minutes.
REMINDER_MAX_OFFSET_MINUTES = env.int("REMINDER_MAX_OFFSET_MINUTES", default=120)

# Invitations given to patients by their nurse.
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=14)

# Caregivers (backend/caregivers, issue 22): a patient's invitation code for a family member
# stays valid this many hours; a patient has at most this many caregivers; a caregiver hears
# of a dose still not logged this many minutes after its due time (DESIGN values).
CAREGIVER_INVITATION_VALID_HOURS = env.int("CAREGIVER_INVITATION_VALID_HOURS", default=48)
CAREGIVERS_PER_PATIENT_MAX = env.int("CAREGIVERS_PER_PATIENT_MAX", default=3)
CAREGIVER_ALERT_AFTER_MINUTES = env.int("CAREGIVER_ALERT_AFTER_MINUTES", default=120)

# Celery: the broker is Redis when REDIS_URL is set, else kombu's filesystem transport under
# var/ (needs no server; worker and beat in separate processes share the folder).
REDIS_URL = env("REDIS_URL", default="")


def filesystem_broker_options(folder: Path) -> dict[str, object]:
    """kombu's filesystem transport: producers and consumers share one folder of messages."""
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


CELERY_BROKER_DIR = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        # Longer than any task may run, so a slow task is not handed to a second worker.
        "visibility_timeout": 3600,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(CELERY_BROKER_DIR)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True  # tasks write their outcome to PostgreSQL, not to a result store
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
WORKER_HEARTBEAT_INTERVAL_SECONDS = env.float("WORKER_HEARTBEAT_INTERVAL_SECONDS", default=60.0)
# Beat's sweeps, for the fault-injection run only (`make chaos`, bench/chaos/): when above 0,
# the missed-dose sweep and the streak alerts run every N seconds, and due reminders are queued
# every M seconds, instead of the crontabs in worker/beat_schedule.py. 0 (the default, and what
# every deployment uses) keeps the crontabs. All three tasks are idempotent at any frequency.
BEAT_SWEEP_EVERY_SECONDS = env.float("BEAT_SWEEP_EVERY_SECONDS", default=0.0)
BEAT_REMINDERS_EVERY_SECONDS = env.float("BEAT_REMINDERS_EVERY_SECONDS", default=0.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# ---------------------------------------------------------------- push notifications (issue 6)
# Which sender delivers the outbox: "console" logs what it would send (make run); "fcm" sends
# firebase-admin's requests concurrently over aiohttp; "fcm-send-each" through firebase-admin's
# own send_each (the previous, slower sender). See backend/notifications/fcm.py.
PUSH_SENDER = env("PUSH_SENDER", default="console")
# A Firebase service-account JSON file (also gives the project id). Without it the fcm sender
# uses FCM_STATIC_TOKEN as its bearer token, which is refused while FCM_ENDPOINT is Google's.
FCM_CREDENTIALS_FILE = env("FCM_CREDENTIALS_FILE", default="")
FCM_PROJECT_ID = env("FCM_PROJECT_ID", default="")
FCM_STATIC_TOKEN = env("FCM_STATIC_TOKEN", default="static-token-for-a-fake-fcm-server")
# Base URL of the FCM HTTP v1 API; a staging system or a load test points it at a fake server.
FCM_ENDPOINT = env("FCM_ENDPOINT", default="https://fcm.googleapis.com")
FCM_HTTP_TIMEOUT_SECONDS = env.float("FCM_HTTP_TIMEOUT_SECONDS", default=10.0)
# How often a 500/503 is retried inside one send, as firebase-admin does (0.5 s backoff,
# doubling, or a 503's Retry-After).
FCM_HTTP_RETRIES = env.int("FCM_HTTP_RETRIES", default=4)
# Outbox delivery: a transient failure is retried after OUTBOX_RETRY_BASE_SECONDS, doubling
# (with jitter) up to OUTBOX_RETRY_MAX_SECONDS; after OUTBOX_MAX_ATTEMPTS sends the row is
# marked failed (listed in the admin). QUOTA_EXCEEDED always waits at least 60 s.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=30.0)
OUTBOX_RETRY_MAX_SECONDS = env.float("OUTBOX_RETRY_MAX_SECONDS", default=3600.0)
# Active push devices kept per user; registering one more drops the least recently seen.
PUSH_DEVICES_PER_USER = env.int("PUSH_DEVICES_PER_USER", default=10)

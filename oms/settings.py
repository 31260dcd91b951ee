"""OMS settings, read from the environment.

With nothing set, the app runs on an SQLite file and a Celery broker on the local disk
(kombu's filesystem transport), so `make run` needs no services. With `DATABASE_URL` and
`REDIS_URL` set, the same code runs on PostgreSQL and Redis.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OMS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)
_INSECURE_DEV_KEY = "django-insecure-oms-local-development-key-change-me"
SECRET_KEY = os.environ.get("SECRET_KEY", _INSECURE_DEV_KEY)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is set but empty: give it a long random value.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oms",
    "customers",
    "inventory",
    "orders",
    "logistics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "oms.idempotency.IdempotencyMiddleware",  # API POSTs with an Idempotency-Key run exactly once
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "oms.urls"
WSGI_APPLICATION = "oms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oms.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker share the file: wait for a lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (shared by web and worker processes) ----------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Passwords are checked by Django's model backend, throttled (oms/login.py): after
# OMS_LOGIN_FAILURE_LIMIT failures for one username from one address within
# OMS_LOGIN_FAILURE_WINDOW seconds, it is locked there for OMS_LOGIN_LOCKOUT_SECONDS.
AUTHENTICATION_BACKENDS = ["oms.login.ThrottledModelBackend"]
OMS_LOGIN_FAILURE_LIMIT = int(os.environ.get("OMS_LOGIN_FAILURE_LIMIT", "5"))
OMS_LOGIN_FAILURE_WINDOW = int(os.environ.get("OMS_LOGIN_FAILURE_WINDOW", str(15 * 60)))
OMS_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("OMS_LOGIN_LOCKOUT_SECONDS", str(15 * 60)))

# --- Internationalisation --------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["oms.formats"]

# --- Static and media files ------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security (production values unless DEBUG) -----------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None

# --- REST API --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oms.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # ModelRolePermission checks an API token's scopes first (oms.permissions.ScopePermission)
    "DEFAULT_PERMISSION_CLASSES": ["oms.permissions.ModelRolePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["oms.throttling.ClientRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "oms.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "oms.filters.ApiFilterBackend",  # django-filter, refusing empty or malformed values with 400
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "oms.schema.ApiAutoSchema",  # bodies documented as JSON unless a view takes uploads
    "EXCEPTION_HANDLER": "oms.errors.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OMS API",
    "DESCRIPTION": "Sales order management: customers, products, stock and orders.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "oms.schema.standard_problems_hook",  # 400/401/403/404/415/429 wherever they can happen
        "oms.idempotency.idempotency_schema_hook",  # Idempotency-Key on every POST; after the standard answers
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrderStateEnum": "orders.models.OrderState.choices",
        "QuotationStateEnum": "orders.models.QuotationState.choices",
        "ContractStateEnum": "orders.models.ContractState.choices",
        "ShipmentStateEnum": "logistics.models.ShipmentState.choices",
        "DeliveryExceptionKindEnum": "logistics.models.DeliveryExceptionKind.choices",
        "EventTypeEnum": "oms.models.EventType.choices",
        "WebhookDeliveryStateEnum": "oms.models.DeliveryState.choices",
    },
}

# --- Celery ----------------------------------------------------------------------------
# Without REDIS_URL the broker is kombu's filesystem transport, so `make run` has a real
# worker and beat on a bare machine. Queues are named so each kind of work scales apart.
OMS_WORKER_QUEUES = ("default", "checks", "tracking", "webhooks", "documents")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    _broker_dir = VAR_DIR / "celery"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{_broker_dir / 'results'}"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "orders.tasks.order_checks_run": {"queue": "checks"},
    "orders.tasks.quotation_email": {"queue": "documents"},
    "orders.tasks.order_confirmation_email": {"queue": "documents"},
    "orders.tasks.promise_dates_changed_email": {"queue": "documents"},
    "logistics.tasks.shipment_documents_render": {"queue": "documents"},
    "logistics.tasks.shipment_tracking_email": {"queue": "documents"},
    "logistics.tasks.shipment_exception_email": {"queue": "documents"},
    "logistics.tasks.shipments_track": {"queue": "tracking"},
    "oms.tasks.webhooks_dispatch": {"queue": "webhooks"},
    "oms.tasks.webhooks_dispatch_due": {"queue": "webhooks"},
}
CELERY_RESULT_EXPIRES = 3600
# Nothing reads a task's result, so none is kept (a caller that waits for one asks with
# `apply_async(…, ignore_result=False)`). On Redis, a result kept means every send from a web
# process subscribes to a result channel it never reads; while Redis is down, each send would
# then retry that subscription for ~20 s before giving up, holding up the request.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "oms.tasks.heartbeat", "schedule": 30.0},
    "order-checks-sweep": {"task": "orders.tasks.order_checks_sweep", "schedule": 300.0},
    "quotations-expiry-sweep": {"task": "orders.tasks.quotations_expiry_sweep", "schedule": 3600.0},
    "verbal-orders-reminders": {"task": "orders.tasks.verbal_orders_reminders", "schedule": 3600.0},
    "orders-priority-refresh": {"task": "orders.tasks.orders_priority_refresh", "schedule": 6 * 3600.0},
    "stock-rebalance-sweep": {"task": "inventory.tasks.stock_rebalance_sweep", "schedule": 600.0},
    "shipments-track": {"task": "logistics.tasks.shipments_track", "schedule": 300.0},
    "webhooks-dispatch-due": {"task": "oms.tasks.webhooks_dispatch_due", "schedule": 30.0},
    "idempotency-keys-purge": {"task": "oms.tasks.idempotency_keys_purge", "schedule": 3600.0},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Logging ---------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # PDF rendering logs every layout step at INFO; keep its warnings only
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools")},
}

OMS_DEMO_PASSWORD = "oms-demo-2026"

# --- documents and e-mail --------------------------------------------------------------
OMS_MAX_UPLOAD_BYTES = int(os.environ.get("OMS_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = OMS_MAX_UPLOAD_BYTES + 1024 * 1024
OMS_COMPANY_NAME = os.environ.get("OMS_COMPANY_NAME", "OMS Demo Manufacturing Co., Ltd.")
OMS_COMPANY_ADDRESS = os.environ.get("OMS_COMPANY_ADDRESS", "88 Zhangjiang Road, Pudong, Shanghai")
OMS_COMPANY_COUNTRY = os.environ.get("OMS_COMPANY_COUNTRY", "CN").strip().upper()  # ISO 3166; elsewhere = export
# Development prints e-mails on the console; production sets EMAIL_BACKEND to SMTP.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "oms@localhost")

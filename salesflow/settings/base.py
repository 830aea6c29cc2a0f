"""Settings shared by every environment; everything variable comes from the environment."""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PACKAGE_DIR = BASE_DIR / "salesflow"
VAR_DIR = Path(environ.Env().str("SALESFLOW_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    SALESFLOW_TIME_ZONE=(str, "Asia/Shanghai"),
    SALESFLOW_API_TOKEN_TTL_DAYS=(int, 90),
)
environ.Env.read_env(BASE_DIR / ".env") if (BASE_DIR / ".env").exists() else None

# A fixed, clearly marked key for local use; production.py refuses to start with it.
DEVELOPMENT_SECRET_KEY = "salesflow-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
DEBUG = env("DEBUG")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "salesflow.core",
    "salesflow.org",
    "salesflow.timers",
    "salesflow.notify",
    "salesflow.rules",
    "salesflow.leads",
    "salesflow.customers",
    "salesflow.pipeline",
    "salesflow.activities",
    "salesflow.catalog",
    "salesflow.approvals",
    "salesflow.quotes",
    "salesflow.contracts",
    "salesflow.workorders",
    "salesflow.imports",
    "salesflow.workflows",
    "salesflow.analytics",
    "salesflow.calendars",
    "salesflow.reviews",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "salesflow.core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "salesflow.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After language and user (its refusal page is the shell's, in the chosen language).
    "salesflow.core.middleware.CleanInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "salesflow.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "salesflow.urls"
WSGI_APPLICATION = "salesflow.wsgi.application"
AUTH_USER_MODEL = "org.User"
# Every password check (login page, admin login, API token) goes through the login throttle.
AUTHENTICATION_BACKENDS = ["salesflow.org.backends.LoginThrottleBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "today"
LOGOUT_REDIRECT_URL = "login"
# A form posted with an expired token gets the product's page, not Django's English one.
CSRF_FAILURE_VIEW = "salesflow.core.error_views.csrf_failure"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "salesflow.core.context_processors.shell",
            ],
        },
    },
]

# Shared by every process on the machine (web and worker): import progress lives here.
# Several machines: point CACHE_URL at Redis (e.g. redis://127.0.0.1:6379/1).
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
DEFAULT_SQLITE_PATH = VAR_DIR / "salesflow.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DEFAULT_SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while one of them writes; IMMEDIATE
    # transactions take the write lock up front so two writers queue instead of deadlocking.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    # Covering indexes (INCLUDE) are PostgreSQL's; on SQLite the same index is kept without its
    # extra columns, which is what is wanted (leads' `lead_open_owned`), so no warning about it.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # No JIT compilation: PostgreSQL compiles a query whose estimated cost passes
        # jit_above_cost, and a list page sorted by its traffic light over a rep's 20,000 leads
        # is estimated that high; compiling it took 4 of its 4.7 seconds (issue #15). An
        # interactive application's queries are short, and the cockpit reads its roll-ups.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env("SALESFLOW_TIME_ZONE")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "salesflow.core.staticfiles.IncrementalCompressedStaticFilesStorage"},
}
# The icon font's TrueType file is only a fallback: every browser we serve takes the WOFF2.
# Brotli at WhiteNoise's level costs about 4 s of CPU on it, at each fresh install.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "ttf")
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="salesflow@localhost")

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

SALESFLOW_API_TOKEN_TTL_DAYS = env("SALESFLOW_API_TOKEN_TTL_DAYS")
# Failed logins (token endpoint, login page, admin login alike) allowed within the window:
# per username and client address, per username from anywhere, per address for any username.
# Where people reach this server: links made outside a request (the demo's quote share links)
# start with it; a page or API request uses the address it was asked on.
SALESFLOW_PUBLIC_URL = env("SALESFLOW_PUBLIC_URL", default="http://127.0.0.1:8000")
SALESFLOW_LOGIN_FAILURE_LIMIT = env.int("SALESFLOW_LOGIN_FAILURE_LIMIT", default=5)
SALESFLOW_LOGIN_FAILURE_LIMIT_PER_USER = env.int("SALESFLOW_LOGIN_FAILURE_LIMIT_PER_USER", default=20)
SALESFLOW_LOGIN_FAILURE_LIMIT_PER_IP = env.int("SALESFLOW_LOGIN_FAILURE_LIMIT_PER_IP", default=50)
SALESFLOW_LOGIN_FAILURE_WINDOW_SECONDS = env.int("SALESFLOW_LOGIN_FAILURE_WINDOW_SECONDS", default=900)
SALESFLOW_DEMO_PASSWORD = "salesflow-demo"  # noqa: S105

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals_one_line": {"()": "salesflow.core.logfilters.RefusalsOneLine"}},
    # Refusals logged elsewhere (e.g. django.security.DisallowedHost) lose their traceback too.
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals_one_line"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # A refused request (403/404/409 …) is one line; only a 5xx keeps its traceback.
        "django.request": {"filters": ["refusals_one_line"]},
        # The task worker logs every poll at INFO; the embedded worker polls every second.
        "django_tasks_db": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}

NAV_TITLE = _("Salesflow 销售过程管理")

# Website intake: submissions per client address and per form, per minute.
SALESFLOW_INTAKE_LIMIT_PER_IP = env.int("SALESFLOW_INTAKE_LIMIT_PER_IP", default=30)
SALESFLOW_INTAKE_LIMIT_PER_FORM = env.int("SALESFLOW_INTAKE_LIMIT_PER_FORM", default=1200)

# Notification robots and webhooks reach only https on public addresses. On-premise targets
# (host names, IPs or CIDRs, comma-separated) are opened here by whoever runs the server: the
# network the server sits in is the deployment's business, not an in-app account's.
SALESFLOW_NOTIFY_ALLOWED_TARGETS = env.list("SALESFLOW_NOTIFY_ALLOWED_TARGETS", default=[])

# Bootstrap/Tabler colour names for Django's message levels (an error shows red, not grey).
MESSAGE_TAGS = {40: "danger"}

# Rule simulation from the web and the API: events replayed and seconds spent per request
# before it stops with a "truncated" answer, and how many may run at once per process.
SALESFLOW_SIMULATION_MAX_EVENTS = env.int("SALESFLOW_SIMULATION_MAX_EVENTS", default=20000)
SALESFLOW_SIMULATION_MAX_SECONDS = env.float("SALESFLOW_SIMULATION_MAX_SECONDS", default=10.0)
SALESFLOW_SIMULATION_MAX_CONCURRENT = env.int("SALESFLOW_SIMULATION_MAX_CONCURRENT", default=2)

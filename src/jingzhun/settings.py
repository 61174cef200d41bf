"""Django settings for Jingzhun.

One settings module for every tier: the database comes from ``JINGZHUN_DATABASE_URL`` (SQLite file in
``JINGZHUN_HOME`` by default, PostgreSQL in production and CI), everything else from ``JINGZHUN_*``
environment variables with safe local defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
HOME = Path(os.environ.get("JINGZHUN_HOME", Path.cwd() / "var")).resolve()
HOME.mkdir(parents=True, exist_ok=True)

# JINGZHUN_PRODUCTION=1 (docs/deploy.md): a real secret key is required and cookies, redirects and HSTS assume
# HTTPS at the proxy in front (nginx); `jingzhun check --deploy` is then clean.
PRODUCTION = os.environ.get("JINGZHUN_PRODUCTION", "0") == "1"
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"
SECRET_KEY = os.environ.get("JINGZHUN_SECRET_KEY", "" if PRODUCTION else DEV_SECRET_KEY)
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY == DEV_SECRET_KEY):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "JINGZHUN_PRODUCTION=1 needs JINGZHUN_SECRET_KEY: a random value of at least 50 characters "
        "(docs/deploy.md)"
    )
DEBUG = os.environ.get("JINGZHUN_DEBUG", "0") == "1"
# Refresh a county's indicators after each import, final procedure step and comparison run (analytics.hooks).
# Benchmarks switch it off (they measure one thing); the tests switch it on where they test it.
JINGZHUN_AUTO_REFRESH = os.environ.get("JINGZHUN_AUTO_REFRESH", "1") == "1"
ALLOWED_HOSTS = os.environ.get("JINGZHUN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
# The site's origin(s) as the browser sees them, e.g. https://jingzhun.example.gov.cn (forms behind a proxy).
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("JINGZHUN_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "jingzhun.core",
    "jingzhun.regions",
    "jingzhun.accounts",
    "jingzhun.registry",
    "jingzhun.policy",
    "jingzhun.procedures",
    "jingzhun.assistance",
    "jingzhun.comparison",
    "jingzhun.assessment",
    "jingzhun.villages",
    "jingzhun.analytics",
    "jingzhun.reports",
    "jingzhun.site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jingzhun.core.locale.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "jingzhun.core.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "jingzhun.urls"
WSGI_APPLICATION = "jingzhun.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("JINGZHUN_DATABASE_URL", f"sqlite:///{HOME / 'jingzhun.sqlite3'}"),
        conn_max_age=int(os.environ.get("JINGZHUN_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web app read while an import writes; IMMEDIATE avoids "database is locked" upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA cache_size=-131072; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("JINGZHUN_TEST_SQLITE_NAME") or None}

# The dashboard keeps each region's rendered figures until the region's next refresh (about 25 KB a region
# and year). In files under the home folder: shared by every web worker, so the first leader to open a page
# renders it for all of them, and kept across restarts; when full, a third is dropped.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(HOME / "cache"),
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}

# Background work (imports, department loads, comparisons, indicator refreshes, exports) is saved as a job
# and run by `jingzhun worker` (core/jobs.py; decisions/0012). A job whose worker's heartbeat is older than
# the lease is taken for lost by a worker on another machine (on the same machine the dead process is seen).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
JINGZHUN_JOB_LEASE_SECONDS = int(os.environ.get("JINGZHUN_JOB_LEASE_SECONDS", "300"))

# Column comments carry the national field codes on PostgreSQL; SQLite simply has none.
SILENCED_SYSTEM_CHECKS = ["fields.W163"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["jingzhun.accounts.backends.RegionModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("JINGZHUN_STATIC_ROOT", HOME / "static"))
# ECharts comes from npm (package.json; scripts/setup runs npm ci) and is served as static/vendor/echarts/.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/echarts", BASE_DIR.parents[1] / "node_modules" / "echarts" / "dist"),
]
MEDIA_ROOT = HOME / "media"

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
JINGZHUN_MAX_IMPORT_BYTES = int(os.environ.get("JINGZHUN_MAX_IMPORT_BYTES", str(1024 * 1024 * 1024)))

# Sessions are read from the shared cache (files, see CACHES) and written through to the database: a page
# costs no session query, and logging out removes the session for every worker at once.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

if PRODUCTION:
    # HTTPS ends at nginx, which says so in X-Forwarded-Proto (deploy/nginx/jingzhun.conf); it must set that
    # header itself, never pass on a client's.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = os.environ.get("JINGZHUN_SSL_REDIRECT", "1") == "1"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("JINGZHUN_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("JINGZHUN_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
    SECURE_HSTS_PRELOAD = os.environ.get("JINGZHUN_HSTS_PRELOAD", "1") == "1"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("JINGZHUN_LOG_LEVEL", "WARNING")},
}

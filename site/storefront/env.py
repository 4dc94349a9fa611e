"""Settings from the environment: one reader per kind of value, and the rules that
derive a setting from several variables.

Every function takes the environment as an argument (the process's own by default),
so settings.py reads `os.environ` while tests pass a plain dict and call the rules
in-process, without booting Django in a subprocess per case.
"""

import os
import re
from collections.abc import Mapping
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

Environ = Mapping[str, str]


def env_bool(name: str, default: bool, environ: Environ = os.environ) -> bool:
    value = environ.get(name)
    if value is None or value.strip() == "":
        return default
    normalised = value.strip().lower()
    if normalised in {"1", "true", "yes", "on"}:
        return True
    if normalised in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}.")


def env_list(name: str, default: list[str], environ: Environ = os.environ) -> list[str]:
    value = environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


RATE = re.compile(r"^[0-9]+/[0-9]*[smhd]$")


def env_rate(name: str, default: str, environ: Environ = os.environ) -> str:
    """A request limit such as "10/h" (ten an hour) or "5/15m"; "off" switches it off."""
    value = environ.get(name, "").strip() or default
    if value.lower() == "off":
        return ""
    if not RATE.match(value):
        raise ImproperlyConfigured(
            f"{name} must be a limit such as 10/h, 30/m or 5/15m (or off), not {value!r}."
        )
    return value


def env_int(name: str, default: int, environ: Environ = os.environ) -> int:
    value = environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from exc


def secret_key(environ: Environ = os.environ, *, debug: bool) -> str:
    key = environ.get("SECRET_KEY", "")
    if key:
        return key
    if not debug:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    # Only ever used with DEBUG on, on a developer's machine.
    return "local-development-only-not-a-secret"


def admin_base_url(environ: Environ = os.environ, *, debug: bool) -> str:
    """Where links in staff e-mails point. A laptop gets the local server; with DEBUG off
    there is no default, so no production e-mail can point at localhost (pages/checks.py
    also checks what is set)."""
    url = environ.get("WAGTAILADMIN_BASE_URL", "").strip().rstrip("/")
    if not url:
        if not debug:
            raise ImproperlyConfigured(
                "WAGTAILADMIN_BASE_URL must be set when DEBUG is off: the address staff open "
                "the admin at, such as https://shop.example.com (links in staff e-mails)."
            )
        url = "http://127.0.0.1:8000"
    if not url.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"WAGTAILADMIN_BASE_URL must be an http(s):// URL, not {url!r}.")
    return url


def session_engine(cache_url: str) -> str:
    """Where sessions are read from. With a shared cache (CACHE_URL), from the cache, written
    through to the database: every request of a visitor with a session (a cart, a sign-in)
    loads it, a Redis GET instead of a query, and a flushed or restarted cache loses no one's
    cart or sign-in. Without one, from the database: a per-process cache would hand one
    worker a session another worker has since changed."""
    if cache_url:
        return "django.contrib.sessions.backends.cached_db"
    return "django.contrib.sessions.backends.db"


def database(environ: Environ = os.environ, *, sqlite_path: Path) -> dict:
    """DATABASE_URL (postgres://user:pass@host:port/name in production), or a SQLite file."""
    url = environ.get("DATABASE_URL", f"sqlite:///{sqlite_path}")
    if not url.strip():
        # Set but empty is a deployment mistake, not a wish for the SQLite file.
        raise ImproperlyConfigured("DATABASE_URL is empty: set it, or unset it for SQLite.")
    config = dj_database_url.parse(
        url,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, environ),
        conn_health_checks=True,
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside a writer; IMMEDIATE transactions take the
        # write lock up front, so concurrent writers queue (up to `timeout`
        # seconds) instead of failing with "database is locked" mid-transaction.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # JIT compilation costs tens of milliseconds per query and pays off only for
        # long analytical queries; web requests are many short ones (bench/catalog.py).
        config.setdefault("OPTIONS", {})["options"] = "-c jit=off"
        pool = database_pool(environ)
        if pool:
            config["OPTIONS"]["pool"] = pool
            # Django refuses a pool beside persistent connections: the pool keeps them now.
            config["CONN_MAX_AGE"] = 0
    return config


def database_pool(environ: Environ = os.environ) -> dict | None:
    """psycopg's connection pool for PostgreSQL (Django's OPTIONS["pool"]), or None.

    Off by default: Django's persistent connections (DATABASE_CONN_MAX_AGE) keep one
    connection per thread. A pool is per process: each gunicorn worker has its own, shared
    by its threads, so the database sees up to processes × DATABASE_POOL_MAX_SIZE
    connections (README, "Health checks and logs" and "Configuration").
    """
    max_size = env_int("DATABASE_POOL_MAX_SIZE", 0, environ)
    if max_size <= 0:
        return None
    min_size = env_int("DATABASE_POOL_MIN_SIZE", min(2, max_size), environ)
    if not 0 <= min_size <= max_size:
        raise ImproperlyConfigured(
            f"DATABASE_POOL_MIN_SIZE must be between 0 and DATABASE_POOL_MAX_SIZE ({max_size}), "
            f"not {min_size}."
        )
    timeout = env_int("DATABASE_POOL_TIMEOUT", 10, environ)
    if timeout <= 0:
        raise ImproperlyConfigured(f"DATABASE_POOL_TIMEOUT must be positive, not {timeout}.")
    # timeout: how long a request waits for a free connection before it fails (PoolTimeout).
    return {"min_size": min_size, "max_size": max_size, "timeout": timeout}


LOG_FORMATS = {
    "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    # One JSON object a line; fields passed as `extra` (the access line's) become keys too.
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    },
}


def logging_config(environ: Environ = os.environ) -> dict:
    """LOGGING: everything to the console (stderr, for systemd or the container runtime),
    as text or JSON lines (LOG_FORMAT=json), each record carrying the request id, or the
    task id in a worker (pages/request_log.py)."""
    log_format = environ.get("LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in LOG_FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {log_format!r}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "pages.request_log.RequestIdFilter"}},
        "formatters": {log_format: LOG_FORMATS[log_format]},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_id"],
                "formatter": log_format,
            }
        },
        "root": {"handlers": ["console"], "level": environ.get("LOG_LEVEL", "WARNING")},
        "loggers": {
            "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
            # The one line per request, whatever LOG_LEVEL says; it reaches the root's handler.
            "storefront.access": {"level": "INFO"},
            # django-guid logs an INFO line per request ("generated a new id") and a warning
            # per malformed header a client sends: noise beside the access line.
            "django_guid": {"level": "ERROR"},
        },
    }

"""Production settings: secure by default, configured by environment variables.

Two tests boot Django in a fresh interpreter with production's environment: `check
--deploy` and `collectstatic`. The rules that derive settings from variables
(storefront/env.py) are plain function calls on dicts here, in-process.
"""

import os
import secrets
import subprocess
import sys

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from storefront.env import (
    admin_base_url,
    database,
    env_bool,
    env_int,
    env_rate,
    secret_key,
    session_engine,
)
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT


def manage(*args, env=None, timeout=300):
    """Runs manage.py in a fresh interpreter, so settings are read from `env` alone."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "SESSION_", "CSRF_"))
        and key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "WAGTAILADMIN_BASE_URL"}
    }
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "shop.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://shop.example.com",
    "WAGTAILADMIN_BASE_URL": "https://shop.example.com",
}


def test_check_deploy_is_clean_in_production_mode():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def deploy_check_ids():
    return {message.id for message in run_checks(include_deployment_checks=True)}


def test_check_deploy_catches_an_insecure_override(settings):
    """The check is real: turning HSTS off is reported."""
    assert "security.W004" not in deploy_check_ids()
    settings.SECURE_HSTS_SECONDS = env_int(
        "SECURE_HSTS_SECONDS", 31_536_000, {"SECURE_HSTS_SECONDS": "0"}
    )
    assert "security.W004" in deploy_check_ids()


def test_secret_key_is_required_when_debug_is_off():
    assert secret_key({"SECRET_KEY": "s3cret"}, debug=False) == "s3cret"
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set when DEBUG is off"):
        secret_key({}, debug=False)
    # A laptop gets a throwaway key.
    assert secret_key({}, debug=True)


def test_admin_base_url_is_required_when_debug_is_off():
    """Staff e-mails must never link to a default localhost address."""
    with pytest.raises(ImproperlyConfigured, match="WAGTAILADMIN_BASE_URL must be set when DEBUG"):
        admin_base_url({}, debug=False)
    with pytest.raises(ImproperlyConfigured, match="WAGTAILADMIN_BASE_URL must be an http"):
        admin_base_url({"WAGTAILADMIN_BASE_URL": "shop.example.com"}, debug=False)
    url = admin_base_url({"WAGTAILADMIN_BASE_URL": " https://shop.example.com/ "}, debug=False)
    assert url == "https://shop.example.com"
    assert admin_base_url({}, debug=True) == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    "env, check_id",
    [
        # A laptop's default, taken to production with --deploy.
        ({"DEBUG": "1"}, "storefront.W002"),
        ({"WAGTAILADMIN_BASE_URL": "http://127.0.0.1:8000"}, "storefront.W002"),
        ({"WAGTAILADMIN_BASE_URL": "https://localhost"}, "storefront.W002"),
        ({"WAGTAILADMIN_BASE_URL": "http://shop.example.com"}, "storefront.W003"),
        ({"WAGTAILADMIN_BASE_URL": "https://admin.example.org"}, "storefront.W004"),
    ],
)
def test_check_deploy_warns_about_a_wrong_admin_base_url(settings, env, check_id):
    environment = {**PRODUCTION, **env}
    if env.get("DEBUG") == "1":
        del environment["WAGTAILADMIN_BASE_URL"]
    settings.ALLOWED_HOSTS = PRODUCTION["ALLOWED_HOSTS"].split(",")
    settings.WAGTAILADMIN_BASE_URL = PRODUCTION["WAGTAILADMIN_BASE_URL"]
    assert not {found for found in deploy_check_ids() if found.startswith("storefront.")}

    debug = env_bool("DEBUG", False, environment)
    settings.WAGTAILADMIN_BASE_URL = admin_base_url(environment, debug=debug)
    assert check_id in deploy_check_ids()


def test_admin_base_url_check_warns_when_the_setting_is_missing(settings):
    from pages.checks import admin_base_url_check

    settings.WAGTAILADMIN_BASE_URL = None
    assert [w.id for w in admin_base_url_check(None)] == ["storefront.W001"]
    settings.WAGTAILADMIN_BASE_URL = "https://shop.example.com"
    settings.ALLOWED_HOSTS = [".example.com"]
    assert admin_base_url_check(None) == []


def test_invalid_values_are_a_clear_error():
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be a boolean"):
        env_bool("DEBUG", False, {"DEBUG": "maybe"})
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT must be a whole number"):
        env_int("EMAIL_PORT", 25, {"EMAIL_PORT": "twenty-five"})
    with pytest.raises(ImproperlyConfigured, match="LIMIT_SIGNUP_PER_IP must be a limit"):
        env_rate("LIMIT_SIGNUP_PER_IP", "10/h", {"LIMIT_SIGNUP_PER_IP": "10 an hour"})
    assert env_bool("DEBUG", False, {"DEBUG": " Yes "}) is True
    assert env_rate("LIMIT_SIGNUP_PER_IP", "10/h", {"LIMIT_SIGNUP_PER_IP": "off"}) == ""


def test_sqlite_default_queues_writers(tmp_path):
    """Without DATABASE_URL: SQLite in the repository, WAL, IMMEDIATE transactions."""
    config = database({}, sqlite_path=tmp_path / "db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "db.sqlite3")
    assert config["CONN_MAX_AGE"] == 0
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_postgresql_runs_without_jit(tmp_path):
    url = "postgres://shop:pw@db.example.com:5432/shop"
    config = database({"DATABASE_URL": url}, sqlite_path=tmp_path / "db.sqlite3")
    assert (config["ENGINE"], config["HOST"], config["NAME"]) == (
        "django.db.backends.postgresql",
        "db.example.com",
        "shop",
    )
    assert config["OPTIONS"]["options"] == "-c jit=off"
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (60, True)
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL is empty"):
        database({"DATABASE_URL": " "}, sqlite_path=tmp_path / "db.sqlite3")


@pytest.mark.django_db
def test_security_headers(client, settings):
    response = client.get("/robots.txt")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_production_redirects_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/robots.txt")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/robots.txt"
    # The health check stays reachable over plain HTTP for load balancers.
    assert client.get("/healthz/").status_code == 200


def test_collectstatic_writes_compressed_hashed_files(tmp_path):
    env = {**PRODUCTION, "STATIC_ROOT": str(tmp_path)}
    result = manage("collectstatic", "--noinput", "-v", "0", env=env)
    assert result.returncode == 0, result.stderr
    css = sorted(p.name for p in (tmp_path / "storefront" / "css").iterdir())
    hashed = [n for n in css if n.startswith("main.") and n.endswith(".css") and n != "main.css"]
    assert len(hashed) == 1, css  # main.<content hash>.css
    assert f"{hashed[0]}.gz" in css
    assert (tmp_path / "staticfiles.json").exists()


def test_sessions_come_from_the_cache_only_when_it_is_shared():
    assert session_engine("redis://cache:6379/0") == "django.contrib.sessions.backends.cached_db"
    assert session_engine("") == "django.contrib.sessions.backends.db"

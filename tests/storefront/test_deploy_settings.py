"""Production settings: secure by default, configured by environment variables."""

import os
import secrets
import subprocess
import sys

import pytest

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


def test_check_deploy_catches_an_insecure_override():
    """The check is real: turning HSTS off is reported."""
    env = {**PRODUCTION, "SECURE_HSTS_SECONDS": "0"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_secret_key_is_required_when_debug_is_off():
    env = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_admin_base_url_is_required_when_debug_is_off():
    """Staff e-mails must never link to a default localhost address."""
    env = {key: value for key, value in PRODUCTION.items() if key != "WAGTAILADMIN_BASE_URL"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "WAGTAILADMIN_BASE_URL must be set when DEBUG is off" in result.stderr

    result = manage("check", env={**env, "WAGTAILADMIN_BASE_URL": "shop.example.com"})
    assert result.returncode != 0
    assert "WAGTAILADMIN_BASE_URL must be an http(s):// URL" in result.stderr


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
def test_check_deploy_warns_about_a_wrong_admin_base_url(env, check_id):
    environment = {**PRODUCTION, **env}
    if env.get("DEBUG") == "1":
        del environment["WAGTAILADMIN_BASE_URL"]
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=environment)
    assert result.returncode != 0
    assert check_id in result.stdout + result.stderr


def test_admin_base_url_check_warns_when_the_setting_is_missing(settings):
    from pages.checks import admin_base_url_check

    settings.WAGTAILADMIN_BASE_URL = None
    assert [w.id for w in admin_base_url_check(None)] == ["storefront.W001"]
    settings.WAGTAILADMIN_BASE_URL = "https://shop.example.com"
    settings.ALLOWED_HOSTS = [".example.com"]
    assert admin_base_url_check(None) == []


def test_invalid_boolean_is_a_clear_error():
    result = manage("check", env={**PRODUCTION, "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_sqlite_default_queues_writers():
    """Without DATABASE_URL: SQLite in the repository, WAL, IMMEDIATE transactions."""
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['NAME'], d['OPTIONS']['transaction_mode'], "
        "'journal_mode=WAL' in d['OPTIONS']['init_command'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**env, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    engine, name, mode, wal = result.stdout.split()[-4:]
    assert engine == "django.db.backends.sqlite3"
    assert name == str(ROOT / "db.sqlite3")
    assert (mode, wal) == ("IMMEDIATE", "True")


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

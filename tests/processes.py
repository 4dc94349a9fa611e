"""Real servers for tests, as separate processes or threads on loopback: reusable helpers.

Tests that need the shop's processes as production runs them (a task worker, an
SMTP server, app servers, schedulers) start them with these, always in a
`try/finally` or a fixture, so that nothing outlives its test:

- `free_port()`: a TCP port on 127.0.0.1 nobody listens on (yet).
- `wait_for_port(host, port, timeout)`: waits until something accepts connections there.
- `wait_until(predicate, timeout)`: polls a condition with short sleeps.
- `smtp_server()`: a context manager giving an `SmtpServer`, an aiosmtpd server on
  127.0.0.1 that records the messages it accepts (`.messages`). `.stop()` takes it
  down and `.start()` brings it back on the SAME port, so a test can show what the
  shop does while the mail server is away.
- `test_database_url()`: a DATABASE_URL for the database this test runs on
  (pytest-django's test database, from `django.db.connection.settings_dict`).
- `process_env(smtp=None, **overrides)`: the environment for a child process of the shop
  (manage.py, gunicorn): this process's environment, the test database, the database
  task queue, e-mail through `smtp` if given; `overrides` last (None removes a variable).
- `app_server_env(tmp, public_host=, cache_prefix=, **overrides)`: `process_env` for the
  shop under gunicorn on loopback (plain HTTP, the shared Redis cache, files in `tmp`).
- `start_worker(env=None, extra_args=(), *, smtp=None)`: a `manage.py db_worker`
  subprocess (polling every 0.1 s, no start-up delay, no reloader, no system checks)
  with `process_env`; `env` is merged over it. `running_worker(...)`: the same as a
  context manager. `start_manage(args, env=None, *, smtp=None)`: any manage.py command.
  A worker takes a few seconds to start (imports; far more on a loaded machine): wait
  for what it does with `wait_until`, with generous timeouts.
  Its output goes to a file (`popen.log_path`, `read_log(popen)`), never to a pipe
  that could fill up and block it.
- `stop_process(popen, timeout=5)`: SIGTERM, wait, then SIGKILL.

A child process sees only committed rows: tests using it are
`@pytest.mark.django_db(transaction=True)`.
"""

from __future__ import annotations

import email
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import quote

REPOSITORY = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A port nobody listens on. Another process could take it before the caller binds
    it; on a test machine's loopback that race is rare enough."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    """Returns once `host:port` accepts a connection; TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"Nothing listens on {host}:{port} after {timeout} s.") from None
            time.sleep(0.05)


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.05):
    """The predicate's first true value, polled every `interval` s; TimeoutError after
    `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"Still false after {timeout} s: {predicate!r}")
        time.sleep(interval)


# --- SMTP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: Message

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")


class _Recorder:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, smtp_server, session, envelope):  # noqa: N802 - aiosmtpd's name
        received = ReceivedMail(
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            message=email.message_from_bytes(envelope.original_content or envelope.content),
        )
        with self.server._lock:
            self.server.messages.append(received)
        return "250 Message accepted for delivery"


class SmtpServer:
    """An SMTP server on 127.0.0.1:`port` (a free one unless given) that keeps what it gets.

    `messages` lists the accepted messages (ReceivedMail) across stops and starts;
    `stop()` closes the port (a client then gets "connection refused", as from a mail
    server that is down); `start()` listens again on the same port.
    """

    def __init__(self, port: int | None = None, host: str = LOOPBACK):
        self.host = host
        self.port = port or free_port(host)
        self.messages: list[ReceivedMail] = []
        self._lock = threading.Lock()
        self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller

        if self._controller is None:
            # A new controller each time: a stopped one has closed its event loop.
            controller = Controller(_Recorder(self), hostname=self.host, port=self.port)
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            controller, self._controller = self._controller, None
            controller.stop()

    def received(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self.messages)

    def env(self) -> dict[str, str]:
        """Settings environment for a shop process that sends through this server."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": str(self.port),
            "EMAIL_USE_TLS": "0",
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
        }


@contextmanager
def smtp_server(port: int | None = None, *, started: bool = True) -> Iterator[SmtpServer]:
    """An SmtpServer, running unless `started=False` (its port is chosen either way),
    stopped on the way out."""
    server = SmtpServer(port)
    if started:
        server.start()
    try:
        yield server
    finally:
        server.stop()


# --- The shop's processes -----------------------------------------------------------------------


def test_database_url() -> str:
    """A DATABASE_URL for the database Django uses in this process: in a test, the test
    database pytest-django created (its NAME is only known once it exists)."""
    from django.db import connection

    config = connection.settings_dict
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError("Child processes share the test database on PostgreSQL only.")
    user = quote(config.get("USER") or "", safe="")
    password = quote(config.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = config.get("HOST") or "localhost"
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(config['NAME'], safe='')}"


test_database_url.__test__ = False  # not a test, whatever its name says


def process_env(smtp: SmtpServer | None = None, **overrides: str | None) -> dict[str, str]:
    """The environment of a shop process started by a test (see the module's docstring)."""
    from django.conf import settings

    env = dict(os.environ)
    env.pop("DEBUG", None)  # production settings, as the tests run
    env.update(
        {
            "DATABASE_URL": test_database_url(),
            "SECRET_KEY": os.environ.get("SECRET_KEY") or settings.SECRET_KEY,
            "WAGTAILADMIN_BASE_URL": os.environ.get("WAGTAILADMIN_BASE_URL")
            or getattr(settings, "WAGTAILADMIN_BASE_URL", "")
            or "http://testserver",
            "TASK_BACKEND": "database",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if smtp is not None:
        env.update(smtp.env())
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def app_server_env(
    tmp: Path, *, public_host: str, cache_prefix: str, **overrides: str | None
) -> dict[str, str]:
    """`process_env` for the shop served by gunicorn on loopback under `public_host`, as
    production runs it but over plain HTTP: the shared Redis cache (REDIS_URL) under a key
    prefix of its own, static and media files under `tmp`, no order e-mails to staff;
    `overrides` last."""
    return process_env(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        DJANGO_SETTINGS_MODULE="storefront.settings",
        HOST=LOOPBACK,
        ALLOWED_HOSTS=f"{public_host},{LOOPBACK}",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        CACHE_URL=os.environ["REDIS_URL"],
        CACHE_KEY_PREFIX=cache_prefix,
        ORDER_NOTIFICATION_EMAILS="",
        **overrides,
    )


def start_worker(
    env: Mapping[str, str | None] | None = None,
    extra_args: tuple[str, ...] | list[str] = (),
    *,
    smtp: SmtpServer | None = None,
) -> subprocess.Popen:
    """`manage.py db_worker` on the test database, polling every 0.1 s; stop it with
    `stop_process`. `env` entries are merged over `process_env(smtp)` (None removes one)."""
    return start_manage(
        [
            "db_worker",
            "--interval",
            "0.1",
            "--no-startup-delay",
            "--no-reload",
            # The suite runs the checks itself; they cost a second of a loaded test machine.
            "--skip-checks",
            *extra_args,
        ],
        env=env,
        smtp=smtp,
    )


def start_manage(
    args: list[str],
    env: Mapping[str, str | None] | None = None,
    *,
    smtp: SmtpServer | None = None,
) -> subprocess.Popen:
    """Any `manage.py` command as a subprocess (see start_worker)."""
    full_env = process_env(smtp, **dict(env or {}))
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - outlives this function, read by read_log
        prefix=f"storefront-{args[0]}-", suffix=".log", delete=False
    )
    popen = subprocess.Popen(  # noqa: S603 - our own manage.py, arguments from the test
        [sys.executable, str(REPOSITORY / "manage.py"), *args],
        cwd=REPOSITORY,
        env=full_env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    popen.log_path = log.name
    return popen


def read_log(popen: subprocess.Popen) -> str:
    """What a process started by start_manage/start_worker printed so far."""
    path = getattr(popen, "log_path", None)
    if path is None or not os.path.exists(path):
        return ""
    return Path(path).read_text(errors="replace")


def stop_process(popen: subprocess.Popen, timeout: float = 5.0) -> int:
    """SIGTERM, up to `timeout` s to finish, then SIGKILL; returns the exit code."""
    if popen.poll() is None:
        popen.send_signal(signal.SIGTERM)
        try:
            popen.wait(timeout)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(timeout)
    return popen.returncode


@contextmanager
def running_worker(
    env: Mapping[str, str | None] | None = None,
    extra_args: tuple[str, ...] | list[str] = (),
    *,
    smtp: SmtpServer | None = None,
) -> Iterator[subprocess.Popen]:
    """start_worker as a context manager: stopped on the way out, its log kept on failure
    (printed, so pytest shows it with the failing test), removed otherwise."""
    popen = start_worker(env, extra_args, smtp=smtp)
    try:
        yield popen
    except BaseException:
        stop_process(popen)
        print(f"--- worker log ({popen.log_path}) ---\n{read_log(popen)}")
        raise
    stop_process(popen)
    Path(popen.log_path).unlink(missing_ok=True)

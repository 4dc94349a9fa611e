"""A webhook receiver on loopback (an `http.server` thread) and helpers for the webhook tests.

The receiver answers each request with the next status of its script (then 200), checks
every signature with `verify_signature` against the secret it was given, and keeps what it
received, so a test asserts what a real subscriber would have seen.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from commerce.integrations.models import WebhookSubscription, new_webhook_secret
from commerce.integrations.services.webhooks import verify_signature
from tests.processes import LOOPBACK
from tests.task_queue import run_ready_tasks


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str = ""
    script: list[int] = field(default_factory=list)  # statuses to answer, in turn; then 200
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/shop"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                signature = self.headers.get("X-Storefront-Signature", "")
                receiver.received.append(
                    Received(
                        self.path,
                        dict(self.headers.items()),
                        body,
                        verify_signature(receiver.secret, body, signature),
                    )
                )
                status = receiver.script.pop(0) if receiver.script else 200
                answer = b'{"ok": true}' if status < 300 else b"receiver says no"
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format, *args):  # noqa: A002 - quiet
                pass

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def subscribe(url: str, events, *, secret: str | None = None, **fields) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        name=fields.pop("name", "ERP"),
        url=url,
        events=list(events),
        secret=secret or new_webhook_secret(),
        **fields,
    )


def run_queue_until_idle(rounds: int = 20) -> None:
    """Runs due tasks until none is ready (retries with a zero backoff are due at once)."""
    for _ in range(rounds):
        run_ready_tasks()
        if not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists():
            return
    raise AssertionError("the queue never went idle")

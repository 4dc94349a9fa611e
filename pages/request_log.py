"""One log line per request, and the request id on every log record.

django-guid (first in MIDDLEWARE) takes the proxy's `X-Request-ID` when it is a UUID and
makes a new one otherwise (a header carrying NUL, or 500 characters, is replaced, never
logged), keeps it in a context variable and returns it on the response. Here:

- `RequestIdFilter` (on the console handler, settings.LOGGING) puts that id on every
  record as `request_id`, "-" outside a request;
- `AccessLogMiddleware` writes the one line per request: method, path, status and
  duration in milliseconds. The path without its query string: queries carry what
  shoppers type (searches, e-mail addresses in links);
- in a worker, a task's records carry the task id instead (`connect_signals`);
- Sentry's events carry the same id as a tag (storefront/sentry.py).
"""

import logging
import time

from django_guid.context import guid

logger = logging.getLogger("storefront.access")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = guid.get() or "-"
        return True


class AccessLogMiddleware:
    """Outermost (before django-guid): the duration covers every other middleware, and the
    status is the one the client gets, a 500 made from an exception included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        # The id rides on the record itself too, so any handler (not only the console's,
        # which has the filter) sees it.
        logger.info(
            "%s %s %s %sms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "request_id": guid.get() or "-",
            },
        )
        return response


def _request_finished(sender, **kwargs) -> None:
    # Django logs a 4xx/5xx answer after the middleware returns, so the id is kept until the
    # answer is sent; then it goes, so lines between requests (and the next request's
    # thread) carry no stale id.
    guid.set(None)


def _task_started(sender, task_result, **kwargs) -> None:
    # Only outside a request: a task the immediate backend runs inside a request keeps
    # the request's id, so its lines read with the request that queued it.
    if guid.get() is None:
        guid.set(f"task:{task_result.id}")


def _task_finished(sender, task_result, **kwargs) -> None:
    if guid.get() == f"task:{task_result.id}":
        guid.set(None)


def connect_signals() -> None:
    from django.core.signals import request_finished
    from django_tasks.signals import task_finished, task_started

    request_finished.connect(_request_finished, dispatch_uid="storefront-request-log-id")
    task_started.connect(_task_started, dispatch_uid="storefront-task-log-id")
    task_finished.connect(_task_finished, dispatch_uid="storefront-task-log-id")

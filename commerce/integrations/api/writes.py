"""What every write endpoint of the integration API v1 shares: reading a batch, checking
each item on its own, the per-item answer, and the per-key rate limit.

A batch endpoint takes a bare JSON array, as AMPER's `Send…Async(list)` sends it. The
body as a whole is a 400 only when it is not a JSON array or holds too many items; each
item is then checked against its schema on its own, so a wrong type in one item is that
item's `error` and the others are written (`services/batches.py`).

`batch_write` answers either way from one writer per kind: at once (200 and the answer),
or with `Prefer: respond-async` (RFC 7240) 202 and a job the task queue runs through the
same writer (`services/batch_jobs.py`), polled at `/jobs/<id>/`. An endpoint accepts jobs
by calling `batch_write` with its kind and its two limits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Schema, Status
from ninja.errors import HttpError
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from commerce.integrations.models import BatchJob, BatchJobStatus
from commerce.integrations.services import batch_jobs
from commerce.integrations.services.batches import STATUSES, ItemResult, counts
from commerce.services import limits

from .listing import ErrorOut

WRITE_RESPONSES = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut, 429: ErrorOut}


class ItemResultOut(Schema):
    index: int = Field(description="The item's place in the list sent, from 0.")
    external_id: str
    status: Literal[STATUSES] = Field(  # type: ignore[valid-type]
        description="created, updated, unchanged (nothing to change: nothing was written) "
        "or error (nothing of this item was written; see `errors`)."
    )
    errors: dict[str, list[str]] = Field(
        description='Messages by field (a nested field as "variants.0.sku"; "__all__" for '
        "the item as a whole)."
    )
    changed: list[str] = Field(description="The fields an update changed.")
    note: str = Field(description="Anything else about how the item was written.")


class Counts(Schema):
    created: int
    updated: int
    unchanged: int
    error: int


class BatchOut(Schema):
    counts: Counts
    items: list[ItemResultOut]


def batch_answer(results: list[ItemResult], rejected=()) -> dict[str, Any]:
    """The answer to a batch: the written items' results and those `check_items` rejected,
    in the order the items were sent."""
    items = sorted([*results, *rejected], key=lambda result: result.index)
    return {"counts": counts(items), "items": items}


def sent_by(key) -> str:
    """Who wrote a change, for the history of what it changed: the API key, by its name."""
    return f"the ERP, API key “{key.name}”"


def throttled(request: HttpRequest, response: HttpResponse) -> Status | None:
    """The 429 answer when the key has made more writes this minute than its limit
    (LIMIT_API_WRITES_PER_KEY, counted in the shared cache), else None."""
    wait = limits.retry_after(request, "api_writes_key", f"api-key:{request.auth.pk}")
    if wait is None:
        return None
    response["Retry-After"] = str(wait)
    return Status(429, {"detail": f"Too many changes with this key; retry in {wait} s."})


def check_items(items: list, schema: type[BaseModel]) -> tuple[list, list[ItemResult]]:
    """The items that fit `schema` (each given its `index`), and a result with the
    messages for each that does not."""
    good, bad = [], []
    for index, raw in enumerate(items):
        if not isinstance(raw, dict):
            bad.append(ItemResult(index, "").fail("__all__", "Each item must be a JSON object."))
            continue
        try:
            good.append(schema.model_validate({**raw, "index": index}))
        except PydanticError as exc:
            result = ItemResult(index, _external_id_of(raw))
            for error in exc.errors(include_url=False):
                name = ".".join(str(part) for part in error["loc"]) or "__all__"
                result.fail(name, error["msg"])
            bad.append(result)
    return good, bad


def read_array(
    request: HttpRequest, *, max_items: int, within: str = "one request", hint: str = ""
) -> list:
    """The body's JSON array (numbers as Decimal), or HttpError 400 when it is none or
    holds more than `max_items` items `within` a request or a job (`hint` added to that
    message)."""
    try:
        # Decimal, never float: 0.1 stays 0.1; NaN and Infinity fail the item's check.
        data = batch_jobs.parse_items(body_text(request))
    except (UnicodeDecodeError, LookupError, json.JSONDecodeError, RecursionError):
        raise HttpError(400, "The body must be a JSON array of items.") from None
    if not isinstance(data, list):
        raise HttpError(400, "The body must be a JSON array of items.")
    if len(data) > max_items:
        raise HttpError(
            400,
            f"{len(data)} items: at most {max_items} in {within}; send the rest in another{hint}.",
        )
    return data


def body_text(request: HttpRequest) -> str:
    """The body as text, decoded as `json.loads` decodes bytes (UTF-8, -16 or -32, by
    its first bytes; a UTF-8 BOM dropped): what a job keeps of the items."""
    body = body_bytes(request) or b"null"
    return body.decode(json.detect_encoding(body))


def body_bytes(request: HttpRequest) -> bytes:
    """The body of a batch write, of at most STOREFRONT_API_BATCH_MAX_BYTES (HttpError 413
    past it).

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) is meant for forms anyone may post: a
    batch of 10,000 stock rows or 5,000 products in a job weighs more, and comes from a
    key the endpoint has already checked, so a larger body is read from the stream
    itself (`request.body` would refuse it)."""
    cached = getattr(request, "_batch_body", None)
    if cached is not None:
        return cached
    limit = settings.STOREFRONT_API_BATCH_MAX_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise HttpError(
            413, f"The body is {length} bytes: at most {limit} in one batch; send fewer items."
        )
    form_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = request.body if form_limit is None or length <= form_limit else request.read()
    request._batch_body = body
    return body


# --- Answering now or in a job ----------------------------------------------------------------

ASYNC = "respond-async"


def prefers_async(request: HttpRequest) -> bool:
    """Whether a `Prefer` header (RFC 7240) asks for `respond-async`; its name is matched
    case-insensitively and other preferences beside it (`wait=10`) are ignored."""
    for preference in request.headers.get("Prefer", "").split(","):
        name = preference.split(";", 1)[0].split("=", 1)[0].strip().lower()
        if name == ASYNC:
            return True
    return False


class JobOut(Schema):
    id: str = Field(description="The job's id (random; only its key can read it).")
    kind: str = Field(description="What it writes: the endpoint's name, e.g. products, stocks.")
    status: Literal[tuple(BatchJobStatus.values)] = Field(  # type: ignore[valid-type]
        description="queued, running, done (the report is ready) or failed (see `error`; "
        "the job is tried again, or send the batch again: every batch is safe to resend)."
    )
    url: str = Field(description="Where to poll the job.")
    item_count: int = Field(description="Items accepted: the report answers each of them.")
    created_at: datetime = Field(description="When the batch was accepted.")
    started_at: datetime | None = Field(description="When its latest try began.")
    finished_at: datetime | None
    error: str = Field(description="Why the latest try crashed (not an item's error), or empty.")

    @staticmethod
    def resolve_id(obj):
        return str(obj.public_id)

    @staticmethod
    def resolve_url(obj, context):
        return context["request"].build_absolute_uri(job_path(obj))


class JobDetailOut(JobOut):
    report: BatchOut | None = Field(
        description="Once done: the answer a request without `Prefer: respond-async` would "
        "have had (counts, then one result per item in the order sent)."
    )

    @staticmethod
    def resolve_report(obj):
        return batch_jobs.report(obj)


def job_path(job: BatchJob) -> str:
    return reverse("external_v1:get_job", args=[str(job.public_id)])


def batch_write(
    request: HttpRequest,
    response: HttpResponse,
    kind: str,
    *,
    max_items: int,
    max_async_items: int,
    params: dict | None = None,
    check: Callable[[list, bool], None] | None = None,
):
    """The answer to a batch write of `kind` (a writer of `services.batch_jobs.KINDS`):
    200 and the per-item answer, or with `Prefer: respond-async` 202 and a job (a larger
    batch allowed: `max_async_items`). Whole-body checks answer now either way: the
    array and its size here, the endpoint's own in `check(items, asynchronous)`, which
    raises HttpError. `params` (JSON) are what the writer needs beside the items, fixed
    now (stocks' `counted_at`). A key past its write limit gets the 429 first."""
    limited = throttled(request, response)
    if limited is not None:
        return limited
    asynchronous = prefers_async(request)
    hint = (
        f" (or up to {max_async_items} in one job, with `Prefer: {ASYNC}`)"
        if not asynchronous and max_async_items > max_items
        else ""
    )
    if asynchronous:
        items = read_array(request, max_items=max_async_items, within="one job")
    else:
        items = read_array(request, max_items=max_items, hint=hint)
    if check is not None:
        check(items, asynchronous)
    if not asynchronous:
        return batch_jobs.writer(kind)(items, key=request.auth, params=params or {})
    job = batch_jobs.accept(
        key=request.auth,
        kind=kind,
        items_json=body_text(request),
        item_count=len(items),
        params=params,
    )
    response["Location"] = request.build_absolute_uri(job_path(job))
    response["Preference-Applied"] = ASYNC
    return Status(202, job)


def batch_responses() -> dict:
    """An endpoint's `response` for `batch_write`."""
    return {200: BatchOut, 202: JobOut, **WRITE_RESPONSES}


def _external_id_of(raw) -> str:
    value = raw.get("external_id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) and len(value) <= 200 else ""


def request_body(
    item_schema: type[BaseModel],
    *,
    max_items: int,
    description: str,
    max_async_items: int | None = None,
) -> dict:
    """`openapi_extra` documenting a batch body: an array of `item_schema` (without the
    `index` the server gives each item), and with `max_async_items` the `Prefer` header
    that asks for a job, and the job's limit.

    The header is described, not declared as a parameter: schemathesis then merges the
    run's `Authorization` into its generated headers and takes the real key for a made-up
    one (ST401 on every batch endpoint)."""
    schema = inline_refs(item_schema.model_json_schema())
    schema["properties"].pop("index", None)
    if "index" in schema.get("required", []):
        schema["required"].remove("index")
    extra: dict = {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "application/json": {
                    # The synchronous limit: a schema cannot say that a header raises it.
                    "schema": {"type": "array", "maxItems": max_items, "items": schema}
                }
            },
        }
    }
    if max_async_items is not None:
        extra["requestBody"]["description"] += (
            f" At most {max_items} items; or send the header `Prefer: {ASYNC}` (RFC 7240) "
            f"for a 202 and a job (`Location`: `/external/v1/jobs/{{id}}/`) that writes up "
            f"to {max_async_items} items in the background: poll it for the same per-item "
            "report."
        )
        extra["responses"] = {
            202: {
                "description": f"Accepted (the request had `Prefer: {ASYNC}`): the job, "
                "queued; its `Location` (and `url`) is where to poll it."
            }
        }
    return extra


def inline_refs(schema: dict) -> dict:
    """A pydantic JSON schema with its `$defs` written in place of their `$ref`s, so it
    stands inside an OpenAPI document on its own."""
    defs = schema.pop("$defs", {})

    def resolve(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(dict(defs[ref.removeprefix("#/$defs/")]))
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    return resolve(schema)

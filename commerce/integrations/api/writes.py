"""What every write endpoint of the integration API v1 shares: reading a batch, checking
each item on its own, the per-item answer, and the per-key rate limit.

A batch endpoint takes a bare JSON array, as AMPER's `Send…Async(list)` sends it. The
body as a whole is a 400 only when it is not a JSON array or holds too many items; each
item is then checked against its schema on its own, so a wrong type in one item is that
item's `error` and the others are written (`services/batches.py`).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Schema, Status
from ninja.errors import HttpError
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from commerce.integrations.services.batches import STATUSES, ItemResult, counts
from commerce.services import limits

from .listing import ErrorOut

WRITE_RESPONSES = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut}


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
    """The answer to a batch: the written items' results and those `read_items` rejected,
    in the order the items were sent."""
    items = sorted([*results, *rejected], key=lambda result: result.index)
    return {"counts": counts(items), "items": items}


def sent_by(request: HttpRequest) -> str:
    """Who wrote a change, for the history of what it changed: the API key, by its name."""
    return f"the ERP, API key “{request.auth.name}”"


def throttled(request: HttpRequest, response: HttpResponse) -> Status | None:
    """The 429 answer when the key has made more writes this minute than its limit
    (LIMIT_API_WRITES_PER_KEY, counted in the shared cache), else None."""
    wait = limits.retry_after(request, "api_writes_key", f"api-key:{request.auth.pk}")
    if wait is None:
        return None
    response["Retry-After"] = str(wait)
    return Status(429, {"detail": f"Too many changes with this key; retry in {wait} s."})


def read_items(
    request: HttpRequest, schema: type[BaseModel], *, max_items: int
) -> tuple[list, list[ItemResult]]:
    """The body's items that fit `schema` (each given its `index`), and a result with the
    messages for each that does not; HttpError 400 when the body is no JSON array of at
    most `max_items` items."""
    good, bad = [], []
    for index, raw in enumerate(read_array(request, max_items=max_items)):
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


def read_array(request: HttpRequest, *, max_items: int) -> list:
    """The body's JSON array (numbers as Decimal), or HttpError 400 when it is none or
    holds more than `max_items` items."""
    try:
        # Decimal, never float: 0.1 stays 0.1; NaN and Infinity fail the item's check.
        data = json.loads(request.body or b"null", parse_float=Decimal, parse_constant=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise HttpError(400, "The body must be a JSON array of items.") from None
    if not isinstance(data, list):
        raise HttpError(400, "The body must be a JSON array of items.")
    if len(data) > max_items:
        raise HttpError(
            400,
            f"{len(data)} items: at most {max_items} in one request; send the rest in another.",
        )
    return data


def _external_id_of(raw) -> str:
    value = raw.get("external_id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) and len(value) <= 200 else ""


def request_body(item_schema: type[BaseModel], *, max_items: int, description: str) -> dict:
    """`openapi_extra` documenting a batch body: an array of `item_schema` (without the
    `index` the server gives each item)."""
    schema = inline_refs(item_schema.model_json_schema())
    schema["properties"].pop("index", None)
    if "index" in schema.get("required", []):
        schema["required"].remove("index")
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "maxItems": max_items, "items": schema}
                }
            },
        }
    }


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

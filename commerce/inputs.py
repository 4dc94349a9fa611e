"""Reading what clients send: integers, text, redirect targets, and a guard against NUL.

Every value in a request is hostile until read through one of these:

- `parse_int`: ASCII digits only and a bounded length. `str.isdigit()` says yes
  to "²" and "①", which `int()` then refuses, and `int()` itself takes "١٢",
  "1_000" and, up to Python's limit, 4,300 digits: none of that is a quantity
  or an id a shop page ever sends.
- `control_characters`: text meant for one line (names, codes, tokens) holds
  no control characters; notes may hold line breaks and tabs, nothing else.
- `safe_next_url`: a redirect target from a client is a URL on this site or
  nothing. It is never handed to `redirect()`, which would try a string such
  as "abc" as a view name first and fail with a 500.
- `NulGuardMiddleware`: PostgreSQL text can't hold NUL (psycopg refuses it with
  an error, not a validation message), and no field of this shop takes one, so
  a request carrying NUL in its path, query, form body, cookies or headers is
  refused where requests start, before any view or query sees it. JSON bodies
  are checked by the API schemas (`commerce.integrations.api.fields.text`).
"""

import re

from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

# 18 digits fit a 64-bit column; nothing a shopper sends is longer.
MAX_INT_DIGITS = 18
_INTEGER = re.compile(rf"[+-]?[0-9]{{1,{MAX_INT_DIGITS}}}")

NUL = "\x00"
# Lone surrogates too: JSON can spell them ("\ud800"), UTF-8 (and so the database) can't.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_CONTROL_EXCEPT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def parse_int(value, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """The whole number `value` spells in ASCII digits (sign and surrounding blanks
    allowed), within [minimum, maximum]; None for anything else, never an exception."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip(" \t")):
        number = int(value.strip(" \t"))
    else:
        return None
    if minimum is not None and number < minimum:
        return None
    if maximum is not None and number > maximum:
        return None
    return number


def parse_ints(values, **bounds) -> list[int]:
    """The integers among `values` (e.g. a form's repeated checkbox), the rest dropped."""
    numbers = (parse_int(value, **bounds) for value in values)
    return [number for number in numbers if number is not None]


def control_characters(text: str, *, multiline: bool = False) -> bool:
    """Does `text` hold control characters (line breaks and tabs allowed if multiline)?"""
    pattern = _CONTROL_EXCEPT_LINES if multiline else _CONTROL
    return pattern.search(text) is not None


def safe_next_url(request, default: str) -> str:
    """The request's `next` (form field, else query) if it is a URL on this site, else
    `default` (a URL or one of our view names). Always a URL string."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path ("/cart/") or an absolute URL: a bare word such as "abc" is
    # relative to whatever page posted it, so it is no place we meant to send anyone.
    if target.startswith(("/", "http://", "https://")) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)


def redirect_to_next(request, default: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(safe_next_url(request, default))


# --- The guard where requests start ----------------------------------------------------

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _nul_in(pairs) -> bool:
    return any(NUL in key or NUL in value for key, value in pairs)


def _nul_in_querydict(data) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in data.lists())


def nul_problem(request) -> str:
    """Where the request's address, cookies or headers carry NUL, or ""."""
    if NUL in request.path:
        return "The address"
    if _nul_in_querydict(request.GET):
        return "The query string"
    if _nul_in(request.COOKIES.items()):
        return "A cookie"
    headers = ((key, value) for key, value in request.META.items() if key.startswith("HTTP_"))
    if _nul_in((key, str(value)) for key, value in headers):
        return "A header"
    return ""


def _refuse(where):
    detail = f"{where} contains a NUL character (\\u0000), which nothing here takes."
    return JsonResponse({"detail": detail}, status=400)


class NulGuardMiddleware:
    """Answers 400, with a JSON `{"detail": ...}` as both APIs answer errors, to a
    request carrying NUL. Place it before CsrfViewMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = nul_problem(request)
        return _refuse(where) if where else self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        # The form body is read only for views whose CSRF check reads it anyway.
        # CSRF-exempt views (both APIs) read their bodies their own way: parsing a
        # multipart body here would consume the stream they read.
        if getattr(view, "csrf_exempt", False) or request.method != "POST":
            return None
        if request.content_type in _FORM_TYPES and _nul_in_querydict(request.POST):
            return _refuse("The form")
        return None

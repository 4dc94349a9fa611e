"""How a limited request is answered (the limits themselves: services/limits.py).

Pages answer 429 with the shop's layout and a sentence saying what to do; the
APIs answer 429 with {"detail": ...}. A `Retry-After` header says when to retry.
"""

from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from commerce.forms.account import EmailAuthenticationForm
from commerce.services import limits

TOO_MANY_WRITES = "You have made too many changes in a short time. Wait a minute and try again."


def too_many_requests(request, message: str, *, retry_after: int = 60):
    response = TemplateResponse(
        request, "commerce/too_many_requests.html", {"message": message}, status=429
    )
    response["Retry-After"] = str(retry_after)
    add_never_cache_headers(response)
    return response


def limit_writes(limit: str):
    """Counts every POST of the view against `limit`, per session (or user)."""

    def decorator(view):
        @wraps(view)
        def limited(request, *args, **kwargs):
            if request.method == "POST" and limits.exceeded(
                request, limit, limits.session_key(request)
            ):
                return too_many_requests(request, TOO_MANY_WRITES)
            return view(request, *args, **kwargs)

        return limited

    return decorator


# --- Log-in lock-out (AXES_LOCKOUT_CALLABLE) -------------------------------------------


def lockout_message() -> str:
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return (
        "Too many failed log-in attempts for this account or from this address. "
        f"Log-in is blocked for {minutes} minutes, even with the right password; "
        "try again later."
    )


def locked_out(request, original_response=None, credentials=None):
    """The answer to a log-in attempt that axes refused, on each of the three log-ins."""
    cool_off = int(settings.AXES_COOLOFF_TIME.total_seconds())
    match = getattr(request, "resolver_match", None)
    if match is not None and match.namespace == "order_api":
        response = JsonResponse({"detail": lockout_message(), "errors": {}}, status=429)
        response["Retry-After"] = str(cool_off)
        return response
    if match is not None and match.view_name == "account:login":
        form = EmailAuthenticationForm(
            request, initial={"username": request.POST.get("username", "")}
        )
        response = TemplateResponse(
            request,
            "commerce/account/login.html",
            {"form": form, "lockout_message": lockout_message()},
            status=429,
        )
        response["Retry-After"] = str(cool_off)
        add_never_cache_headers(response)
    else:  # the Wagtail admin's log-in
        response = too_many_requests(request, lockout_message(), retry_after=cool_off)
    # Middleware runs after the view: nothing else would render this response.
    return response.render()

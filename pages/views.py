from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_safe

from pages import health


@require_GET
@cache_control(max_age=3600, public=True)
def robots_txt(request):
    sitemap_url = request.build_absolute_uri(reverse("sitemap"))
    return render(request, "robots.txt", {"sitemap_url": sitemap_url}, content_type="text/plain")


@require_safe
@never_cache
def healthz(request):
    """Liveness: the process answers. No query, so a slow database never gets healthy
    processes restarted; /readyz/ checks what serving needs (pages/health.py)."""
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
def readyz(request):
    """Readiness: 200 when this process can serve the shop (status "ok" or "degraded"),
    503 with the failed checks otherwise."""
    status, checks = health.readiness()
    response = JsonResponse(
        {"status": status, "checks": checks}, status=503 if status == health.FAILED else 200
    )
    # pages/health.py logged the failed check once, as a warning; Django's own error line
    # for every 503 would repeat it at each probe (and reach Sentry as an error each time).
    response._has_been_logged = True
    return response

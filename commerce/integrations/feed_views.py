"""Price-comparison feeds: /feeds/ceneo.xml (Ceneo) and /feeds/google.xml (Google Merchant).

The HTTP side only: which site, which build to serve, or "come back soon". Building,
storing and queueing are in commerce/integrations/services/price_feeds.py; requests never
build a feed themselves (with the immediate task backend the queued build runs at once,
inside the request, and its feed is served).
"""

from django.http import FileResponse, Http404, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from wagtail.models import Site

from commerce.integrations.services import price_feeds as feeds
from commerce.services.page_cache import CACHE_HEADER

CONTENT_TYPE = "application/xml; charset=utf-8"
# A first build of a few thousand variants takes seconds to a minute on a worker.
RETRY_AFTER_SECONDS = 60


@require_safe
def ceneo_feed(request):
    return serve_feed(request, "ceneo")


@require_safe
def google_feed(request):
    return serve_feed(request, "google")


def serve_feed(request, kind):
    """A fresh build costs two queries (the site; the build with the catalog version);
    a stale one is served while its rebuild waits; none at all is a 503 (see
    `price_feeds.build_to_serve`)."""
    site = Site.find_for_request(request)
    if site is None:
        raise Http404("No site.")

    build, outcome = feeds.build_to_serve(kind, site)
    if outcome == "no shop":
        raise Http404("This site has no live, public shop page.")
    file = feeds.open_build(build) if build is not None else None
    if file is None:
        return being_built()

    generated_at = int(build.generated_at.timestamp())
    etag = feeds.etag(kind, site.pk, build.version, generated_at)
    response = get_conditional_response(request, etag=etag, last_modified=generated_at)
    if response is not None or request.method == "HEAD":
        file.close()
        if response is None:
            response = HttpResponse(content_type=CONTENT_TYPE)
            response["Content-Length"] = build.size
    else:
        response = FileResponse(file, content_type=CONTENT_TYPE, filename=f"{kind}.xml")
        response["Content-Length"] = build.size
    return with_headers(response, outcome, etag, generated_at)


def being_built():
    response = HttpResponse(
        "This feed is being built. Try again in a minute.\n",
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response[CACHE_HEADER] = "miss"
    patch_cache_control(response, no_store=True)
    return response


def with_headers(response, outcome, etag, generated_at):
    """Public, but revalidated every time: the ETag makes that a 304 while nothing changed."""
    response[CACHE_HEADER] = outcome
    response["ETag"] = etag
    response["Last-Modified"] = http_date(generated_at)
    patch_cache_control(response, public=True, no_cache=True)
    return response

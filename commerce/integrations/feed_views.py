"""Price-comparison feeds: /feeds/ceneo.xml (Ceneo) and /feeds/google.xml (Google Merchant).

The HTTP side only: which site, which catalog version, a cached file or a fresh
stream. Generation and the file cache are in commerce/integrations/services/price_feeds.py.
"""

import time

from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from wagtail.models import Site

from commerce.integrations.services import price_feeds as feeds
from commerce.services.catalog_version import catalog_version
from commerce.services.page_cache import CACHE_HEADER

CONTENT_TYPE = "application/xml; charset=utf-8"


@require_safe
def ceneo_feed(request):
    return serve_feed(request, "ceneo")


@require_safe
def google_feed(request):
    return serve_feed(request, "google")


def serve_feed(request, kind):
    """A cached feed costs two queries (the site, the catalog version); a miss streams."""
    site = Site.find_for_request(request)
    if site is None:
        raise Http404("No site.")
    version = catalog_version()

    cached = feeds.open_cached_feed(kind, site.pk, version)
    if cached is not None:
        etag = feeds.etag(kind, site.pk, version, cached.generated_at)
        response = get_conditional_response(request, etag=etag, last_modified=cached.generated_at)
        if response is not None or request.method == "HEAD":
            cached.file.close()
            if response is None:
                response = HttpResponse(content_type=CONTENT_TYPE)
                response["Content-Length"] = cached.size
        else:
            response = FileResponse(cached.file, content_type=CONTENT_TYPE, filename=f"{kind}.xml")
        return with_headers(response, "hit", etag, cached.generated_at)

    target = feeds.feed_site(site, request)
    if target is None:
        raise Http404("This site has no live, public shop page.")
    if request.method == "HEAD":
        # Headers only: no reason to generate a feed nobody reads.
        return with_headers(HttpResponse(content_type=CONTENT_TYPE), "miss")
    generated_at = int(time.time())
    stream = feeds.generate_and_store(kind, target, version, generated_at)
    response = StreamingHttpResponse(stream, content_type=CONTENT_TYPE)
    return with_headers(
        response, "miss", feeds.etag(kind, site.pk, version, generated_at), generated_at
    )


def with_headers(response, outcome, etag=None, generated_at=None):
    """Public, but revalidated every time: the ETag makes that a 304 while nothing changed."""
    response[CACHE_HEADER] = outcome
    if etag:
        response["ETag"] = etag
        response["Last-Modified"] = http_date(generated_at)
    patch_cache_control(response, public=True, no_cache=True)
    return response

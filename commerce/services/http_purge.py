"""Purging the shared HTTP cache (Varnish, a CDN) when the catalog version changes.

Every shared page is keyed, in the shop's own page cache, on the one catalog version
(`services.catalog_version`): a bump makes all of them stale at once, whichever product,
page or setting changed. So a bump purges each Wagtail site's root ("/") through
`wagtail.contrib.frontend_cache`, once per transaction and only after it commits (a rolled
back change must not purge, and a proxy fetching at once must see the committed page).
The Varnish configuration (deploy/varnish/default.vcl) reads a PURGE as a ban of every
object on that host whose URL starts with the path, query strings included, so "/" drops
the whole site. A CDN whose purge is exact (per URL) needs a wildcard ("/*") instead:
README, "Shared HTTP cache".

Off unless `WAGTAILFRONTENDCACHE` is set (HTTP_CACHE_PURGE_URL in the settings). Wagtail
sends the PURGE requests from a background task (`purge_urls_from_cache`), so a slow or
absent proxy never holds up an editor's save.
"""

from django.conf import settings
from django.db import connection, transaction

from .catalog_version import catalog_version_bumped


def site_root_urls() -> list[str]:
    from wagtail.models import Site

    return sorted({site.root_url + "/" for site in Site.objects.all()})


def purge_shared_cache() -> None:
    """Purges every site from the configured frontend caches (after the commit)."""
    from wagtail.contrib.frontend_cache.utils import purge_urls_from_cache

    purge_urls_from_cache(site_root_urls())


def purge_after_commit(**kwargs) -> None:
    """Receiver of `catalog_version_bumped`: one purge when the bumping transaction commits,
    however many bumps it made (one admin save bumps several times)."""
    if not getattr(settings, "WAGTAILFRONTENDCACHE", None):
        return
    already = any(func is purge_shared_cache for _sids, func, _robust in connection.run_on_commit)
    if not already:
        # robust: a failing purge must not turn the editor's committed save into an error.
        transaction.on_commit(purge_shared_cache, robust=True)


def connect_purges() -> None:
    """Called once from CommerceConfig.ready()."""
    catalog_version_bumped.connect(purge_after_commit, dispatch_uid="storefront_http_purge")

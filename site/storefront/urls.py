from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps import Sitemap as PageSitemap
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from commerce.sitemaps import CategorySitemap, ProductSitemap
from pages import views as pages_views

SITEMAPS = {"pages": PageSitemap, "categories": CategorySitemap, "products": ProductSitemap}

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", pages_views.robots_txt, name="robots_txt"),
    path("healthz/", pages_views.healthz, name="healthz"),
    path("readyz/", pages_views.readyz, name="readyz"),
    path("account/", include("commerce.urls.account")),
    path("cart/", include("commerce.urls.cart")),
    path("checkout/", include("commerce.urls.checkout")),
    path("lists/", include("commerce.urls.lists")),
    path("stock-alerts/", include("commerce.urls.stock_alerts")),  # product part
    path("", include("commerce.integrations.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    # Local uploads only; production serves media from its storage (S3/CDN).
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [
    # Wagtail's page serving comes last: it matches every remaining path.
    path("", include(wagtail_urls)),
]

"""The shop in the page tree: catalog, category, search and product routes."""

from urllib.parse import quote

from django.db import models
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.models import Page, Site

from pages.forms import StorefrontPageForm
from pages.models import SeoMixin


class ShopPage(RoutablePageMixin, SeoMixin, Page):
    """Editors place it in the page tree; its intro is editable, its routes are code."""

    intro = models.TextField(blank=True, max_length=600)
    categories_in_menu = models.BooleanField(
        "show categories in the menu",
        default=True,
        help_text=(
            "Under this page's menu item: the top categories shoppers can reach and their "
            'subcategories. Needs "Show in menus" above.'
        ),
    )

    max_count = 1
    parent_page_types = ["home.HomePage"]
    subpage_types = []
    base_form_class = StorefrontPageForm

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    promote_panels = [
        *Page.promote_panels,
        FieldPanel("categories_in_menu"),
        *SeoMixin.seo_panels,
    ]

    class Meta:
        verbose_name = "shop"

    @classmethod
    def for_request(cls, request=None):
        """The live shop page of the request's site, looked up once per request."""
        if request is not None and hasattr(request, "_storefront_shop_page"):
            return request._storefront_shop_page
        shop = cls.for_site(Site.find_for_request(request) if request is not None else None)
        if request is not None:
            request._storefront_shop_page = shop
        return shop

    @classmethod
    def for_site(cls, site=None):
        """The site's live shop page (without a site, the first in the tree): the one lookup
        pages, sitemaps and feeds share."""
        shops = cls.objects.live().order_by("path")
        if site is not None:
            shops = shops.descendant_of(site.root_page, inclusive=True)
        return shops.first()

    def serve(self, request, *args, **kwargs):
        """Every route, through the anonymous full-page cache (services.page_cache).

        A shop behind a password, login or group restriction is never cached: cached
        pages are answered before Wagtail checks restrictions.
        """
        from commerce.services.page_cache import serve_with_page_cache

        return serve_with_page_cache(
            request,
            lambda: super(ShopPage, self).serve(request, *args, **kwargs),
            cacheable=not self.get_view_restrictions().exists(),
        )

    def product_subpath(self, product) -> str:
        """The product's route below this page: the one place a product URL is spelled.

        Callers that link many products add it to the shop's URL, computed once."""
        return self.reverse_subpage("product", kwargs={"slug": product.slug})

    @staticmethod
    def with_variant(product_url: str, sku: str) -> str:
        """The product page with one variant chosen (`?variant=<SKU>`): the one place a
        variant's URL is spelled (product page, tiles, search, cart, lists, feeds)."""
        return f"{product_url}?variant={quote(sku, safe='')}"

    def product_url(self, product, request=None):
        return self.get_url(request=request) + self.product_subpath(product)

    def category_subpath(self, category) -> str:
        """The category's route below this page, as `product_subpath` is the product's."""
        return self.reverse_subpage("category", kwargs={"category_path": category.slug_path})

    def category_url(self, category, request=None):
        return self.get_url(request=request) + self.category_subpath(category)

    def promotion_subpath(self, promotion) -> str:
        """A promotion's page below this one, as `product_subpath` is a product's."""
        return self.reverse_subpage("promotion", kwargs={"short_code": promotion.short_code})

    def promotion_url(self, promotion, request=None):
        return self.get_url(request=request) + self.promotion_subpath(promotion)

    def search_url(self, request=None):
        return self.get_url(request=request) + self.reverse_subpage("search")

    @path("", name="catalog")
    def catalog(self, request):
        from commerce.services.catalog.listing import listing_context

        request._storefront_shop_page = self
        context = listing_context(self, request)
        return TemplateResponse(
            request, "commerce/catalog.html", self.get_context(request) | context
        )

    @re_path(r"^c/(?P<category_path>[-\w]+(?:/[-\w]+)*)/$", name="category")
    def category(self, request, category_path):
        from commerce.models import Category
        from commerce.services.catalog.listing import listing_context

        request._storefront_shop_page = self
        slug = category_path.rsplit("/", 1)[-1]
        category = (
            Category.objects.on_storefront().filter(slug=slug).select_related("image").first()
        )
        if category is None:
            raise Http404("No such category.")
        if category.slug_path != category_path:
            # An old or partial path: send shoppers and crawlers to the canonical one.
            return redirect(self.category_url(category, request), permanent=True)
        context = listing_context(self, request, category=category)
        if context is None:
            raise Http404("This category is not available.")
        return TemplateResponse(
            request, "commerce/catalog.html", self.get_context(request) | context
        )

    @path("search/", name="search")
    def search(self, request):
        from commerce.services.catalog.exact_match import exact_match
        from commerce.services.catalog.listing import listing_context

        request._storefront_shop_page = self
        # A search from the header with just a code: straight to that variant.
        if set(request.GET) == {"q"}:
            variant = exact_match(request.GET.get("q"))
            if variant is not None:
                return redirect(
                    self.with_variant(self.product_url(variant.product, request), variant.sku)
                )
        context = listing_context(self, request, search=True)
        if context["listing"].query and not context["products"].paginator.count:
            from commerce.services.catalog.search import did_you_mean

            # Nothing found: offer the query with its misspelled words corrected.
            suggestion = did_you_mean(context["listing"].query)
            if suggestion:
                context["did_you_mean"] = suggestion
                context["did_you_mean_url"] = self.search_url(request) + "?q=" + quote(suggestion)
        return TemplateResponse(
            request, "commerce/catalog.html", self.get_context(request) | context
        )

    @path("search/suggest/", name="search_suggest")
    def search_suggest(self, request):
        """Suggestions for the header's search box as the shopper types (JSON; see
        storefront/js/search-suggest.js): a few products and categories."""
        from django.http import JsonResponse

        from commerce.services.catalog.search import MAX_QUERY_LENGTH, suggestions

        request._storefront_shop_page = self
        query = request.GET.get("q", "")
        if not isinstance(query, str) or len(query) > MAX_QUERY_LENGTH:
            return JsonResponse({"error": "Search with up to 100 characters."}, status=400)
        found = suggestions(
            query,
            product_url=lambda product: self.product_url(product, request),
            category_url=lambda category: self.category_url(category, request),
        )
        return JsonResponse(found)

    @re_path(r"^promotions/(?P<short_code>[-\w]+)/$", name="promotion")
    def promotion(self, request, short_code):
        from commerce.services.catalog.promotion_page import promotion_page

        request._storefront_shop_page = self
        found = promotion_page(self, request, short_code)
        if found is None:
            raise Http404("No such promotion.")
        template, context, status = found
        return TemplateResponse(
            request, template, self.get_context(request) | context, status=status
        )

    @path("p/<slug:slug>/", name="product")
    def product(self, request, slug):
        from commerce.services.catalog.product_page import (
            get_visible_product,
            product_detail_context,
        )

        request._storefront_shop_page = self
        product = get_visible_product(slug, request)
        if product is None:
            raise Http404("No such product.")
        context = product_detail_context(product, request)
        return TemplateResponse(
            request, "commerce/product_detail.html", self.get_context(request) | context
        )

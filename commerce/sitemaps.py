"""Products and categories in sitemap.xml, beside Wagtail's pages."""

from wagtail.contrib.sitemaps import Sitemap

from commerce.models import Category, Product, ShopPage


class _ShopSitemap(Sitemap):
    def shop_base(self):
        if not hasattr(self, "_shop_base"):
            shop = ShopPage.for_request(self.request)
            self._shop = shop
            self._shop_base = shop.get_full_url(request=self.request) if shop else None
        return self._shop_base

    def _urls(self, page, protocol, domain):
        if self.shop_base() is None:
            return []  # no live shop page: nothing to link to
        urls = []
        for item in self.paginator.page(page).object_list:
            subpath = self.subpath(item)
            urls.append(
                {
                    "item": item,
                    "location": self._shop_base + subpath,
                    "lastmod": getattr(item, "updated_at", None),
                }
            )
        return urls


class ProductSitemap(_ShopSitemap):
    def items(self):
        return Product.objects.visible().only("pk", "slug", "updated_at").order_by("pk")

    def subpath(self, product):
        return self._shop.product_subpath(product)


class CategorySitemap(_ShopSitemap):
    def items(self):
        return Category.objects.on_storefront().only("pk", "slug_path").order_by("slug_path")

    def subpath(self, category):
        return self._shop.category_subpath(category)

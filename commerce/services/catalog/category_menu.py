"""The shop's categories in the main menu: under the shop page's menu item, the top
categories shoppers can reach, each with its subcategories (two levels).

Editors switch it per shop page ("Show categories in the menu", Promote tab) beside
"Show in menus"; categories come and go with the storefront rule
(`Category.objects.on_storefront()`). Registered as a `pages.navigation` hook
(commerce/wagtail_hooks.py): two queries whatever the number of categories, none when the
menu has no shop page.
"""

from django.contrib.contenttypes.models import ContentType

from commerce.models import Category, ShopPage
from pages.navigation import MenuItem

MENU_DEPTH = 2  # top categories and their children; deeper ones are a click away


def category_menu(request, pages) -> dict[int, list[MenuItem]]:
    """{shop page id: its category items} for the shop pages among the menu's `pages`."""
    # Content types are cached per process (Django's ContentTypeManager): no query here, and
    # none at all for a menu without a shop page.
    shop_type = ContentType.objects.get_for_model(ShopPage).pk
    by_id = {page.pk: page for page in pages if page.content_type_id == shop_type}
    if not by_id:
        return {}
    shops = list(ShopPage.objects.filter(pk__in=by_id, categories_in_menu=True).only("pk"))
    if not shops:
        return {}
    categories = list(
        Category.objects.on_storefront()
        .filter(depth__lte=MENU_DEPTH)
        .order_by("depth", "sort_order", "name")
        .only("pk", "parent_id", "name", "slug_path", "depth")
    )
    path = getattr(request, "path", "")
    menus = {}
    for shop in shops:
        # The menu's own page row knows the URL; `shop` was loaded with its id only.
        base = by_id[shop.pk].get_url(request=request)
        if base is None:
            continue
        items: dict[int, MenuItem] = {}
        top: list[MenuItem] = []
        for category in categories:
            url = base + shop.category_subpath(category)
            item = MenuItem(title=category.name, url=url, is_active=path.startswith(url))
            items[category.pk] = item
            if category.depth == 1:
                top.append(item)
            elif category.parent_id in items:
                items[category.parent_id].children.append(item)
        menus[shop.pk] = top
    return menus

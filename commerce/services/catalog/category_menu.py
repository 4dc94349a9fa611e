"""The shop's categories in the main menu: under the shop page's menu item, the top
categories shoppers can reach, each with its subcategories (two levels).

Editors switch it per shop page ("Show categories in the menu", Promote tab) beside
"Show in menus"; categories come and go with the storefront rule
(`Category.objects.on_storefront()`). Registered as a `pages.navigation` hook
(commerce/wagtail_hooks.py): one query whatever the number of categories, once per catalog
version (the shop page is
the request's, which the header looks up anyway), none when the menu has no shop page.
"""

from commerce.models import ShopPage
from pages.navigation import MenuItem

from .listing import storefront_categories

MENU_DEPTH = 2  # top categories and their children; deeper ones are a click away


def category_menu(request, pages) -> dict[int, list[MenuItem]]:
    """{shop page id: its category items} when the request's shop page is among the
    menu's `pages` and shows its categories; else nothing."""
    # The request's shop page is looked up once per request (the header's search box needs
    # it too): no query of its own here.
    shop = ShopPage.for_request(request)
    page = next((page for page in pages if shop is not None and page.pk == shop.pk), None)
    if page is None or not shop.categories_in_menu:
        return {}
    # The menu's own page row knows the URL as the menu shows it.
    base = page.get_url(request=request)
    if base is None:
        return {}
    # The storefront's categories, kept per catalog version (listing.storefront_categories,
    # in menu order): no query on a request after the first since the last change.
    categories = sorted(
        (c for c in storefront_categories(request) if c.depth <= MENU_DEPTH),
        key=lambda c: c.depth,  # stable: menu order within each depth
    )
    path = getattr(request, "path", "")
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
    return {shop.pk: top}

"""The main menu: two levels of live, public pages that editors mark "show in menus".

A top-level page may bring its own submenu: apps register a `MENU_CHILDREN_HOOK` Wagtail
hook, `fn(request, pages) -> {page id: [MenuItem, ...]}`, asked once per menu with the
top-level pages (`pages/` knows no shop: the shop page lists its categories this way,
see commerce.services.catalog.category_menu). A hook must cost a fixed number of queries.
"""

from dataclasses import dataclass, field

from wagtail import hooks
from wagtail.models import Page, Site

MENU_CHILDREN_HOOK = "storefront_main_menu_children"


@dataclass
class MenuItem:
    title: str
    url: str
    is_active: bool = False
    children: list["MenuItem"] = field(default_factory=list)

    @property
    def has_grandchildren(self) -> bool:
        """A submenu with its own second level (the shop's categories): laid out as a panel."""
        return any(child.children for child in self.children)


def build_main_menu(request, current_page=None) -> list[MenuItem]:
    """Menu items under the site's root page, in page-tree order.

    One query for both levels (plus Wagtail's one for view restrictions, and what
    the `MENU_CHILDREN_HOOK` hooks cost), whatever the number of pages. A
    second-level page shows only under a first-level page that is itself in the menu.
    """
    site = Site.find_for_request(request)
    if site is None:
        return []
    root = site.root_page
    pages = (
        Page.objects.live()
        .public()
        .in_menu()
        .filter(path__startswith=root.path, depth__in=(root.depth + 1, root.depth + 2))
        .order_by("path")
        .only(
            "id",
            "title",
            "path",
            "depth",
            "url_path",
            "draft_title",
            "locale_id",
        )
    )
    current_path = current_page.path if current_page is not None else None
    top_level: dict[str, MenuItem] = {}
    top_pages = []
    for page in pages:
        item = MenuItem(
            title=page.title,
            url=page.get_url(request=request) or "",
            is_active=bool(current_path and current_path.startswith(page.path)),
        )
        if page.depth == root.depth + 1:
            top_level[page.path] = item
            top_pages.append(page)
        else:
            parent = top_level.get(page.path[: -Page.steplen])
            if parent is not None:
                parent.children.append(item)
    by_id = {page.pk: top_level[page.path] for page in top_pages}
    for children_of in hooks.get_hooks(MENU_CHILDREN_HOOK):
        for page_id, children in children_of(request, top_pages).items():
            if page_id in by_id:
                by_id[page_id].children.extend(children)
    return list(top_level.values())

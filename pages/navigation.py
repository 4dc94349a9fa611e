"""The main menu: two levels of live, public pages that editors mark "show in menus"."""

from dataclasses import dataclass, field

from wagtail.models import Page, Site


@dataclass
class MenuItem:
    title: str
    url: str
    is_active: bool = False
    children: list["MenuItem"] = field(default_factory=list)


def build_main_menu(request, current_page=None) -> list[MenuItem]:
    """Menu items under the site's root page, in page-tree order.

    One query for both levels (plus Wagtail's one for view restrictions),
    whatever the number of pages. A second-level page shows only under a
    first-level page that is itself in the menu.
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
        .only("id", "title", "path", "depth", "url_path", "draft_title", "locale_id")
    )
    current_path = current_page.path if current_page is not None else None
    top_level: dict[str, MenuItem] = {}
    for page in pages:
        item = MenuItem(
            title=page.title,
            url=page.get_url(request=request) or "",
            is_active=bool(current_path and current_path.startswith(page.path)),
        )
        if page.depth == root.depth + 1:
            top_level[page.path] = item
        else:
            parent = top_level.get(page.path[: -Page.steplen])
            if parent is not None:
                parent.children.append(item)
    return list(top_level.values())

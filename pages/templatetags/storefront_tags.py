from django import template
from wagtail.models import Site

from pages.models import BrandingSettings
from pages.navigation import build_main_menu

register = template.Library()


@register.inclusion_tag("includes/main_menu.html", takes_context=True)
def main_menu(context):
    request = context.get("request")
    if request is None:
        return {"items": []}
    return {"items": build_main_menu(request, context.get("page")), "request": request}


@register.inclusion_tag("includes/seo_meta.html", takes_context=True)
def seo_meta(context):
    """Title, description, canonical URL, robots and Open Graph tags for a page."""
    request = context.get("request")
    page = context.get("page")
    branding = BrandingSettings.for_request(request) if request is not None else None
    shop_name = branding.shop_name if branding else ""
    if page is None:
        return {"title": shop_name, "shop_name": shop_name, "noindex": True}
    title = getattr(page, "seo_title", "") or page.title
    og_image = getattr(page, "og_image", None) or (branding.logo if branding else None)
    return {
        "title": title if title == shop_name else f"{title} · {shop_name}",
        "og_title": title,
        "shop_name": shop_name,
        "description": getattr(page, "search_description", ""),
        "canonical_url": page.get_full_url(request=request),
        "noindex": getattr(page, "noindex", False),
        "og_image": og_image_data(og_image, page, request) if og_image else None,
    }


def og_image_data(image, page, request):
    """Absolute URL and size of the sharing image, on the same host as the canonical URL."""
    rendition = image.get_rendition("fill-1200x630")
    url = rendition.url
    if url.startswith("/"):
        # find_for_request is cached on the request; page.get_site() would query again.
        site = Site.find_for_request(request) or page.get_site()
        url = (site.root_url if site else request.build_absolute_uri("/").rstrip("/")) + url
    return {"url": url, "width": rendition.width, "height": rendition.height}

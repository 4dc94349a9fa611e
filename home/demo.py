"""Demo content: a homepage that uses every block, content pages, menu and footer.

Everything here is idempotent: it creates what is missing and leaves what
exists alone, so `make run` can call it on every start without overwriting
an editor's changes.
"""

from django.conf import settings
from django.db import transaction
from wagtail.models import Collection, Locale, Page, Site

from commerce.demo import seed_catalog
from home.models import HomePage
from pages.demo import SeedReport, ensure_images
from pages.models import BrandingSettings, ContentPage, FooterSettings


def ensure_site() -> HomePage:
    """The page tree's root, one live HomePage under it, and the default Site.

    Migrations create all of these; this rebuilds them on a database that was
    emptied since (tests that flush tables, a restored partial dump).
    """
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE[:2])
    if not Collection.objects.filter(depth=1).exists():
        Collection.add_root(name="Root")
    root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
    homepage = HomePage.objects.filter(depth=2).first()
    if homepage is None:
        homepage = root.add_child(instance=HomePage(title="Home", slug="home"))
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page=homepage, is_default_site=True)
    elif site.root_page_id != homepage.pk:
        site.root_page = homepage
        site.save(update_fields=["root_page"])
    return homepage


def image_value(image, alt_text: str) -> dict:
    return {"image": image, "alt_text": alt_text, "decorative": False}


def link(page=None, url="", label="") -> dict:
    return {"page": page, "url": url, "label": label}


CONTENT_PAGES = [
    # slug, title, parent slug, in menu, intro
    (
        "about",
        "About us",
        None,
        True,
        "A small shop with a big warehouse and a short supply chain.",
    ),
    ("our-team", "Our team", "about", True, "The people who pick, pack and answer the phone."),
    ("delivery", "Delivery", None, True, "How and when your order reaches you."),
    ("returns", "Returns", "delivery", True, "Thirty days to change your mind, free of charge."),
    ("terms", "Terms and conditions", None, False, "The rules of buying from this shop."),
    ("privacy", "Privacy policy", None, False, "What we keep about you, and why."),
]


def ensure_content_pages(homepage: HomePage, images: dict, report: SeedReport) -> dict:
    pages = {}
    for slug, title, parent_slug, in_menu, intro in CONTENT_PAGES:
        parent = pages[parent_slug] if parent_slug else homepage
        page = ContentPage.objects.child_of(parent).filter(slug=slug).first()
        created = page is None
        if created:
            body = [
                (
                    "rich_text",
                    {
                        "text": f"<p>{intro}</p><h2>In short</h2><p>This page was created by "
                        "<code>seed_demo</code>; edit it in the admin.</p>"
                    },
                )
            ]
            if slug == "our-team":
                body.append(("figure", {"image": image_value(images["team"], "Our team")}))
            page = ContentPage(
                title=title, slug=slug, intro=intro, show_in_menus=in_menu, body=body
            )
            page.search_description = intro
            parent.add_child(instance=page)
            page.save_revision().publish()
        report.add(f"page {page.url_path}", created)
        pages[slug] = page
    return pages


def homepage_body(images: dict, pages: dict, categories=()) -> list:
    return [
        (
            "hero_banner",
            {
                "image": image_value(images["hero"], "Knitwear and mugs on a wooden table"),
                "heading": "The autumn collection is here",
                "text": "Warm layers, honest prices, delivered in two working days.",
                "links": [
                    link(page=pages["about"], label="Who we are"),
                    link(page=pages["delivery"], label="Delivery options"),
                ],
            },
        ),
        ("product_section", {"title": "Featured", "source": "featured", "count": 8}),
        ("category_tiles", {"title": "Shop by category", "categories": list(categories)}),
        (
            "banner_group",
            {
                "heading": "Shop by room",
                "banners": [
                    {
                        "image": image_value(images["outdoors"], "Hiking gear on a trail"),
                        "title": "Outdoors",
                        "subtitle": "Ready for any weather",
                        "link": link(page=pages["about"], label="Explore outdoors"),
                    },
                    {
                        "image": image_value(images["kitchen"], "Copper pans on a hob"),
                        "title": "Kitchen",
                        "subtitle": "Tools that last",
                        "link": link(page=pages["about"], label="Explore kitchen"),
                    },
                    {
                        "image": image_value(images["home"], "A bright living room"),
                        "title": "Living room",
                        "subtitle": "Light, linen and lamps",
                        "link": link(page=pages["about"], label="Explore living room"),
                    },
                ],
            },
        ),
        (
            "slider",
            {
                "heading": "New this week",
                "slides": [
                    {
                        "image": image_value(images["slide-mugs"], "Stoneware mugs"),
                        "caption": "Hand-made mugs",
                        "link": link(page=pages["about"], label="See more"),
                    },
                    {
                        "image": image_value(images["slide-linen"], "Folded linen"),
                        "caption": "Linen tablecloths",
                        "link": link(page=pages["about"], label="See more"),
                    },
                    {
                        "image": image_value(images["slide-lamps"], "Brass desk lamps"),
                        "caption": "Desk lamps",
                        "link": link(page=pages["about"], label="See more"),
                    },
                ],
            },
        ),
        ("product_section", {"title": "New in", "source": "newest", "count": 4}),
        (
            "call_to_action",
            {
                "heading": "Free delivery on orders over 50",
                "text": "Order by 2 pm on a working day and it leaves our warehouse today.",
                "link": link(page=pages["delivery"], label="See delivery options"),
                "style": "brand",
            },
        ),
        (
            "rich_text",
            {
                "text": "<h2>Why shop with us</h2><ul><li>30-day free returns</li>"
                "<li>Delivery in two working days</li><li>A real person on the phone</li></ul>"
            },
        ),
        (
            "raw_html",
            {
                "html": '<p class="demo-embed">This paragraph comes from a <strong>raw HTML'
                "</strong> block: only trusted editors may write these.</p>"
            },
        ),
    ]


def ensure_homepage_content(homepage: HomePage, images: dict, pages: dict, report) -> None:
    from commerce.models import Category

    created = not homepage.body
    if created:
        categories = Category.objects.on_storefront().filter(depth=1).order_by("sort_order")[:4]
        homepage.title = "Home"
        homepage.seo_title = "Storefront: things that last"
        homepage.search_description = "Homeware and outdoor gear, delivered in two working days."
        homepage.body = homepage_body(images, pages, categories)
        homepage.save_revision().publish()
    report.add("homepage content", created)


def ensure_settings(site: Site, images: dict, pages: dict, report: SeedReport) -> None:
    branding = BrandingSettings.for_site(site)
    created = branding.logo_id is None
    if created:
        branding.shop_name = "Storefront"
        branding.tagline = "Things that last"
        branding.logo = images["logo"]
        branding.save()
    report.add("branding settings", created)

    footer = FooterSettings.for_site(site)
    created = not footer.columns
    if created:
        footer.columns = [
            (
                "column",
                {
                    "title": "Shop",
                    "links": [link(page=pages["about"]), link(page=pages["our-team"])],
                },
            ),
            (
                "column",
                {
                    "title": "Help",
                    "links": [
                        link(page=pages["delivery"]),
                        link(page=pages["returns"]),
                        link(page=pages["terms"]),
                        link(page=pages["privacy"]),
                    ],
                },
            ),
        ]
        footer.contact_email = "hello@storefront.example"
        footer.contact_phone = "+44 20 7946 0000"
        footer.address = "Storefront Ltd\n1 Warehouse Lane\nLondon"
        footer.social_links = [
            ("link", {"network": "instagram", "url": "https://www.instagram.com/"}),
            ("link", {"network": "facebook", "url": "https://www.facebook.com/"}),
        ]
        footer.legal_text = "© Storefront Ltd. Demo content."
        footer.save()
    report.add("footer settings", created)


DEFAULT_DEMO_PRODUCTS = 60


@transaction.atomic
def seed_demo_content(products: int = DEFAULT_DEMO_PRODUCTS, progress_stream=None) -> SeedReport:
    report = SeedReport()
    homepage = ensure_site()
    site = Site.objects.get(is_default_site=True)
    images = ensure_images(report)
    pages = ensure_content_pages(homepage, images, report)
    # The categories wear the pictures made above, not a second lookup of them.
    catalog = seed_catalog(
        homepage, products, category_images=list(images.values()), stdout=progress_stream
    )
    report.add(
        f"{catalog['created']} demo products ({catalog['total']} in all)", catalog["created"] > 0
    )
    ensure_homepage_content(homepage, images, pages, report)
    ensure_settings(site, images, pages, report)
    return report

"""Content pages, SEO fields shared by every page, and site-wide settings."""

from django.core.validators import RegexValidator
from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import ContentStreamBlock, shown_blocks
from .blocks.footer import FooterColumnBlock, SocialLinkBlock
from .forms import BrandingSettingsForm, ColourInput, StorefrontPageForm, hex_colour
from .preview import DATED_PREVIEW_PANEL, DatedPreviewMixin


class SeoMixin(models.Model):
    """Robots and social-sharing fields on top of Wagtail's SEO title and description."""

    noindex = models.BooleanField(
        default=False,
        verbose_name="Hide from search engines",
        help_text='Adds <meta name="robots" content="noindex"> and leaves the page out of '
        "the sitemap.",
    )
    exclude_from_sitemap = models.BooleanField(
        default=False, help_text="Leave this page out of sitemap.xml (it can still be indexed)."
    )
    og_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="Social sharing image",
        help_text="Shown when the page is shared; defaults to the shop logo.",
    )

    seo_panels = [
        MultiFieldPanel(
            [FieldPanel("noindex"), FieldPanel("exclude_from_sitemap"), FieldPanel("og_image")],
            heading="Search engines and sharing",
        )
    ]

    class Meta:
        abstract = True

    def get_sitemap_urls(self, request=None):
        if self.noindex or self.exclude_from_sitemap:
            return []
        return super().get_sitemap_urls(request=request)


class ContentPage(DatedPreviewMixin, SeoMixin, Page):
    """An editor-built page such as About, Delivery or Terms; pages can be nested."""

    intro = models.TextField(blank=True, max_length=500)
    body = StreamField(ContentStreamBlock(), blank=True)

    parent_page_types = ["home.HomePage", "pages.ContentPage"]
    subpage_types = ["pages.ContentPage"]
    base_form_class = StorefrontPageForm

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("body"),
        DATED_PREVIEW_PANEL,
    ]
    promote_panels = [*Page.promote_panels, *SeoMixin.seo_panels]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]

    template = "pages/content_page.html"

    class Meta:
        verbose_name = "content page"
        permissions = [("use_raw_html", "Can add or change raw HTML blocks")]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["shown_blocks"] = shown_blocks(self.body)
        return context


currency_code = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code such as EUR.")


@register_setting(icon="site")
class BrandingSettings(BaseSiteSetting):
    shop_name = models.CharField(max_length=80, default="Storefront")
    tagline = models.CharField(
        max_length=160, blank=True, help_text="A line about the shop, shown in the footer."
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    primary_colour = models.CharField(
        max_length=7,
        default="#1f6f5c",
        validators=[hex_colour],
        help_text="Buttons, links and highlights on the shop.",
    )
    currency_code = models.CharField(
        max_length=3,
        default="EUR",
        validators=[currency_code],
        help_text="Shown next to every price.",
    )

    select_related = ["logo"]
    base_form_class = BrandingSettingsForm
    panels = [
        FieldPanel("shop_name"),
        FieldPanel("tagline"),
        FieldPanel("logo"),
        FieldPanel("primary_colour", widget=ColourInput),
        FieldPanel("currency_code"),
    ]

    class Meta:
        verbose_name = "branding"


@register_setting(icon="list-ul")
class FooterSettings(BaseSiteSetting):
    columns = StreamField(
        [("column", FooterColumnBlock())],
        blank=True,
        max_num=4,
        help_text="Up to four columns of links.",
    )
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True, max_length=300)
    social_links = StreamField([("link", SocialLinkBlock())], blank=True, max_num=8)
    legal_text = models.CharField(
        max_length=200, blank=True, help_text="Company name, registration number, copyright."
    )

    panels = [
        FieldPanel("columns"),
        MultiFieldPanel(
            [FieldPanel("contact_email"), FieldPanel("contact_phone"), FieldPanel("address")],
            heading="Contact",
        ),
        FieldPanel("social_links"),
        FieldPanel("legal_text"),
    ]

    class Meta:
        verbose_name = "footer"

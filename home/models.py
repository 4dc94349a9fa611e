from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from pages.forms import StorefrontPageForm
from pages.models import SeoMixin
from pages.preview import DATED_PREVIEW_PANEL, DatedPreviewMixin

from .blocks import HomePageStreamBlock


class HomePage(DatedPreviewMixin, SeoMixin, Page):
    """The site root: a stream of blocks editors arrange freely."""

    body = StreamField(HomePageStreamBlock(), blank=True)

    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["pages.ContentPage", "commerce.ShopPage"]
    base_form_class = StorefrontPageForm

    content_panels = [*Page.content_panels, FieldPanel("body"), DATED_PREVIEW_PANEL]
    promote_panels = [*Page.promote_panels, *SeoMixin.seo_panels]
    search_fields = [*Page.search_fields, index.SearchField("body")]

    template = "home/home_page.html"

    class Meta:
        verbose_name = "home page"

    def get_context(self, request, *args, **kwargs):
        from commerce.services.sections import resolve_product_sections

        context = super().get_context(request, *args, **kwargs)
        # All product sections of the page in one pass: a flat query count.
        sections = [child.value for child in self.body if child.block_type == "product_section"]
        if sections:
            resolve_product_sections(sections, request)
        return context

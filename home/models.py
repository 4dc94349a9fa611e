from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from pages.blocks import shown_blocks
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

    def serve(self, request, *args, **kwargs):
        """Through the anonymous full-page cache (commerce.services.page_cache), as the shop's
        pages: an entry stops at the next campaign window boundary of the body's blocks.

        A homepage behind a restriction is never cached: hits are answered before Wagtail
        checks restrictions."""
        from commerce.services.page_cache import serve_with_page_cache

        return serve_with_page_cache(
            request,
            lambda: super(HomePage, self).serve(request, *args, **kwargs),
            cacheable=lambda: not self.get_view_restrictions().exists(),
            stream_values=[self.body],
        )

    def get_context(self, request, *args, **kwargs):
        from commerce.services.sections import resolve_product_sections

        context = super().get_context(request, *args, **kwargs)
        context["shown_blocks"] = shown = shown_blocks(self.body)
        # All product sections shown in one pass: a flat query count.
        sections = [child.value for child in shown if child.block_type == "product_section"]
        if sections:
            resolve_product_sections(sections, request)
        return context

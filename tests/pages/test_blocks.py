"""Every block renders, previews, validates and respects its rules."""

from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.blocks.struct_block import StructBlockValidationError

from home.blocks import HomePageStreamBlock
from pages.blocks import (
    BannerGroupBlock,
    CallToActionBlock,
    ContentStreamBlock,
    FigureBlock,
    HeroBannerBlock,
    LinkBlock,
    RawHTMLSectionBlock,
    RichTextSectionBlock,
    SliderBlock,
)
from pages.blocks.campaign import (
    WINDOW_FIELDS,
    CampaignBlock,
    is_shown,
    next_boundary_after,
    shown_blocks,
)
from pages.clock import previewing_at
from tests.factories.catalog import hero_value, image_value, make_category, make_image

pytestmark = pytest.mark.django_db

EMPTY_LINK = {"page": None, "url": "", "label": ""}


def render(block, raw_value):
    return block.render(block.normalize(raw_value), context={})


class TestLinkBlock:
    def test_page_link_uses_the_page_url_and_title(self, homepage):
        from tests.factories.catalog import add_content_page

        about = add_content_page(homepage, "About us", slug="about")
        html = render(LinkBlock(), {"page": about, "url": "", "label": ""})
        assert 'href="/about/"' in html
        assert ">About us</a>" in html
        assert "noopener" not in html

    def test_url_link_is_marked_external(self):
        html = render(LinkBlock(), {"page": None, "url": "https://example.org/x", "label": "Go"})
        assert 'href="https://example.org/x"' in html
        assert 'rel="noopener"' in html

    @pytest.mark.parametrize(
        "value",
        [
            {"page": None, "url": "", "label": "Nothing"},
            {"page": "PAGE", "url": "https://example.org/", "label": "Both"},
            {"page": None, "url": "https://example.org/", "label": ""},
        ],
        ids=["neither", "both", "url-without-text"],
    )
    def test_invalid_links_are_refused(self, homepage, value):
        block = LinkBlock()
        if value["page"] == "PAGE":
            value = {**value, "page": homepage}
        with pytest.raises(StructBlockValidationError):
            block.clean(block.normalize(value))

    def test_optional_link_may_be_empty_but_not_half_filled(self):
        block = LinkBlock(required=False)
        block.clean(block.normalize(EMPTY_LINK))
        with pytest.raises(StructBlockValidationError):
            block.clean(block.normalize({**EMPTY_LINK, "label": "Dangling text"}))
        with pytest.raises(StructBlockValidationError):
            LinkBlock().clean(LinkBlock().normalize(EMPTY_LINK))

    def test_label_is_escaped(self):
        html = render(
            LinkBlock(), {"page": None, "url": "https://example.org/", "label": "<b>x</b>"}
        )
        assert "&lt;b&gt;x&lt;/b&gt;" in html


class TestHeroBanner:
    def test_renders_heading_text_image_and_both_buttons(self, homepage):
        from tests.factories.catalog import add_content_page

        about = add_content_page(homepage, "About us", slug="about")
        image = make_image("Hero")
        value = hero_value(
            heading="Big sale",
            image=image,
            links=[
                {"page": about, "url": "", "label": "Primary"},
                {"page": None, "url": "https://example.org/", "label": "Secondary"},
            ],
        )
        html = render(HeroBannerBlock(), value)
        assert "Big sale" in html
        assert "<picture>" in html and 'type="image/webp"' in html
        assert 'alt="Alt text"' in html
        assert 'class="button" href="/about/"' in html or 'href="/about/" class="button"' in html
        assert 'class="button button--ghost"' in html

    def test_without_image_still_renders(self):
        html = render(HeroBannerBlock(), hero_value(heading="No picture"))
        assert "No picture" in html and "hero--no-image" in html

    def test_more_than_two_calls_to_action_are_refused(self):
        block = HeroBannerBlock()
        link = {"page": None, "url": "https://example.org/", "label": "x"}
        value = block.normalize(hero_value(links=[link, link, link]))
        with pytest.raises(StructBlockValidationError):
            block.clean(value)


class TestOtherBlocks:
    def test_banner_group(self):
        image = make_image()
        banners = [
            {
                "image": image_value(image, f"Banner {i}"),
                "title": f"Title {i}",
                "subtitle": "",
                "link": {"page": None, "url": f"https://example.org/{i}", "label": f"Go {i}"},
            }
            for i in range(3)
        ]
        html = render(BannerGroupBlock(), {"heading": "Rooms", "banners": banners})
        assert html.count('class="banner"') == 3
        assert "banner-group--3" in html
        assert 'alt="Banner 2"' in html and "https://example.org/2" in html

    def test_banner_group_needs_two_to_four_banners(self):
        block = BannerGroupBlock()
        banner = {
            "image": None,
            "title": "T",
            "subtitle": "",
            "link": {"page": None, "url": "https://example.org/", "label": "Go"},
        }
        for count, message in (
            (1, "minimum number of items is 2"),
            (5, "maximum number of items is 4"),
        ):
            with pytest.raises(StructBlockValidationError) as excinfo:
                block.clean(block.normalize({"heading": "", "banners": [banner] * count}))
            assert message in str(excinfo.value.block_errors["banners"].non_block_errors)
        for count in (2, 4):
            block.clean(block.normalize({"heading": "", "banners": [banner] * count}))

    def test_slider(self):
        slides = [{"image": None, "caption": f"Slide {i}", "link": EMPTY_LINK} for i in range(1, 4)]
        html = render(SliderBlock(), {"heading": "New", "slides": slides})
        assert html.count('aria-roledescription="slide"') == 3
        assert 'aria-label="3 of 3"' in html
        assert "Slide 2" in html

    def test_slide_without_link_is_valid(self):
        block = SliderBlock()
        value = block.normalize(
            {"heading": "", "slides": [{"image": None, "caption": "Plain", "link": EMPTY_LINK}]}
        )
        block.clean(value)
        assert "slide__link" not in block.render(value, context={})

    def test_call_to_action(self):
        html = render(
            CallToActionBlock(),
            {
                "heading": "Free delivery",
                "text": "Today",
                "link": {"page": None, "url": "https://example.org/", "label": "See"},
                "style": "dark",
            },
        )
        assert "cta--dark" in html and "Free delivery" in html and ">See</a>" in html

    def test_rich_text(self):
        html = render(RichTextSectionBlock(), {"text": "<p>Hello <b>world</b></p>"})
        assert '<div class="rich-text">' in html and "<b>world</b>" in html

    def test_raw_html_is_not_escaped(self):
        html = render(RawHTMLSectionBlock(), {"html": '<iframe title="map"></iframe>'})
        assert '<iframe title="map"></iframe>' in html

    def test_rich_text_and_raw_html_of_the_old_shape_still_render(self):
        """Before campaign windows these blocks stored a bare string."""
        for block, old in (
            (RichTextSectionBlock(), "<p>Hello <b>world</b></p>"),
            (RawHTMLSectionBlock(), '<iframe title="map"></iframe>'),
        ):
            for value in (block.to_python(old), block.bulk_to_python([old])[0]):
                assert value.is_shown()
                assert old.replace("<p>", "").replace("</p>", "") in block.render(value, {})

    def test_figure(self):
        html = render(
            FigureBlock(), {"image": image_value(make_image(), "A cat"), "caption": "Our cat"}
        )
        assert "<figure" in html and "<figcaption>Our cat</figcaption>" in html
        assert 'alt="A cat"' in html


ALL_STREAMS = [HomePageStreamBlock(), ContentStreamBlock()]


@pytest.mark.parametrize("stream", ALL_STREAMS, ids=["home", "content"])
def test_every_block_has_a_description_and_a_preview(stream):
    """What editors see in the block picker: a description and a rendered preview."""
    make_image()  # previews pick the first image of the library
    for name, block in stream.child_blocks.items():
        assert block.get_description(), f"{name} has no description"
        assert block.is_previewable, f"{name} has no preview"
        html = block.render(block.get_preview_value(), context={})
        assert html.strip(), f"{name} preview renders nothing"


@pytest.mark.parametrize("stream", ALL_STREAMS, ids=["home", "content"])
def test_previews_work_on_an_empty_image_library(stream):
    """A new site has no images yet: the block picker still shows every preview (but the
    figure's), and none of them an image tag without a picture."""
    for name, block in stream.child_blocks.items():
        if isinstance(block, FigureBlock):
            continue  # a figure without an image is not a figure
        html = block.render(block.get_preview_value(), context={})
        assert html.strip(), f"{name} preview renders nothing without images"
        assert "<img" not in html, f"{name} preview has an image tag without an image"


@pytest.mark.parametrize("model_path", ["home.HomePage", "pages.ContentPage"])
def test_block_picker_previews_in_the_admin(admin_client, model_path):
    """The block picker loads each preview from Wagtail's block preview view."""
    from django.apps import apps
    from django.urls import reverse

    make_image()
    stream_block = apps.get_model(model_path).body.field.stream_block
    for name, block in stream_block.child_blocks.items():
        response = admin_client.get(
            reverse("wagtailadmin_block_preview"), {"id": block.definition_prefix}
        )
        assert response.status_code == 200, name
        html = response.content.decode()
        assert "storefront/css/main.css" in html, f"{name} preview lacks the shop's styles"
        assert block.render(block.get_preview_value(), context={}).strip()[:40] in html, name


# --- Campaign windows (pages.blocks.campaign) ------------------------------------------------


def every_offered_block():
    """Each block type the homepage and content pages offer, once."""
    found = {}
    for stream in ALL_STREAMS:
        for name, block in stream.child_blocks.items():
            found.setdefault(type(block), (name, block))
    return sorted(found.values(), key=lambda item: item[0])


OFFERED = every_offered_block()
NOW = timezone.now()
TICK = timedelta(microseconds=1)


def test_every_offered_block_is_a_campaign_block_with_the_window_last():
    assert {name for name, _ in OFFERED} >= {
        "hero_banner", "product_section", "category_tiles", "banner_group", "slider",
        "call_to_action", "rich_text", "raw_html", "figure",
    }  # fmt: skip
    for name, block in OFFERED:
        assert isinstance(block, CampaignBlock), name
        assert tuple(block.child_blocks)[-3:] == WINDOW_FIELDS, name


@pytest.mark.parametrize(("name", "block"), OFFERED, ids=[name for name, _ in OFFERED])
@pytest.mark.parametrize(
    ("window", "shown"),
    [
        ({}, True),
        ({"starts_at": None, "ends_at": None}, True),
        ({"starts_at": NOW}, True),  # the start is inclusive
        ({"starts_at": NOW + TICK}, False),
        ({"ends_at": NOW}, False),  # the end is exclusive
        ({"ends_at": NOW + TICK}, True),
        ({"starts_at": NOW - timedelta(days=1), "ends_at": NOW + timedelta(days=1)}, True),
        ({"switched_off": True}, False),
        ({"switched_off": True, "starts_at": NOW - timedelta(days=1)}, False),
        ({"switched_off": False}, True),
    ],
    ids=[
        "no-dates", "empty-dates", "starts-now", "starts-a-tick-later", "ends-now",
        "ends-a-tick-later", "inside", "switched-off", "switched-off-inside", "switched-on",
    ],
)  # fmt: skip
def test_each_block_renders_only_inside_its_window(name, block, window, shown):
    make_image()  # previews pick the first image of the library
    value = block.normalize({**dict(block.get_preview_value()), **window})
    with previewing_at(NOW):
        html = block.render(value, context={})
    assert bool(html.strip()) is shown
    assert is_shown(value, at=NOW) is shown


@pytest.mark.parametrize(("name", "block"), OFFERED, ids=[name for name, _ in OFFERED])
def test_each_block_refuses_an_end_not_after_its_start(name, block):
    make_image()
    make_category("Kitchen")  # category tiles need one to be valid
    for ends in (NOW, NOW - TICK):
        value = block.normalize(
            {**dict(block.get_preview_value()), "starts_at": NOW, "ends_at": ends}
        )
        with pytest.raises(StructBlockValidationError) as excinfo:
            block.clean(value)
        assert "ends_at" in excinfo.value.block_errors


def test_a_stream_shows_only_the_blocks_inside_their_windows_and_knows_the_next_change():
    stream = HomePageStreamBlock()
    later, much_later = NOW + timedelta(minutes=10), NOW + timedelta(days=2)
    value = stream.to_python(
        [
            {"type": "rich_text", "value": {"text": "<p>Always</p>"}},
            {"type": "rich_text", "value": {"text": "<p>Soon</p>", "starts_at": later}},
            {"type": "rich_text", "value": {"text": "<p>Off</p>", "switched_off": True,
                                            "starts_at": NOW + TICK}},
            {"type": "rich_text", "value": {"text": "<p>Now</p>", "ends_at": much_later}},
            {"type": "rich_text", "value": {"text": "<p>Old</p>", "ends_at": NOW - TICK}},
        ]
    )  # fmt: skip
    texts = [str(child.value["text"]) for child in shown_blocks(value, at=NOW)]
    assert texts == ["<p>Always</p>", "<p>Now</p>"]
    # A switched-off block's dates change nothing; past ones are behind us.
    assert next_boundary_after([value], NOW) == later
    assert next_boundary_after([value], later) == much_later
    assert next_boundary_after([value], much_later) is None
    assert next_boundary_after([], NOW) is None
    with previewing_at(later):
        assert len(shown_blocks(value)) == 3

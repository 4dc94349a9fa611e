"""Small builders shared by the tests: images, pages and admin form data."""

import io

from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from pages.models import ContentPage


def make_image(title="Test image", size=(320, 200), colour=(200, 40, 40)):
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, format="PNG")
    image = get_image_model()(title=title)
    image.file = ImageFile(io.BytesIO(buffer.getvalue()), name="test.png")
    image.save()
    return image


def image_value(image, alt_text="Alt text"):
    return {"image": image, "alt_text": alt_text, "decorative": False}


def add_content_page(parent, title, *, slug=None, publish=True, **fields):
    page = ContentPage(title=title, slug=slug or title.lower().replace(" ", "-"), **fields)
    parent.add_child(instance=page)
    if publish:
        page.save_revision().publish()
    else:
        page.live = False
        page.save_revision()
        page.save(update_fields=["live"])
    return page


def hero_value(heading="Hero heading", image=None, links=(), starts_at=None, ends_at=None):
    return {
        "image": image_value(image) if image else None,
        "heading": heading,
        "text": "Hero text",
        "links": list(links),
        "starts_at": starts_at,
        "ends_at": ends_at,
    }


def page_edit_form_data(page, body_items, **fields):
    """POST data for Wagtail's page edit view, with the body as StreamField form data.

    `body_items` are (block type, form value) pairs, where a form value is a
    string or a nested dict of the block's form fields.
    """
    data = {
        "title": page.title,
        "slug": page.slug,
        "body": streamfield(body_items),
        "comments": inline_formset([]),
    }
    data.update(fields)
    return nested_form_data(data)

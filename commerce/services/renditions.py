"""Image renditions made ahead of time, on a worker, so no shopper waits for a resize.

A rendition that does not exist yet is made by the first request that shows it: with
a fresh hero picture that is several WebP and JPEG encodes of a large image inside
one shopper's page view (and on S3, a download and an upload each). The worker makes
them instead, as soon as an image is uploaded or saved (a new focal point drops its
renditions), and again when a product is published, for its pictures.

`warm_renditions_task` is idempotent: Wagtail's `get_renditions` reuses the ones that
exist, so a second run creates nothing. Nothing is queued with the immediate task
backend: there the task would run inside the upload's own request, making the editor
wait for what the first page view would have done, for no one's benefit.
"""

from __future__ import annotations

import logging

from django.db.models.signals import post_save
from django_tasks import task_backends
from django_tasks.backends.immediate import ImmediateBackend
from wagtail.images import get_image_model
from wagtail.images.models import Filter

from commerce.services.tasks import RetryPolicy, background_task, enqueue_on_commit

logger = logging.getLogger(__name__)

# The specs the storefront's templates ask for, written as they are there (braces
# expanded by Wagtail's own rule), in ONE list, since an upload does not know where
# an editor will use the picture: a product picture may become a hero or a category
# tile tomorrow. Warming all of them costs a worker about thirty resizes per upload,
# once; Wagtail never upscales, so a small picture makes small renditions.
# tests/commerce/test_renditions.py fails when a template asks for a spec missing here.
TEMPLATE_SPECS = (
    # commerce/templates/commerce/product_detail.html (main and further pictures)
    "format-{webp,jpeg} max-{480x480,960x960,1440x1440}",
    # commerce/templates/commerce/includes/product_tile.html
    "format-{webp,jpeg} fill-{240x240,480x480}",
    # commerce/templates/commerce/blocks/category_tiles.html
    "format-{webp,jpeg} fill-{320x240,640x480}",
    # commerce/templates/commerce/promotion.html
    "max-960x480",
    # pages/templates/pages/blocks/: hero_banner, slider, figure, banner_group
    "format-{webp,jpeg} fill-{640x360,1280x540,1920x720}",
    "format-{webp,jpeg} fill-{480x360,960x720}",
    "format-{webp,jpeg} max-{640x480,1280x960}",
    "format-{webp,jpeg} fill-{480x320,960x640}",
    # templates/base.html: the shop's logo
    "height-48",
    # Not in a template, but on every product page: structured data
    # (services/catalog/structured_data.py) and the sharing image (pages' og_image_data).
    "max-1200x1200",
    "fill-1200x630",
)


def rendition_filters() -> list[str]:
    """Every filter spec of TEMPLATE_SPECS, expanded, each once, in order."""
    specs = []
    for pattern in TEMPLATE_SPECS:
        for spec in Filter.expand_spec(pattern):
            if spec not in specs:
                specs.append(spec)
    return specs


@background_task(retry=RetryPolicy(attempts=3, backoff=60))
def warm_renditions_task(image_id: int) -> int:
    """Makes the image's missing storefront renditions; returns how many it made.

    A missing or unreadable original (an OSError) is retried as a storage hiccup; an
    image deleted since it was queued, or an SVG (the templates do not rasterise
    them; format conversion would fail), is left alone.
    """
    image = get_image_model().objects.filter(pk=image_id).first()
    if image is None or image.is_svg():
        return 0
    renditions = image.renditions.all()
    before = renditions.count()
    image.get_renditions(*rendition_filters())
    return renditions.count() - before


def queue_warm_renditions(image_ids) -> None:
    """Queues warm_renditions_task for each image, with the current transaction's commit."""
    if _immediate(warm_renditions_task):
        return
    for image_id in sorted(set(image_ids)):
        enqueue_on_commit(warm_renditions_task, image_id)


def _immediate(defined_task) -> bool:
    return isinstance(task_backends[defined_task.backend], ImmediateBackend)


# --- Receivers --------------------------------------------------------------------------------


def on_image_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    # Wagtail's own bookkeeping saves (the file hash and size) change no picture.
    if raw or (update_fields and set(update_fields) <= {"file_hash", "file_size"}):
        return
    queue_warm_renditions([instance.pk])


def on_product_published(sender, instance, **kwargs):
    """The pictures a published product shows: its gallery and its variants' own."""
    from commerce.models import ProductImage, ProductVariant

    gallery = ProductImage.objects.filter(product_id=instance.pk)
    variants = ProductVariant.images.through.objects.filter(productvariant__product_id=instance.pk)
    queue_warm_renditions(
        [*gallery.values_list("image_id", flat=True), *variants.values_list("image_id", flat=True)]
    )


def on_page_published(sender, instance, **kwargs):
    """The pictures a published page shows: every image its fields and blocks refer to.

    Read from the page itself with the scan Wagtail's reference index uses: the index
    is filled by a task of its own (wagtail.tasks.update_reference_index_task), which
    may not have run yet when this page is published. No queries for chooser blocks.
    """
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import ReferenceIndex

    image_type = ContentType.objects.get_for_model(get_image_model())
    references = ReferenceIndex._extract_references_from_object(instance.specific)
    queue_warm_renditions(
        int(object_id) for type_id, object_id, *_ in references if type_id == image_type.pk
    )


def connect_renditions():
    """Called once from CommerceConfig.ready()."""
    from wagtail.signals import page_published, published

    from commerce.models import Product

    post_save.connect(on_image_saved, sender=get_image_model(), dispatch_uid="warm_renditions")
    published.connect(on_product_published, sender=Product, dispatch_uid="warm_product_renditions")
    page_published.connect(on_page_published, dispatch_uid="warm_page_renditions")

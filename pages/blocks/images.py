"""Image handling shared by every block that shows a picture."""

from django.db.models import prefetch_related_objects
from wagtail.images import get_image_model
from wagtail.images.blocks import ImageBlock


class PrefetchedImageBlock(ImageBlock):
    """Wagtail's ImageBlock (image + alt text or "decorative"), plus renditions.

    StreamField already loads all images of one block type in a single query
    (`bulk_to_python`). Prefetching their renditions in the same pass means a
    page renders its `{% picture %}` tags from memory: the homepage costs the
    same number of queries with one banner or with fifty.
    """

    def bulk_to_python(self, values):
        images = super().bulk_to_python(values)
        prefetch_related_objects([image for image in images if image is not None], "renditions")
        return images


def sample_image():
    """The first image in the library, for block previews; None on an empty site.

    Block templates render a neutral placeholder when the image is missing, so
    the block picker still shows a preview on a fresh install.
    """
    return get_image_model().objects.order_by("pk").first()


def sample_image_value(alt_text="Sample image"):
    return {"image": sample_image(), "alt_text": alt_text, "decorative": False}

"""Demo helpers every app's seeding shares: the report and the generated pictures.

The lowest layer holds them, so that the catalog's seeding (commerce/demo.py)
and the homepage's (home/demo.py) both import down to them and never each
other. Idempotent like the rest of the demo: an image that exists is kept.
"""

import io
from dataclasses import dataclass, field

from django.core.files.images import ImageFile
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from wagtail.images import get_image_model


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def add(self, label: str, was_created: bool) -> None:
        (self.created if was_created else self.kept).append(label)


# Colour pairs for the generated pictures; no files are fetched from anywhere.
DEMO_IMAGES = {
    "hero": ("Autumn collection", (31, 111, 92), (233, 196, 106), (1920, 720)),
    "outdoors": ("Outdoors", (38, 70, 83), (42, 157, 143), (960, 640)),
    "kitchen": ("Kitchen", (231, 111, 81), (244, 162, 97), (960, 640)),
    "home": ("Living room", (69, 123, 157), (168, 218, 220), (960, 640)),
    "slide-mugs": ("Hand-made mugs", (109, 89, 122), (229, 107, 111), (960, 720)),
    "slide-linen": ("Linen tablecloths", (53, 80, 112), (234, 172, 139), (960, 720)),
    "slide-lamps": ("Desk lamps", (46, 64, 87), (255, 209, 102), (960, 720)),
    "team": ("Our team", (88, 129, 87), (163, 177, 138), (1280, 720)),
    "logo": ("Storefront", (31, 111, 92), (31, 111, 92), (480, 120)),
}


def render_picture(caption: str, start: tuple, end: tuple, size: tuple) -> bytes:
    """A diagonal gradient with a caption, as JPEG bytes (fast to encode and to resize)."""
    width, height = size
    gradient = PILImage.linear_gradient("L").rotate(45, expand=True).resize(size)
    picture = PILImage.composite(
        PILImage.new("RGB", size, end), PILImage.new("RGB", size, start), gradient
    )
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=max(24, height // 8))
    box = draw.textbbox((0, 0), caption, font=font)
    text_size = (box[2] - box[0], box[3] - box[1])
    draw.text(
        ((width - text_size[0]) / 2, (height - text_size[1]) / 2),
        caption,
        font=font,
        fill=(255, 255, 255),
    )
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def ensure_images(report: SeedReport) -> dict:
    Image = get_image_model()
    images = {}
    for key, (caption, start, end, size) in DEMO_IMAGES.items():
        title = f"Demo: {caption}"
        image = Image.objects.filter(title=title).first()
        created = image is None
        if created:
            data = render_picture(caption, start, end, size)
            image = Image(title=title, description=caption)
            image.file = ImageFile(io.BytesIO(data), name=f"demo-{key}.jpg")
            image.save()
        report.add(f"image {title}", created)
        images[key] = image
    return images

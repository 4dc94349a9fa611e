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


LOGO_HEIGHT = 48 * 4

# Colour pairs for the generated pictures; no files are fetched from anywhere. Each is made
# at the largest size its block shows it (the hero's fill-1920x720, the banners' 960x640,
# the slides' 960x720): Wagtail never upscales, so a smaller source would be blurred.
DEMO_IMAGES = {
    "hero": ("Autumn collection", (31, 111, 92), (233, 196, 106), (1920, 720)),
    "outdoors": ("Outdoors", (38, 70, 83), (42, 157, 143), (960, 640)),
    "kitchen": ("Kitchen", (231, 111, 81), (244, 162, 97), (960, 640)),
    "home": ("Living room", (69, 123, 157), (168, 218, 220), (960, 640)),
    "slide-mugs": ("Hand-made mugs", (109, 89, 122), (229, 107, 111), (960, 720)),
    "slide-linen": ("Linen tablecloths", (53, 80, 112), (234, 172, 139), (960, 720)),
    "slide-lamps": ("Desk lamps", (46, 64, 87), (255, 209, 102), (960, 720)),
    "team": ("Our team", (88, 129, 87), (163, 177, 138), (1280, 720)),
    # The header shows the logo 48 px high: drawn at four times that, so it stays sharp on
    # screens of two and three device pixels per CSS pixel.
    "logo": ("Storefront", (31, 111, 92), (31, 111, 92), (LOGO_HEIGHT * 4, LOGO_HEIGHT)),
}


def render_picture(caption: str, start: tuple, end: tuple, size: tuple) -> bytes:
    """A stand-in photo as JPEG bytes: a diagonal gradient with a few soft discs, and no
    words. The block's own heading, title or caption is the text; words baked into the
    picture would fight it (and could not be translated or read out). `caption` only
    varies the discs, so two pictures of the same colours still differ."""
    width, height = size
    # The square inside the turned gradient, so no corner of the turn shows as a wedge.
    turned = PILImage.linear_gradient("L").rotate(45, expand=True, resample=PILImage.BICUBIC)
    side, centre = int(256 / 2**0.5) - 2, turned.width / 2
    box = (int(centre - side / 2), int(centre - side / 2))
    gradient = turned.crop((*box, box[0] + side, box[1] + side)).resize(size)
    picture = PILImage.composite(
        PILImage.new("RGB", size, end), PILImage.new("RGB", size, start), gradient
    )
    discs = PILImage.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(discs)
    seed = sum(caption.encode())
    for n in range(5):
        radius = height * (0.18 + 0.07 * ((seed + n * 3) % 5))
        x = width * (((seed * (n + 3)) % 97) / 97)
        y = height * (((seed * (n + 7)) % 89) / 89)
        shade = (255, 255, 255, 28 + 8 * n) if n % 2 else (0, 0, 0, 24)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=shade)
    picture = PILImage.alpha_composite(picture.convert("RGBA"), discs).convert("RGB")
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def render_logo(name: str, colour: tuple, size: tuple) -> bytes:
    """The shop's name beside a round mark, in the brand colour on a transparent PNG (sharp
    edges, no JPEG ringing around the letters), `size[1]` pixels high."""
    width, height = size
    font = ImageFont.load_default(size=int(height * 0.62))
    probe = ImageDraw.Draw(PILImage.new("RGBA", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), name, font=font)
    gap = height // 4
    width = max(width, height + gap + (right - left) + gap // 2)
    logo = PILImage.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    inset = height // 10
    draw.ellipse((inset, inset, height - inset, height - inset), fill=(*colour, 255))
    draw.ellipse(
        (height * 0.36, height * 0.36, height * 0.64, height * 0.64), fill=(255, 255, 255, 255)
    )
    draw.text(
        (height + gap - left, (height - (bottom - top)) / 2 - top),
        name,
        font=font,
        fill=(*colour, 255),
    )
    buffer = io.BytesIO()
    logo.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def ensure_images(report: SeedReport) -> dict:
    Image = get_image_model()
    images = {}
    for key, (caption, start, end, size) in DEMO_IMAGES.items():
        title = f"Demo: {caption}"
        image = Image.objects.filter(title=title).first()
        created = image is None
        if created:
            if key == "logo":
                data, name = render_logo(caption, start, size), f"demo-{key}.png"
            else:
                data, name = render_picture(caption, start, end, size), f"demo-{key}.jpg"
            image = Image(title=title, description=caption)
            image.file = ImageFile(io.BytesIO(data), name=name)
            image.save()
        report.add(f"image {title}", created)
        images[key] = image
    return images

"""Text shoppers read, one way for every reader: rich text (the HTML Wagtail's editor stores)
as plain text, and units of measure in words.

The integration API v1 and the price feeds both send product descriptions
as plain text; they read them through `rich_text_to_plain`, so a tag the one
knows as a block and the other does not can no longer glue two words together
in one of them. A bottom module: models may use it.
"""

import html
import re

from django.utils.html import strip_tags

# Where a block of rich text ends: a paragraph break there keeps "one.</p><p>Two" apart.
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|ul|ol|blockquote|div)>", re.IGNORECASE)
_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n\s*\n")


def rich_text_to_plain(value: str) -> str:
    """Plain text with paragraphs parted by a blank line and line breaks as "\\n";
    tags dropped, entities decoded. The inverse of the import's plain_text_to_html."""
    if not value:
        return ""
    text = _LINE_BREAK.sub("\n", value)
    text = _BLOCK_END.sub("\n\n", text)
    text = html.unescape(strip_tags(text))
    paragraphs = (part.strip() for part in _BLANK_LINE.split(text))
    return "\n\n".join(part for part in paragraphs if part)


# --- Units of measure in words ------------------------------------------------------------
# Products store their unit as staff and imports write it ("pcs", "szt.", "kg"); shoppers
# read words: "per piece", "from 10 pieces". One table, singular and plural; a unit not
# in it is shown as it was written.
UNIT_WORDS: dict[str, tuple[str, str]] = {
    "pcs": ("piece", "pieces"),
    "pc": ("piece", "pieces"),
    "pce": ("piece", "pieces"),
    "piece": ("piece", "pieces"),
    "szt": ("piece", "pieces"),
    "szt.": ("piece", "pieces"),
    "ea": ("item", "items"),
    "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "l": ("litre", "litres"),
    "ml": ("millilitre", "millilitres"),
    "m": ("metre", "metres"),
    "cm": ("centimetre", "centimetres"),
    "m2": ("square metre", "square metres"),
    "m²": ("square metre", "square metres"),
    "pair": ("pair", "pairs"),
    "pr": ("pair", "pairs"),
    "set": ("set", "sets"),
    "pack": ("pack", "packs"),
    "box": ("box", "boxes"),
    "roll": ("roll", "rolls"),
}


def unit_name(unit: str, quantity=1) -> str:
    """The unit in words for `quantity` of it: "piece" for 1, "pieces" otherwise."""
    key = (unit or "").strip()
    words = UNIT_WORDS.get(key.lower())
    if words is None:
        return key
    return words[0] if quantity == 1 else words[1]


def counted(number: str, *, bulk_units: bool = False, qualifying: bool = False) -> str:
    """A promotion's threshold count in words: "10 pieces", "1 piece", "3 qualifying pieces";
    "10 units" when it counts bulk units (AMPER's cumulative converter), whose unit differs
    from product to product. `number` is the count as the caller writes it ("10", "2.5")."""
    singular, plural = ("unit", "units") if bulk_units else UNIT_WORDS["pcs"]
    noun = singular if number == "1" else plural
    return f"{number} qualifying {noun}" if qualifying else f"{number} {noun}"


def quantity_with_unit(quantity, unit: str) -> str:
    """ "1 piece", "10 pieces", "2.5 kilograms"."""
    return f"{quantity} {unit_name(unit, quantity)}"

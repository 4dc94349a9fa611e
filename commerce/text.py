"""Rich text (the HTML Wagtail's editor stores) as plain text, one way for every reader.

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

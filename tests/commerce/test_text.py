"""Rich text as plain text (commerce.text): the one reading the API and the feeds share."""

import pytest

from commerce.integrations.services.price_feeds import plain_description
from commerce.models import Product
from commerce.text import rich_text_to_plain


@pytest.mark.parametrize(
    "rich, plain",
    [
        ("", ""),
        ("<p>One.</p><p>Two.</p>", "One.\n\nTwo."),
        ("<p>Line<br>break<br/>s</p>", "Line\nbreak\ns"),
        ("<h2>Care</h2><ul><li>Wash</li><li>Dry</li></ul>", "Care\n\nWash\n\nDry"),
        ("<div>Glued</div><div>never</div>", "Glued\n\nnever"),
        ('<p>Fish &amp; chips, <a href="/x">"crisp"</a> &lt;3</p>', 'Fish & chips, "crisp" <3'),
        ("<P>Upper</P><BLOCKQUOTE>case</BLOCKQUOTE>", "Upper\n\ncase"),
        ("<p> </p><p>  Spaced  </p>", "Spaced"),
    ],
)
def test_rich_text_becomes_paragraphs_of_plain_text(rich, plain):
    assert rich_text_to_plain(rich) == plain


def test_a_feed_puts_the_same_text_on_one_line():
    product = Product(short_description="", description="<h2>Care</h2><p>Wash<br>cold</p>")
    assert plain_description(product) == "Care Wash cold"

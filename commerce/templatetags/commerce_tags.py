import json
from decimal import Decimal

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.template.base import Token
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from wagtail.images.templatetags.wagtailimages_tags import PictureNode
from wagtail.images.templatetags.wagtailimages_tags import image as parse_image_tag

from commerce.models.addresses import format_address
from commerce.money import format_amount, format_money, shop_currency
from commerce.services.catalog.structured_data import product_structured_data
from commerce.text import unit_name as unit_in_words

register = template.Library()


@register.simple_tag(takes_context=True)
def money(context, amount, currency=None, plain=False):
    """A price with the shop's currency, e.g. "25.43 EUR"; Decimal all the way.

    Orders pass their own `currency`: they keep the one they were placed in.
    `plain=True`: the same words without markup (e-mails' text parts, subjects).
    """
    if amount is None:
        return ""
    if currency is None:
        currency = shop_currency(context.get("request"))
    if plain:
        return format_money(amount, currency)
    return format_html(
        '<span class="money"><span class="money__amount">{}</span> '
        '<span class="money__currency">{}</span></span>',
        format_amount(amount),
        currency,
    )


@register.filter
def address_text(snapshot):
    """An address snapshot (a checkout's or an order's) as lines, the way orders print it
    (models.addresses.format_address): `{{ checkout.billing_address|address_text }}`, then
    `linebreaksbr`."""
    return format_address(snapshot)


@register.filter
def plain_number(value):
    """A Decimal without trailing zeros or exponent: 2.500 → "2.5", 10.000 → "10"."""
    if value is None:
        return ""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.simple_tag
def page_url_with(querystring, page_number):
    """The current listing URL's query string with another page number."""
    prefix = f"{querystring}&" if querystring else ""
    return f"?{prefix}page={page_number}"


# What Django's json_script escapes, so the JSON can never close the <script>.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag(takes_context=True)
def product_json_ld(context, product, url):
    """schema.org Product data for search engines."""
    request = context.get("request")
    data = product_structured_data(product, request, url)
    payload = json.dumps(data, cls=DjangoJSONEncoder).translate(_JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


class PictureNodeWithParsedFilters(PictureNode):
    """Wagtail's picture node, building its Filter objects once instead of on every render.

    Each Filter parses its spec into operations (with `inspect.getcallargs` per
    operation) the first time it is used and keeps the result; Wagtail's node makes
    new Filters on every render, so a listing re-parsed 4 specs for each of its
    tiles. The specs are fixed when the template compiles, and Filters hold no
    per-image state, so one set per node serves every image.
    """

    def get_filters(self):
        if not hasattr(self, "_filters"):
            self._filters = super().get_filters()
        return self._filters


@register.tag("product_picture")
def product_picture(parser, token):
    """`{% product_picture image format-{webp,jpeg} fill-{240x240,480x480} ... %}`: exactly
    Wagtail's `{% picture %}` (same arguments and output), for images rendered many times
    per page."""
    _tag_name, arguments = token.contents.split(None, 1)
    picture_token = Token(token.token_type, f"picture {arguments}", token.position, token.lineno)
    node = parse_image_tag(parser, picture_token)
    return PictureNodeWithParsedFilters(
        node.image_expr, node.filter_specs, output_var_name=node.output_var_name, attrs=node.attrs
    )


@register.filter
def unit_name(unit, quantity=1):
    """A product's unit in words (commerce.text.unit_name): "per {{ product.unit|unit_name }}"."""
    return unit_in_words(unit, quantity)

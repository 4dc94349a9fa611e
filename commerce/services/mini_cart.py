"""The mini-cart in the header: the shopper's cart lines and total, priced as the cart page
prices them (`cart.summarize`), in a fixed number of queries however many lines.

Only ever shown to a visitor who has a cart, whose pages are personal and never enter the
anonymous page cache (services.page_cache.is_personal); the header asks for it only then.
"""

from . import cart as carts


def mini_cart_summary(request) -> carts.CartSummary | None:
    """The visitor's priced cart with links to its lines, or None without lines. On the cart
    and checkout pages, the summary the page priced (`carts.page_summary`)."""
    summary = carts.summary_priced_on(request)
    if summary is None:
        cart = carts.get_cart(request)
        if cart is None:
            return None
        summary = carts.page_summary(request, cart)
    return None if summary.is_empty else summary

"""StreamField blocks that show the catalog: product sections and category tiles.

Each block is a class with its template (under `commerce/templates/commerce/blocks/`)
and a preview value side by side. They sit above the commerce services they read
from; `home/` composes them into the homepage beside the generic blocks of `pages/`.
"""

from .products import CategoryTilesBlock, ProductSectionBlock

__all__ = ["CategoryTilesBlock", "ProductSectionBlock"]

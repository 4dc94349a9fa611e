from .catalog import (
    AttributeDefinition,
    AttributeOption,
    Category,
    Product,
    ProductImage,
    ProductStatus,
)
from .catalog_version import CatalogVersion
from .inventory import Stock, Warehouse
from .shop_page import ShopPage

__all__ = [
    "AttributeDefinition",
    "AttributeOption",
    "CatalogVersion",
    "Category",
    "Product",
    "ProductImage",
    "ProductStatus",
    "ShopPage",
    "Stock",
    "Warehouse",
]

from .addresses import Address
from .cart import Cart, CartLine, Checkout
from .catalog import (
    AttributeDefinition,
    AttributeOption,
    Category,
    Product,
    ProductImage,
    ProductStatus,
)
from .catalog_version import CatalogVersion
from .coupons import Coupon, CouponKind, CouponRedemption, CouponScope
from .inventory import Stock, Warehouse
from .lists import ShoppingList, ShoppingListItem
from .methods import DeliveryMethod, PaymentMethod
from .orders import (
    MockPayment,
    Order,
    OrderLine,
    OrderLineAllocation,
    OrderStatus,
    OrderStatusChange,
    PaymentStatus,
)
from .shop_page import ShopPage

__all__ = [
    "Address",
    "AttributeDefinition",
    "AttributeOption",
    "Cart",
    "CartLine",
    "CatalogVersion",
    "Category",
    "Checkout",
    "Coupon",
    "CouponKind",
    "CouponRedemption",
    "CouponScope",
    "DeliveryMethod",
    "MockPayment",
    "Order",
    "OrderLine",
    "OrderLineAllocation",
    "OrderStatus",
    "OrderStatusChange",
    "PaymentMethod",
    "PaymentStatus",
    "Product",
    "ProductImage",
    "ProductStatus",
    "ShopPage",
    "ShoppingList",
    "ShoppingListItem",
    "Stock",
    "Warehouse",
]

from .addresses import Address
from .background import ScheduledRun, SentEmail
from .bank_details import BankDetails
from .cart import Cart, CartLine, Checkout
from .catalog import (
    AttributeDefinition,
    AttributeOption,
    Category,
    Product,
    ProductDocument,
    ProductImage,
    ProductStatus,
    RelatedProduct,
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
from .promotions import (
    Audience,
    Measure,
    Promotion,
    PromotionCondition,
    PromotionReward,
    PromotionStatus,
    Qualifying,
    ValueType,
    VariantPrice,
)
from .shop_page import ShopPage
from .shop_settings import ProductPageSettings
from .stock_alerts import StockSubscription
from .task_results import BackgroundTask
from .variants import ProductVariant, option_key_for, variant_set_errors

__all__ = [
    "Address",
    "BackgroundTask",
    "BankDetails",
    "ScheduledRun",
    "SentEmail",
    "Audience",
    "Measure",
    "Promotion",
    "PromotionCondition",
    "PromotionReward",
    "PromotionStatus",
    "Qualifying",
    "ValueType",
    "VariantPrice",
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
    "ProductDocument",
    "ProductImage",
    "ProductPageSettings",
    "ProductStatus",
    "ProductVariant",
    "RelatedProduct",
    "ShopPage",
    "ShoppingList",
    "ShoppingListItem",
    "Stock",
    "StockSubscription",
    "Warehouse",
    "option_key_for",
    "variant_set_errors",
]

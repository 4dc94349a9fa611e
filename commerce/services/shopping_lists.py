"""Shopping lists: whose they are, what is on them, sharing, and the merge on login.

An item is a variant (a size and colour of a coat), with the description, SKU and
price it had when added: a deleted variant leaves the item, "no longer available".

Every lookup goes through the owner (a user, or a guest's key: services.guests,
the same key that names their cart), so nobody reaches a list, or an item, that is not theirs by
guessing ids. A shared list is reached only by its own unguessable token, and
only for reading and copying.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Prefetch, Q
from django.utils import timezone

from commerce.inputs import control_characters, parse_int, parse_ints
from commerce.models import (
    AttributeOption,
    ProductVariant,
    ShopPage,
    ShoppingList,
    ShoppingListItem,
)
from commerce.tokens import is_token, new_token

from . import cart as carts
from . import line_limits
from .cart import CartError, parse_quantity
from .guests import guest_key

DEFAULT_LIST_NAME = "My list"
SHARE_TOKEN_BYTES = 32  # 256 bits from `secrets`


class ListError(Exception):
    """Something asked of a list cannot be done; the message says why."""


# --- Whose lists ----------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    user: object = None
    guest_key: str = ""

    @property
    def filter(self) -> Q:
        if self.user is not None:
            return Q(user=self.user)
        return Q(user__isnull=True, guest_key=self.guest_key)

    @property
    def fields(self) -> dict:
        if self.user is not None:
            return {"user": self.user, "guest_key": ""}
        return {"user": None, "guest_key": self.guest_key}


def owner_for(request, *, create=False) -> Owner | None:
    """The requester as a list owner; a guest without a key gets one on their first list."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Owner(user=user)
    key = guest_key(request, create=create)
    return Owner(guest_key=key) if key else None


def lists_of(owner: Owner | None):
    if owner is None:
        return ShoppingList.objects.none()
    return ShoppingList.objects.filter(owner.filter)


def lists_with_counts(owner: Owner | None):
    return lists_of(owner).annotate(item_count=Count("items"))


def own_list(owner: Owner | None, list_id) -> ShoppingList:
    try:
        return lists_of(owner).get(pk=parse_int(list_id, minimum=1))
    except ShoppingList.DoesNotExist:
        raise ListError("That list does not exist.") from None


def own_item(owner: Owner | None, item_id) -> ShoppingListItem:
    try:
        return ShoppingListItem.objects.select_related("shopping_list", "variant__product").get(
            pk=parse_int(item_id, minimum=1), shopping_list__in=lists_of(owner)
        )
    except ShoppingListItem.DoesNotExist:
        raise ListError("That item is not on your lists any more.") from None


def default_list(owner: Owner) -> ShoppingList:
    """The owner's default list, created on first use (concurrent first uses included)."""
    existing = lists_of(owner).filter(is_default=True).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return ShoppingList.objects.create(
                name=_free_name(owner, DEFAULT_LIST_NAME), is_default=True, **owner.fields
            )
    except IntegrityError:
        return lists_of(owner).get(is_default=True)


def _free_name(owner: Owner, wanted: str) -> str:
    taken = {name.lower() for name in lists_of(owner).values_list("name", flat=True)}
    return unique_name(wanted, taken)


NUMBERED_NAME = re.compile(r"^(?P<base>.*\S) \((?P<number>\d+)\)$")


def unique_name(wanted: str, taken: set[str]) -> str:
    """`wanted` if free, else "Name (2)", "Name (3)"…, the first free one.

    Case-insensitive, and counting from the name without its own number: a
    clashing "Party (3)" becomes "Party (4)", not "Party (3) (2)".
    """
    if wanted.lower() not in taken:
        return wanted
    match = NUMBERED_NAME.match(wanted)
    base = match["base"] if match else wanted
    number = 2
    while f"{base} ({number})".lower() in taken:
        number += 1
    return f"{base} ({number})"


def clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ListError("Give the list a name.")
    if len(name) > 100:
        raise ListError("A list name has at most 100 characters.")
    if control_characters(name):
        raise ListError("A list name is one line of text, without control characters.")
    return name


def clean_note(note: str) -> str:
    note = (note or "").strip()
    if control_characters(note, multiline=True):
        raise ListError("A note is text and line breaks, without control characters.")
    return note[:500]


def create_list(owner: Owner, name: str) -> ShoppingList:
    name = clean_name(name)
    if lists_of(owner).filter(name__iexact=name).exists():
        raise ListError(f"You already have a list called “{name}”.")
    try:
        with transaction.atomic():
            return ShoppingList.objects.create(name=name, **owner.fields)
    except IntegrityError:
        raise ListError(f"You already have a list called “{name}”.") from None


def rename_list(shopping_list: ShoppingList, name: str) -> None:
    name = clean_name(name)
    clash = (
        ShoppingList.objects.filter(
            user_id=shopping_list.user_id, guest_key=shopping_list.guest_key, name__iexact=name
        )
        .exclude(pk=shopping_list.pk)
        .exists()
    )
    if clash:
        raise ListError(f"You already have a list called “{name}”.")
    shopping_list.name = name
    shopping_list.save(update_fields=["name", "updated_at"])


def delete_list(shopping_list: ShoppingList) -> None:
    if shopping_list.is_default:
        raise ListError("Your default list cannot be deleted; empty it instead.")
    shopping_list.delete()


# --- Items ----------------------------------------------------------------------------


def within_line_limit(quantity: int) -> tuple[int, str]:
    """`quantity` within the line maximum (services.line_limits; stock does not bound a
    list), and a note when it was lowered."""
    capped = line_limits.cap(quantity)
    if not capped.over_maximum:
        return quantity, ""
    most = capped.quantity
    return most, f"At most {most} of one product per line: the quantity is now {most}."


def with_variants(items):
    """Items with what their rows show (variant, product, options and their axes), in a
    fixed number of queries whatever the number of items and of axes."""
    return items.select_related("variant__product").prefetch_related(
        Prefetch(
            "variant__options",
            queryset=AttributeOption.objects.select_related("definition"),
        )
    )


def _listable_variant(variant_id) -> ProductVariant:
    """A variant shoppers may see (`ProductVariant.objects.visible()`); a disabled
    product's variants may be listed, not bought."""
    variant_pk = parse_int(variant_id, minimum=1)
    variant = None
    if variant_pk is not None:
        variant = (
            ProductVariant.objects.visible()
            .select_related("product")
            .prefetch_related("options__definition")
            .filter(pk=variant_pk)
            .first()
        )
    if variant is None:
        raise ListError("This product is not available.")
    return variant


def chosen_variant(variant_id, product_id=None) -> int:
    """The variant id a list form asks for: `variant`, or the one variant of `product`.

    The cart's form rule (services.cart.choose_variant), so both forms answer alike: a
    product with axes and no choice names its axes, a variant of another product than
    the form's is refused. Whether the variant may be listed is `add_item`'s question.
    """
    try:
        return carts.choose_variant(variant_id, product_id)
    except CartError as error:
        raise ListError(str(error)) from None


def _remembered_name(variant: ProductVariant) -> str:
    # The column holds 300 characters; a long name with many options is cut, not refused.
    return variant.description[: ShoppingListItem._meta.get_field("product_name").max_length]


def add_item(shopping_list: ShoppingList, variant_id, quantity=1, note="") -> ShoppingListItem:
    """Adds a variant (to the existing item if the list has it). Its price is remembered."""
    try:
        quantity = parse_quantity(quantity)
    except CartError as error:
        raise ListError(str(error)) from None
    quantity, _ = within_line_limit(quantity)
    variant = _listable_variant(variant_id)
    note = clean_note(note)
    with transaction.atomic():
        item, created = ShoppingListItem.objects.select_for_update().get_or_create(
            shopping_list=shopping_list,
            variant=variant,
            defaults={
                "quantity": quantity,
                "note": note,
                "price_when_added": variant.price,
                "product_name": _remembered_name(variant),
                "sku": variant.sku,
            },
        )
        if not created:
            item.quantity, _ = within_line_limit(item.quantity + quantity)
            if note:
                item.note = join_notes(item.note, note)
            # The name and SKU the item keeps if the variant is deleted: the latest.
            item.product_name, item.sku = _remembered_name(variant), variant.sku
            item.save(update_fields=["quantity", "note", "product_name", "sku"])
        shopping_list.save(update_fields=["updated_at"])
    return item


def update_item(item: ShoppingListItem, *, quantity, note) -> str:
    """Sets quantity and note; returns a note for the shopper when the quantity was capped."""
    try:
        wanted = parse_quantity(quantity)
    except CartError as error:
        raise ListError(str(error)) from None
    note = clean_note(note)
    item.quantity, capped = within_line_limit(wanted)
    item.note = note
    item.save(update_fields=["quantity", "note"])
    item.shopping_list.save(update_fields=["updated_at"])
    return capped


def remove_item(item: ShoppingListItem) -> None:
    item.delete()
    item.shopping_list.save(update_fields=["updated_at"])


def move_item(item: ShoppingListItem, target: ShoppingList) -> None:
    """Moves an item to another of the owner's lists, merging with the same variant there.

    An item whose variant was deleted is moved as it is: two such items are not
    the same variant, so they never merge."""
    if target.pk == item.shopping_list_id:
        return
    with transaction.atomic():
        existing = None
        if not item.is_gone:
            existing = (
                ShoppingListItem.objects.select_for_update()
                .filter(shopping_list=target, variant_id=item.variant_id)
                .first()
            )
        if existing is None:
            item.shopping_list = target
            item.save(update_fields=["shopping_list"])
        else:
            _merge_into(existing, item)
            existing.save(update_fields=["quantity", "note", "price_when_added"])
            item.delete()
        ShoppingList.objects.filter(pk__in=[target.pk, item.shopping_list_id]).update(
            updated_at=timezone.now()
        )


def join_notes(first: str, second: str) -> str:
    if not first or first == second:
        return second or first
    if not second:
        return first
    return f"{first}\n{second}"[:500]


def _merge_into(kept: ShoppingListItem, other: ShoppingListItem) -> None:
    """Quantities combined, the earlier price kept, notes joined."""
    kept.quantity, _ = within_line_limit(kept.quantity + other.quantity)
    if other.added_at < kept.added_at:
        kept.price_when_added = other.price_when_added
    kept.note = join_notes(kept.note, other.note)


@dataclass
class ItemView:
    item: ShoppingListItem
    current_price: Decimal | None  # None: the variant was deleted
    difference: Decimal | None  # current − remembered: positive when it got dearer
    url: str = ""  # the product page with this variant chosen; "" when gone or no shop


def item_views(shopping_list: ShoppingList, request=None) -> list[ItemView]:
    """The list's items with the variant's price now beside the price remembered.

    A fixed number of queries, whatever the number of items, variants and axes: the
    items with their variants, products and stock (one query), the options (one), the
    shop page (one, once per request)."""
    from .inventory import available_stock_subquery

    items = with_variants(shopping_list.items.all()).annotate(
        stock_available=available_stock_subquery("variant_id")
    )
    items = list(items)
    shop = ShopPage.for_request(request) if any(not item.is_gone for item in items) else None
    shop_url = shop.get_url(request=request) if shop is not None else None
    views = []
    for item in items:
        if item.is_gone:
            views.append(ItemView(item, None, None))
            continue
        variant = item.variant
        variant.stock_available = item.stock_available
        url = ""
        if shop_url is not None:
            url = shop.with_variant(shop_url + shop.product_subpath(variant.product), variant.sku)
        views.append(ItemView(item, variant.price, variant.price - item.price_when_added, url))
    return views


# --- Into the cart -------------------------------------------------------------------


@dataclass
class CartTransfer:
    added: list[str]
    skipped: list[str]  # "name: reason", one per item that could not go in


def add_items_to_cart(items, cart) -> CartTransfer:
    """Adds each item's quantity of its variant; what cannot be added is listed with the
    reason. `items` come from `with_variants` (their names need the options)."""
    transfer = CartTransfer([], [])
    for item in items:
        if item.is_gone:
            transfer.skipped.append(f"{item.product_name} is no longer available.")
            continue
        if not item.variant.is_purchasable:
            # A deactivated variant, or one of a disabled or withdrawn product.
            transfer.skipped.append(f"{item.name} cannot be bought at the moment.")
            continue
        try:
            note = carts.add_variant(cart, item.variant_id, item.quantity)
        except CartError as error:
            transfer.skipped.append(str(error))
        else:
            transfer.added.append(item.name)
            if note:
                transfer.skipped.append(note)
    return transfer


def all_items(shopping_list: ShoppingList) -> list[ShoppingListItem]:
    return list(with_variants(shopping_list.items.all()))


def selected_items(shopping_list: ShoppingList, item_ids) -> list[ShoppingListItem]:
    ids = parse_ints(item_ids, minimum=1)
    return list(with_variants(shopping_list.items.filter(pk__in=ids)))


# --- Sharing -------------------------------------------------------------------------


def share(shopping_list: ShoppingList) -> str:
    """Turns sharing on with a new token (a new link each time: the old one dies)."""
    shopping_list.share_token = new_token(SHARE_TOKEN_BYTES)
    shopping_list.save(update_fields=["share_token", "updated_at"])
    return shopping_list.share_token


def stop_sharing(shopping_list: ShoppingList) -> None:
    shopping_list.share_token = None
    shopping_list.save(update_fields=["share_token", "updated_at"])


def shared_list(token: str) -> ShoppingList | None:
    if not is_token(token, SHARE_TOKEN_BYTES):
        return None
    return ShoppingList.objects.filter(share_token=token).first()


def copy_items(items, target: ShoppingList) -> int:
    """Copies items (e.g. from a shared list) into one of the requester's lists."""
    copied = 0
    for item in items:
        if item.is_gone:
            continue  # nothing to copy: the variant no longer exists
        try:
            add_item(target, item.variant_id, item.quantity, item.note)
        except ListError:
            continue
        copied += 1
    return copied


# --- Signing in (services.accounts calls this on user_logged_in) ---------------------


def merge_guest_lists(guest_key: str, user) -> None:
    """Moves a guest's lists to the user in one transaction, in a fixed number of queries.

    - The guest's default list merges into the user's default list: the same
      variant once (two variants of one product stay two items), quantities
      combined, the earlier price kept, notes joined.
    - The guest's other lists move to the user; a name the user already has
      becomes "Name (2)", "Name (3)"….
    Running it again changes nothing: the guest has no lists left.
    """
    guest = Owner(guest_key=guest_key)
    mine = Owner(user=user)
    with transaction.atomic():
        guest_lists = list(lists_of(guest).select_for_update().order_by("created_at", "id"))
        if not guest_lists:
            return
        user_lists = list(lists_of(mine).select_for_update())
        guest_default = next((lst for lst in guest_lists if lst.is_default), None)
        user_default = next((lst for lst in user_lists if lst.is_default), None)
        movers = [lst for lst in guest_lists if lst is not guest_default]

        if guest_default is not None and user_default is None:
            movers.insert(0, guest_default)  # it simply becomes the user's default
        elif guest_default is not None:
            _merge_default_items(guest_default, user_default)

        taken = {lst.name.lower() for lst in user_lists}
        for lst in movers:
            lst.name = unique_name(lst.name, taken)
            taken.add(lst.name.lower())
            lst.user, lst.guest_key = user, ""
        if movers:
            ShoppingList.objects.bulk_update(movers, ["name", "user", "guest_key"])


def _merge_default_items(guest_default: ShoppingList, user_default: ShoppingList) -> None:
    items = list(
        ShoppingListItem.objects.filter(
            shopping_list__in=[guest_default, user_default]
        ).select_for_update()
    )
    # Items whose variant was deleted are never "the same variant": they all move.
    kept = {
        i.variant_id: i for i in items if i.shopping_list_id == user_default.pk and not i.is_gone
    }
    merged = []
    for item in items:
        if item.shopping_list_id != guest_default.pk or item.is_gone:
            continue
        if item.variant_id in kept:
            _merge_into(kept[item.variant_id], item)
            merged.append(kept[item.variant_id])
    if merged:
        ShoppingListItem.objects.bulk_update(merged, ["quantity", "note", "price_when_added"])
    guest_default.items.exclude(variant_id__in=kept).update(shopping_list=user_default)
    # What is left are the duplicates just merged. One DELETE, whatever their number:
    # QuerySet.delete() would fetch them and delete in batches of 100, because signal
    # receivers (the page cache, Wagtail's reference index) listen to every deletion,
    # and nothing listens for these rows in particular.
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {ShoppingListItem._meta.db_table} WHERE shopping_list_id = %s",  # noqa: S608 - table name from the model, value bound
            [guest_default.pk],
        )
    ShoppingList.objects.filter(pk=guest_default.pk).delete()
    ShoppingList.objects.filter(pk=user_default.pk).update(updated_at=timezone.now())


# --- Housekeeping ---------------------------------------------------------------------


def purge_expired_guest_lists(*, days: int | None = None, now=None) -> int:
    """Deletes guest lists unchanged for `days` (default STOREFRONT_GUEST_LIST_DAYS)."""
    days = settings.STOREFRONT_GUEST_LIST_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    # A guest's lists go together: judged by the most recent change among them.
    stale_keys = (
        ShoppingList.objects.filter(user__isnull=True)
        .values("guest_key")
        .annotate(last=Max("updated_at"))
        .filter(last__lt=cutoff)
        .values("guest_key")
    )
    stale = ShoppingList.objects.filter(user__isnull=True, guest_key__in=stale_keys)
    count = stale.count()
    stale.delete()
    return count

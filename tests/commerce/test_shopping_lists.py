"""Shopping lists: owners, items, prices, cart transfer, sharing, the merge on login, purge."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from commerce.models import CartLine, ProductStatus, ProductVariant, ShoppingList, ShoppingListItem
from commerce.services import shopping_lists as lists
from commerce.services.guests import GUEST_SESSION_KEY
from commerce.services.shopping_lists import ListError, Owner
from tests.factories.catalog import make_attribute, make_product, make_shop, only_variant

pytestmark = pytest.mark.django_db
D = Decimal
PASSWORD = "pw-long-enough-1"


@pytest.fixture
def user():
    return get_user_model().objects.create_user("ada", "ada@example.com", PASSWORD)


def guest(key="guest-key-1"):
    return Owner(guest_key=key)


def names(owner):
    return sorted(lists.lists_of(owner).values_list("name", flat=True))


def vid(product):
    """The id of a product's one variant (a product without axes)."""
    return only_variant(product).pk


# --- Rules --------------------------------------------------------------------------


def test_default_list_is_created_once_on_first_use(user):
    owner = Owner(user=user)
    first = lists.default_list(owner)
    assert lists.default_list(owner) == first
    assert (first.name, first.is_default) == ("My list", True)
    assert ShoppingList.objects.filter(user=user).count() == 1


def test_list_names_are_unique_per_owner_case_insensitively(user):
    lists.create_list(Owner(user=user), "Garden")
    with pytest.raises(ListError, match="already have a list"):
        lists.create_list(Owner(user=user), " garden ")
    lists.create_list(guest(), "Garden")  # another owner may use the name
    with pytest.raises(ListError):
        lists.create_list(Owner(user=user), "   ")


def test_an_item_remembers_its_price_and_the_list_shows_the_difference(user):
    product = make_product("Rake", price=D("20.00"), stock=3)
    shopping_list = lists.default_list(Owner(user=user))
    lists.add_item(shopping_list, vid(product), 2, "for the shed")
    ProductVariant.objects.filter(product=product).update(price=D("17.50"))
    (view,) = lists.item_views(shopping_list)
    assert (view.item.price_when_added, view.current_price, view.difference) == (
        D("20.00"),
        D("17.50"),
        D("-2.50"),
    )
    assert view.item.note == "for the shed"


def test_adding_again_combines_quantities_and_notes(user):
    product = make_product(stock=3)
    shopping_list = lists.default_list(Owner(user=user))
    lists.add_item(shopping_list, vid(product), 1, "blue")
    lists.add_item(shopping_list, vid(product), 2, "or green")
    item = shopping_list.items.get()
    assert (item.quantity, item.note) == (3, "blue\nor green")


@pytest.mark.parametrize("fields", [{"status": ProductStatus.HIDDEN}, {"publish": False}])
def test_hidden_and_draft_products_cannot_be_listed(user, fields):
    product = make_product(stock=3, **fields)
    with pytest.raises(ListError, match="not available"):
        lists.add_item(lists.default_list(Owner(user=user)), vid(product))


def test_disabled_products_can_be_listed_but_not_moved_to_the_cart(user, client):
    ok = make_product("Fine", stock=3)
    disabled = make_product("Retired", stock=3, status=ProductStatus.DISABLED)
    sold_out = make_product("Gone", stock=0)
    shopping_list = lists.default_list(Owner(user=user))
    for product in (ok, disabled, sold_out):
        lists.add_item(shopping_list, vid(product))
    client.force_login(user)
    response = client.post(reverse("lists:to_cart", args=[shopping_list.pk]), follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert "Added to your cart: Fine." in texts
    assert "Retired cannot be bought at the moment." in texts
    assert "Gone is out of stock." in texts
    assert list(CartLine.objects.values_list("product_name", flat=True)) == ["Fine"]


def test_add_selected_adds_only_the_chosen_items(user, client):
    a, b = make_product("A", stock=5), make_product("B", stock=5)
    shopping_list = lists.default_list(Owner(user=user))
    item_a = lists.add_item(shopping_list, vid(a), 2)
    lists.add_item(shopping_list, vid(b))
    client.force_login(user)
    client.post(
        reverse("lists:to_cart", args=[shopping_list.pk]), {"selected": "1", "item": [item_a.pk]}
    )
    assert list(CartLine.objects.values_list("product_name", "quantity")) == [("A", 2)]


def test_moving_an_item_merges_with_the_same_product_in_the_target(user):
    owner = Owner(user=user)
    product = make_product(stock=5)
    source, target = lists.default_list(owner), lists.create_list(owner, "Later")
    moving = lists.add_item(source, vid(product), 2, "a")
    lists.add_item(target, vid(product), 1, "b")
    lists.move_item(moving, target)
    assert not source.items.exists()
    item = target.items.get()
    assert (item.quantity, item.note) == (3, "b\na")


def test_the_default_list_cannot_be_deleted(user):
    with pytest.raises(ListError):
        lists.delete_list(lists.default_list(Owner(user=user)))


# --- Sharing ---------------------------------------------------------------------------


def test_sharing_uses_a_long_random_token_and_revoking_kills_the_link(user, client):
    shopping_list = lists.default_list(Owner(user=user))
    lists.add_item(shopping_list, vid(make_product("Lamp", stock=4)))
    token = lists.share(shopping_list)
    assert len(token) >= 43  # 32 bytes of `secrets`, URL-safe base64
    page = client.get(reverse("lists:shared", args=[token]))
    assert page.status_code == 200 and "Lamp" in page.content.decode()
    assert page["Referrer-Policy"] == "strict-origin"  # no token in any Referer
    assert 'action="/lists/items/' not in page.content.decode()  # read-only: no edit forms
    new_token = lists.share(shopping_list)  # regenerate
    assert client.get(reverse("lists:shared", args=[token])).status_code == 404
    assert client.get(reverse("lists:shared", args=[new_token])).status_code == 200
    lists.stop_sharing(shopping_list)
    assert client.get(reverse("lists:shared", args=[new_token])).status_code == 404


def test_a_shared_list_can_be_copied_into_the_visitors_own_cart_and_list(user, client):
    shopping_list = lists.default_list(Owner(user=user))
    lists.add_item(shopping_list, vid(make_product("Lamp", stock=4)), 2)
    token = lists.share(shopping_list)
    client.post(reverse("lists:shared_copy", args=[token]), {"into": "cart"})
    assert list(CartLine.objects.values_list("product_name", "quantity")) == [("Lamp", 2)]
    client.post(reverse("lists:shared_copy", args=[token]), {"into": "list"})
    visitor_key = client.session[GUEST_SESSION_KEY]
    copy = ShoppingList.objects.get(guest_key=visitor_key)
    assert copy.items.get().quantity == 2
    assert shopping_list.items.get().quantity == 2  # the owner's list is untouched


def test_nobody_reaches_another_shoppers_list_by_id(user, client):
    owner_list = lists.default_list(Owner(user=user))
    item = lists.add_item(owner_list, vid(make_product("Secret thing", stock=3)), 1)
    stranger = get_user_model().objects.create_user("eve", "eve@example.com", PASSWORD)
    mine = lists.default_list(Owner(user=stranger))
    client.force_login(stranger)
    assert client.get(reverse("lists:detail", args=[owner_list.pk])).status_code == 404
    for url, data in [
        (reverse("lists:change", args=[owner_list.pk]), {"action": "share"}),
        (reverse("lists:change", args=[owner_list.pk]), {"action": "rename", "name": "x"}),
        (reverse("lists:to_cart", args=[owner_list.pk]), {}),
        (reverse("lists:item_change", args=[item.pk]), {"action": "remove"}),
        (reverse("lists:item_change", args=[item.pk]), {"action": "update", "quantity": 9}),
        (reverse("lists:add", args=[]), {"list": owner_list.pk, "variant": item.variant_id}),
    ]:
        response = client.post(url, data)
        assert response.status_code in (302, 404)
    owner_list.refresh_from_db()
    item.refresh_from_db()
    assert (owner_list.name, owner_list.share_token, item.quantity) == ("My list", None, 1)
    assert not CartLine.objects.exists()
    assert not mine.items.exists()
    move = client.post(
        reverse("lists:item_change", args=[item.pk]), {"action": "move", "target": mine.pk}
    )
    assert (
        move.status_code == 404
        and ShoppingListItem.objects.get(pk=item.pk).shopping_list == owner_list
    )
    assert "Secret thing" not in client.get(reverse("lists:index")).content.decode()


def test_list_forms_need_csrf(user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    product = make_product(stock=3)
    assert strict.post(reverse("lists:add"), {"variant": vid(product)}).status_code == 403
    assert not ShoppingListItem.objects.exists()


# --- Guests and the merge on login -------------------------------------------------------


def test_a_guest_saves_from_a_product_page_into_a_new_list_inline(client):
    product = make_product("Vase", stock=3)
    client.post(reverse("lists:add"), {"product": product.pk, "list": "new", "new_name": "Gifts"})
    key = client.session[GUEST_SESSION_KEY]
    assert names(guest(key)) == ["Gifts"]
    client.post(reverse("lists:add"), {"product": product.pk})
    assert names(guest(key)) == ["Gifts", "My list"]


def build(owner, default_items=(), others=()):
    """default_items: (product, quantity, note); others: (name, [products])."""
    default = lists.default_list(owner)
    for product, quantity, note in default_items:
        lists.add_item(default, vid(product), quantity, note)
    for name, products in others:
        extra = lists.create_list(owner, name)
        for product in products:
            lists.add_item(extra, vid(product))
    return default


def test_merge_combines_defaults_moves_others_and_renames_clashes(user):
    both, guest_only, user_only = (make_product(n, stock=9) for n in ("Both", "Guest", "User"))
    user_default = build(
        Owner(user=user),
        [(both, 1, "mine"), (user_only, 1, "")],
        [("Garden", []), ("Garden (2)", [])],
    )
    build(guest(), [(both, 2, "theirs"), (guest_only, 1, "")], [("Garden", [both]), ("Tools", [])])
    ShoppingListItem.objects.filter(
        shopping_list__guest_key="guest-key-1", variant__product=both
    ).update(added_at=timezone.now() - timedelta(days=3), price_when_added=D("7.77"))

    lists.merge_guest_lists("guest-key-1", user)

    assert names(Owner(user=user)) == ["Garden", "Garden (2)", "Garden (3)", "My list", "Tools"]
    merged = {i.name: i for i in lists.with_variants(user_default.items.all())}
    assert set(merged) == {"Both", "Guest", "User"}
    assert merged["Both"].quantity == 3
    assert merged["Both"].price_when_added == D("7.77")  # the earlier price is kept
    assert merged["Both"].note == "mine\ntheirs"
    assert not ShoppingList.objects.filter(guest_key="guest-key-1").exists()
    moved = ShoppingList.objects.get(user=user, name="Garden (3)").items.get()
    assert moved.variant.product == both
    assert ShoppingList.objects.filter(user=user, is_default=True).count() == 1


def test_merge_is_idempotent_and_handles_empty_and_missing_lists(user):
    lists.merge_guest_lists("nobody", user)  # a guest without lists
    assert not ShoppingList.objects.exists()
    build(guest(), [], [])  # an empty default list only, and the user has none
    lists.merge_guest_lists("guest-key-1", user)
    assert names(Owner(user=user)) == ["My list"]
    snapshot = list(ShoppingList.objects.values_list("id", "name", "user_id", "guest_key"))
    lists.merge_guest_lists("guest-key-1", user)
    assert list(ShoppingList.objects.values_list("id", "name", "user_id", "guest_key")) == snapshot


def test_merge_of_three_lists_clashing_on_one_name(user):
    build(Owner(user=user), [], [("Party", []), ("Party (2)", [])])
    owner = guest()
    lists.create_list(owner, "Party")
    lists.create_list(owner, "party (2)")
    lists.create_list(owner, "Party (3)")
    lists.merge_guest_lists("guest-key-1", user)
    # Guest "Party" → "Party (3)"; "party (2)" → "party (4)"; "Party (3)" → "Party (5)".
    assert names(Owner(user=user)) == [
        "My list",
        "Party",
        "Party (2)",
        "Party (3)",
        "Party (5)",
        "party (4)",
    ]


def merge_queries(user, size, key):
    products = [make_product(stock=1) for _ in range(size)]
    build(Owner(user=user), [(p, 1, "") for p in products[: size // 2]], [("Shared name", [])])
    build(
        guest(key), [(p, 1, "x") for p in products], [("Shared name", products[:3]), ("Other", [])]
    )
    with CaptureQueriesContext(connection) as queries:
        lists.merge_guest_lists(key, user)
    assert ShoppingList.objects.get(user=user, is_default=True).items.count() == size
    return len(queries)


def test_merge_takes_the_same_number_of_queries_for_4_or_60_items():
    # 60 items is fifteen times 4: a query per item would show; making products is most
    # of this test's time, so no more.
    User = get_user_model()
    small = merge_queries(User.objects.create_user("s", "s@example.com", PASSWORD), 4, "k-small")
    large = merge_queries(User.objects.create_user("l", "l@example.com", PASSWORD), 60, "k-large")
    assert small == large


def test_logging_in_merges_the_guest_lists_and_forgets_the_guest_key(user, client):
    product = make_product("Vase", stock=3)
    client.post(reverse("lists:add"), {"product": product.pk})
    client.post(reverse("account:login"), {"username": "ada", "password": PASSWORD})
    assert GUEST_SESSION_KEY not in client.session
    default = ShoppingList.objects.get(user=user, is_default=True)
    assert default.items.get().variant.product == product
    assert not ShoppingList.objects.filter(user__isnull=True).exists()


# --- Housekeeping -------------------------------------------------------------------------


def test_purge_deletes_only_guest_lists_unchanged_for_the_kept_time(user, settings):
    settings.STOREFRONT_GUEST_LIST_DAYS = 30
    old = lists.default_list(guest("old"))
    lists.create_list(guest("old"), "Also old")
    recent = lists.default_list(guest("recent"))
    lists.create_list(guest("mixed"), "Stale one")
    lists.create_list(guest("mixed"), "Touched one")
    mine = lists.default_list(Owner(user=user))
    long_ago = timezone.now() - timedelta(days=31)
    ShoppingList.objects.exclude(guest_key__in=["recent"]).update(updated_at=long_ago)
    ShoppingList.objects.filter(name="Touched one").update(updated_at=timezone.now())

    call_command("purge_guest_lists")

    remaining = set(ShoppingList.objects.values_list("pk", flat=True))
    assert old.pk not in remaining
    assert {recent.pk, mine.pk} <= remaining
    assert ShoppingList.objects.filter(guest_key="mixed").count() == 2  # judged together


# --- Admin -------------------------------------------------------------------------------


def test_staff_see_lists_read_only_in_the_admin(user, client):
    from django.contrib.auth.models import Group, Permission

    shopping_list = lists.default_list(Owner(user=user))
    lists.add_item(shopping_list, vid(make_product("Kettle", stock=3)), 2)
    lists.default_list(guest())
    staff = get_user_model().objects.create_user("staff", "staff@example.com", PASSWORD)
    group = Group.objects.create(name="Support")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_shoppinglist"),
        Permission.objects.get(codename="change_shoppinglist"),
    )
    staff.groups.add(group)
    client.force_login(staff)

    index = client.get("/admin/snippets/commerce/shoppinglist/")
    assert index.status_code == 200
    page = index.content.decode()
    assert "ada@example.com" in page and "Guest" in page
    inspect = client.get(f"/admin/snippets/commerce/shoppinglist/inspect/{shopping_list.pk}/")
    assert inspect.status_code == 200 and "Kettle" in inspect.content.decode()
    # Even with the change permission, nobody edits, adds or deletes lists here.
    for url in (
        f"/admin/snippets/commerce/shoppinglist/edit/{shopping_list.pk}/",
        "/admin/snippets/commerce/shoppinglist/add/",
        f"/admin/snippets/commerce/shoppinglist/delete/{shopping_list.pk}/",
    ):
        assert client.get(url).status_code in (302, 403)
    assert client.post(
        f"/admin/snippets/commerce/shoppinglist/delete/{shopping_list.pk}/"
    ).status_code in (302, 403)
    assert ShoppingList.objects.filter(pk=shopping_list.pk).exists()


# --- Variants ------------------------------------------------------------------------------


@pytest.fixture
def coat():
    """A coat in sizes S, M and L (L sold out), Size and Colour axes; M is the dearer one."""
    size, (s, m, large) = make_attribute("Size", ["S", "M", "L"], sort_order=1)
    colour, (green,) = make_attribute("Colour", ["Green"], sort_order=2)
    return make_product(
        "Heritage coat",
        axes=[size, colour],
        variants=[
            {"sku": "COAT-S", "price": D("100.00"), "options": [s, green], "stock": 3},
            {"sku": "COAT-M", "price": D("120.00"), "options": [m, green], "stock": 3},
            {"sku": "COAT-L", "price": D("100.00"), "options": [large, green], "stock": 0},
        ],
    )


def variant(sku):
    return ProductVariant.objects.get(sku=sku)


def post_add(client, **data):
    response = client.post(reverse("lists:add"), data, follow=True)
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


def test_two_variants_of_one_product_are_two_items_and_the_same_variant_merges(user, coat):
    shopping_list = lists.default_list(Owner(user=user))
    lists.add_item(shopping_list, variant("COAT-S").pk, 1)
    lists.add_item(shopping_list, variant("COAT-M").pk, 1)
    lists.add_item(shopping_list, variant("COAT-S").pk, 2)
    items = lists.with_variants(shopping_list.items.order_by("sku"))
    assert [(i.sku, i.quantity, i.price_when_added) for i in items] == [
        ("COAT-M", 1, D("120.00")),
        ("COAT-S", 3, D("100.00")),
    ]
    assert [i.product_name for i in items] == [
        "Heritage coat — Size M, Colour Green",
        "Heritage coat — Size S, Colour Green",
    ]


def test_the_list_page_shows_each_variant_with_its_sku_link_and_availability(
    user, client, coat, homepage
):
    make_shop(homepage)
    shopping_list = lists.default_list(Owner(user=user))
    for sku in ("COAT-S", "COAT-L"):
        lists.add_item(shopping_list, variant(sku).pk)
    client.force_login(user)
    page = client.get(reverse("lists:detail", args=[shopping_list.pk])).content.decode()
    assert "Heritage coat — Size S, Colour Green" in page and "(SKU COAT-S)" in page
    assert "Heritage coat — Size L, Colour Green" in page and "(SKU COAT-L)" in page
    # The link opens the product page on that variant.
    assert f'href="/shop/p/{coat.slug}/?variant=COAT-S"' in page
    assert page.count("In stock") == 1 and page.count("Out of stock") == 1


def test_a_price_change_on_one_variant_shows_on_that_item_only(user, coat):
    shopping_list = lists.default_list(Owner(user=user))
    for sku in ("COAT-S", "COAT-M"):
        lists.add_item(shopping_list, variant(sku).pk)
    ProductVariant.objects.filter(sku="COAT-M").update(price=D("99.00"))
    views = {view.item.sku: view for view in lists.item_views(shopping_list)}
    assert (views["COAT-S"].current_price, views["COAT-S"].difference) == (D("100.00"), 0)
    assert (views["COAT-M"].current_price, views["COAT-M"].difference) == (
        D("99.00"),
        D("-21.00"),
    )


def test_a_deleted_variant_stays_with_its_name_and_sku_and_is_not_copied(user, client, coat):
    shopping_list = lists.default_list(Owner(user=user))
    lists.add_item(shopping_list, variant("COAT-M").pk, 2, "for Jan")
    lists.add_item(shopping_list, variant("COAT-S").pk, 1)
    variant("COAT-M").delete()

    gone = shopping_list.items.get(sku="COAT-M")
    assert gone.is_gone and gone.name == "Heritage coat — Size M, Colour Green"
    assert (gone.quantity, gone.note, gone.price_when_added) == (2, "for Jan", D("120.00"))
    client.force_login(user)
    page = client.get(reverse("lists:detail", args=[shopping_list.pk])).content.decode()
    assert "Heritage coat — Size M, Colour Green" in page and "(SKU COAT-M)" in page
    assert "No longer available" in page

    transfer = lists.add_items_to_cart([gone], cart=None)  # refused before any cart is used
    assert transfer.skipped == ["Heritage coat — Size M, Colour Green is no longer available."]
    target = lists.create_list(Owner(user=user), "Copy")
    assert lists.copy_items(lists.all_items(shopping_list), target) == 1
    assert list(target.items.values_list("sku", flat=True)) == ["COAT-S"]


def test_a_deactivated_variant_shows_unavailable_and_cannot_go_to_the_cart(user, coat):
    shopping_list = lists.default_list(Owner(user=user))
    lists.add_item(shopping_list, variant("COAT-S").pk)
    ProductVariant.objects.filter(sku="COAT-S").update(is_active=False)

    (view,) = lists.item_views(shopping_list)
    assert view.item.variant.availability == "unavailable"
    transfer = lists.add_items_to_cart(lists.all_items(shopping_list), cart=None)
    assert transfer.added == []
    assert transfer.skipped == [
        "Heritage coat — Size S, Colour Green cannot be bought at the moment."
    ]
    with pytest.raises(ListError, match="not available"):
        lists.add_item(shopping_list, variant("COAT-S").pk)  # nor be listed again


def test_the_add_form_takes_a_variant_or_the_only_variant_of_a_product(client, coat):
    plain = make_product("Mug", stock=2)
    assert post_add(client, variant=variant("COAT-M").pk, product=coat.pk) == [
        f"Saved {variant('COAT-M').description} to “My list”."
    ]
    assert post_add(client, product=plain.pk) == ["Saved Mug to “My list”."]
    assert set(ShoppingListItem.objects.values_list("sku", flat=True)) == {
        "COAT-M",
        only_variant(plain).sku,
    }


def test_a_product_with_axes_and_no_choice_is_refused_naming_its_axes(client, coat):
    for data in ({"product": coat.pk}, {"product": coat.pk, "variant": ""}):
        (message,) = post_add(client, **data)
        assert "size" in message and "colour" in message, message
    assert not ShoppingListItem.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"variant": "abc"},
        {"variant": "-3"},
        {"variant": "1e3"},
        {"variant": "99999999"},
        {"product": "plain", "variant": "COAT-S"},  # a variant of another product
        {"product": "x1"},
        {"product": "99999999"},
        {},
    ],
)
def test_the_add_form_refuses_a_missing_or_wrong_variant_with_a_message(client, coat, data):
    plain = make_product("Mug", stock=2)
    ids = {"plain": plain.pk, "COAT-S": variant("COAT-S").pk}
    data = {key: ids.get(value, value) for key, value in data.items()}
    (message,) = post_add(client, **data)
    assert not message.startswith("Added"), message
    assert not ShoppingListItem.objects.exists()


def test_the_add_form_refuses_a_deleted_variant_and_nul_bytes_without_a_500(client, coat):
    deleted = variant("COAT-L").pk
    ProductVariant.objects.filter(pk=deleted).delete()
    assert post_add(client, variant=deleted) == ["This product is not available."]
    hidden = make_product("Hidden", stock=1, status=ProductStatus.HIDDEN)
    assert post_add(client, product=hidden.pk) == ["This product is not available."]
    response = client.post(reverse("lists:add"), {"variant": f"{variant('COAT-S').pk}\x00"})
    assert 400 <= response.status_code < 500
    assert not ShoppingListItem.objects.exists()


def test_merge_on_login_combines_the_same_variant_and_keeps_siblings_apart(user, coat):
    build_variants(Owner(user=user), [("COAT-S", 1), ("COAT-M", 1)])
    build_variants(guest(), [("COAT-S", 2), ("COAT-L", 1)])
    lists.merge_guest_lists("guest-key-1", user)
    default = ShoppingList.objects.get(user=user, is_default=True)
    assert sorted(default.items.values_list("sku", "quantity")) == [
        ("COAT-L", 1),
        ("COAT-M", 1),
        ("COAT-S", 3),
    ]


def test_merge_keeps_guest_items_whose_variant_was_deleted(user, coat):
    build_variants(Owner(user=user), [("COAT-S", 1)])
    build_variants(guest(), [("COAT-S", 2), ("COAT-M", 1)])
    ProductVariant.objects.filter(sku__in=["COAT-S", "COAT-M"]).delete()
    lists.merge_guest_lists("guest-key-1", user)
    default = ShoppingList.objects.get(user=user, is_default=True)
    # Three gone items: nothing says they are the same variant, so nothing merges.
    assert sorted(default.items.values_list("sku", "quantity", "variant")) == [
        ("COAT-M", 1, None),
        ("COAT-S", 1, None),
        ("COAT-S", 2, None),
    ]


def build_variants(owner, entries):
    default = lists.default_list(owner)
    for sku, quantity in entries:
        lists.add_item(default, variant(sku).pk, quantity)
    return default


def test_a_shared_list_shows_the_variants_and_copies_them(user, client, coat):
    shopping_list = build_variants(Owner(user=user), [("COAT-S", 1), ("COAT-M", 2)])
    token = lists.share(shopping_list)
    page = client.get(reverse("lists:shared", args=[token])).content.decode()
    assert "Size S, Colour Green" in page and "Size M, Colour Green" in page
    client.post(reverse("lists:shared_copy", args=[token]), {"into": "list"})
    copy = ShoppingList.objects.get(guest_key=client.session[GUEST_SESSION_KEY])
    assert sorted(copy.items.values_list("sku", "quantity")) == [("COAT-M", 2), ("COAT-S", 1)]


def list_page_queries(client, user, products, variants_per_product, axes):
    """Queries of the list page for `products` products with that many variants each,
    all on the list, with `axes` variant axes."""
    from django.utils.text import slugify

    axis_defs = []
    for a in range(axes):
        name = f"Axis {a} {products}"
        definition, options = make_attribute(name, [f"v{i}" for i in range(variants_per_product)])
        axis_defs.append((definition, options))
    shopping_list = lists.create_list(Owner(user=user), f"Size {products}")
    for p in range(products):
        product = make_product(
            f"Thing {products} {p}",
            slug=slugify(f"thing-{products}-{p}"),
            axes=[d for d, _ in axis_defs],
            variants=[
                {"options": [options[i] for _, options in axis_defs], "stock": 2}
                for i in range(variants_per_product)
            ],
        )
        for v in product.variants.all():
            lists.add_item(shopping_list, v.pk)
    client.force_login(user)
    client.get(reverse("lists:detail", args=[shopping_list.pk]))  # warm the session and site
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("lists:detail", args=[shopping_list.pk]))
    assert response.status_code == 200
    assert response.content.decode().count("list-sku") == products * variants_per_product
    return len(queries)


def test_the_list_page_takes_the_same_queries_whatever_the_items_variants_and_axes(user, client):
    small = list_page_queries(client, user, products=1, variants_per_product=1, axes=1)
    large = list_page_queries(client, user, products=6, variants_per_product=4, axes=3)
    assert small == large


def test_staff_see_the_variant_on_a_list_in_the_admin(user, admin_client, coat):
    shopping_list = build_variants(Owner(user=user), [("COAT-M", 1), ("COAT-S", 1)])
    ProductVariant.objects.filter(sku="COAT-S").delete()
    inspect = admin_client.get(f"/admin/snippets/commerce/shoppinglist/inspect/{shopping_list.pk}/")
    page = inspect.content.decode()
    assert "Heritage coat — Size M, Colour Green" in page and "COAT-M" in page
    assert "Heritage coat — Size S, Colour Green (deleted from the shop)" in page

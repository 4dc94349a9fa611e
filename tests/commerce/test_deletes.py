"""Deletes that lose nothing and widen nothing: coupon scopes, list items of deleted
products, what the admin's delete confirmation says, warehouses still in use."""

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commerce.models import (
    CartLine,
    Coupon,
    CouponScope,
    OrderLine,
    Product,
    ShoppingList,
    ShoppingListItem,
    Stock,
    Warehouse,
)
from commerce.services import cart as carts
from commerce.services import shopping_lists as lists
from commerce.services.coupons import check_coupon
from commerce.services.shopping_lists import Owner
from commerce.tokens import new_token
from tests.factories.catalog import (
    make_attribute,
    make_category,
    make_product,
    make_warehouse,
    only_variant,
)
from tests.factories.checkout import make_cart, make_coupon
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db
D = Decimal
PASSWORD = "pw-long-enough-1"


@pytest.fixture
def user():
    return get_user_model().objects.create_user("ada", "ada@example.com", PASSWORD)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# --- Coupons stay restricted -----------------------------------------------------------


@pytest.fixture
def pan_lid_kettle():
    return (
        make_product("Pan", stock=9, price=D("40.00")),
        make_product("Lid", stock=9, price=D("20.00")),
        make_product("Kettle", stock=9, price=D("30.00")),
    )


def test_deleting_one_of_two_products_keeps_the_coupon_on_the_other(pan_lid_kettle):
    pan, lid, kettle = pan_lid_kettle
    coupon = make_coupon("HALF", value="50", scope=CouponScope.PRODUCTS)
    coupon.products.set([pan, lid])
    cart = make_cart([(pan, 1), (lid, 1), (kettle, 1)], coupon_code="HALF")

    pan.delete()

    summary = carts.summarize(cart)
    assert summary.coupon_check.ok
    assert summary.totals.discount == D("10.00")  # half of the lid only, not of the kettle


def test_deleting_the_last_product_makes_the_coupon_apply_to_nothing(pan_lid_kettle):
    pan, lid, kettle = pan_lid_kettle
    coupon = make_coupon("HALF", value="50", scope=CouponScope.PRODUCTS)
    coupon.products.set([pan, lid])
    cart = make_cart([(kettle, 2)], coupon_code="HALF")

    pan.delete()
    lid.delete()

    summary = carts.summarize(cart)
    assert not summary.coupon_check.ok
    assert summary.totals.discount == D("0.00")
    assert summary.coupon_check.message == (
        "The coupon HALF no longer applies to any product: what it was for is no longer sold."
    )
    assert carts.acknowledge_changes(summary) == [summary.coupon_check.message]


def test_deleting_the_last_category_makes_the_coupon_apply_to_nothing(pan_lid_kettle):
    tools = make_category("Tools")
    pan, _, kettle = pan_lid_kettle
    Product.objects.filter(pk=pan.pk).update(main_category=tools)
    coupon = make_coupon("TOOLS", value="50", scope=CouponScope.CATEGORIES)
    coupon.categories.set([tools])
    line_totals = {pan.pk: D("40.00"), kettle.pk: D("30.00")}
    assert check_coupon("TOOLS", line_totals=line_totals).eligible_product_ids == {pan.pk}

    tools.delete()

    check = check_coupon("TOOLS", line_totals=line_totals)
    assert (check.ok, check.eligible_product_ids) == (False, set())
    assert "no longer applies to any product" in check.message


def test_a_coupon_for_products_and_categories_keeps_the_kind_it_still_has(pan_lid_kettle):
    tools = make_category("Tools")
    pan, lid, kettle = pan_lid_kettle
    Product.objects.filter(pk=kettle.pk).update(main_category=tools)
    coupon = make_coupon("MIX", value="50", scope=CouponScope.PRODUCTS_AND_CATEGORIES)
    coupon.products.set([pan])
    coupon.categories.set([tools])
    totals = {pan.pk: D("40.00"), lid.pk: D("20.00"), kettle.pk: D("30.00")}

    pan.delete()
    assert check_coupon("MIX", line_totals=totals).eligible_product_ids == {kettle.pk}
    tools.delete()
    assert not check_coupon("MIX", line_totals=totals).ok


def test_a_whole_cart_coupon_still_discounts_the_whole_cart(pan_lid_kettle):
    pan, lid, _ = pan_lid_kettle
    make_coupon("ALL", value="10")
    cart = make_cart([(pan, 1), (lid, 1)], coupon_code="ALL")
    pan.delete()
    summary = carts.summarize(cart)
    assert Coupon.objects.get().scope == CouponScope.CART
    assert summary.coupon_check.ok and summary.totals.discount == D("2.00")


def test_a_restricted_coupon_not_matching_the_cart_says_so(pan_lid_kettle):
    pan, _, kettle = pan_lid_kettle
    make_coupon("PANS", scope=CouponScope.PRODUCTS).products.set([pan])
    check = check_coupon("PANS", line_totals={kettle.pk: D("30.00")})
    assert check.message == "The coupon PANS does not apply to any product in your cart."


# The data step of 0010 (coupon scopes, list item names) ran against the schema before
# variants; list items now point at variants (0012), so it can no longer run on today's
# tables. tests/commerce/test_variant_migration.py covers the data moved since.


class TestCouponAdmin:
    LIST_URL = reverse("wagtailsnippets_commerce_coupon:list")
    ADD_URL = reverse("wagtailsnippets_commerce_coupon:add")

    def form(self, **fields):
        return {"code": "NEW", "kind": "percent", "value": "10", "scope": "cart", **fields}

    def test_listing_flags_restricted_coupons_left_with_nothing(self, admin_client):
        pan, lid = make_product("Pan"), make_product("Lid")
        make_coupon("WHOLE")
        make_coupon("PANS", scope=CouponScope.PRODUCTS).products.set([pan, lid])
        make_coupon("ORPHAN", scope=CouponScope.PRODUCTS).products.set([lid])
        lid.delete()

        soup = BeautifulSoup(admin_client.get(self.LIST_URL).content, "html.parser")
        applies = {
            row.select("td")[1].get_text(" ", strip=True).split()[0]: row.select("td")[-1]
            for row in soup.select("tbody tr")
        }
        assert applies["WHOLE"].get_text(strip=True) == "Whole cart"
        assert applies["PANS"].get_text(strip=True) == "1 product"
        assert applies["ORPHAN"].select_one(".coupon-applies-to-nothing")
        assert "NOTHING" in applies["ORPHAN"].get_text()

    def test_listing_queries_do_not_grow_with_coupons(self, admin_client):
        def listing_queries():
            with CaptureQueriesContext(connection) as queries:
                assert admin_client.get(self.LIST_URL).status_code == 200
            return len(queries)

        pan = make_product("Pan")
        make_coupon("C0", scope=CouponScope.PRODUCTS).products.set([pan])
        admin_client.get(self.LIST_URL)
        few = listing_queries()
        for i in range(1, 8):
            make_coupon(f"C{i}", scope=CouponScope.PRODUCTS).products.set([pan])
        assert listing_queries() == few

    @pytest.mark.parametrize(
        ("scope", "chosen", "field_in_error"),
        [
            ("products", {}, "products"),
            ("categories", {}, "categories"),
            ("products_categories", {"products": "P"}, "categories"),
            ("cart", {"products": "P"}, "products"),
            ("products", {"products": "P", "categories": "C"}, "categories"),
        ],
    )
    def test_scope_and_targets_must_agree(self, admin_client, scope, chosen, field_in_error):
        ids = {"P": make_product("Pan").pk, "C": make_category("Tools").pk}
        data = self.form(scope=scope, **{k: [ids[v]] for k, v in chosen.items()})
        response = admin_client.post(self.ADD_URL, data)
        assert response.status_code == 200
        soup = BeautifulSoup(response.content, "html.parser")
        in_error = {f["data-contentpath"] for f in soup.select(".w-field--error")}
        assert field_in_error in in_error
        assert not Coupon.objects.exists()

    def test_a_coupon_for_chosen_products_is_saved(self, admin_client):
        pan = make_product("Pan")
        response = admin_client.post(self.ADD_URL, self.form(scope="products", products=[pan.pk]))
        assert response.status_code == 302
        coupon = Coupon.objects.get()
        assert (coupon.scope, list(coupon.products.all())) == ("products", [pan])

    def test_a_whole_cart_coupon_is_saved_without_targets(self, admin_client):
        assert admin_client.post(self.ADD_URL, self.form()).status_code == 302
        assert Coupon.objects.get().scope == "cart"


# --- List items outlive their product ----------------------------------------------------


@pytest.fixture
def list_with_a_deleted_product(user):
    rake = make_product("Rake", stock=5, price=D("20.00"), sku="RAKE-1")
    hoe = make_product("Hoe", stock=5, price=D("15.00"))
    shopping_list = lists.default_list(Owner(user=user))
    lists.add_item(shopping_list, only_variant(rake).pk, 2, "for the shed")
    lists.add_item(shopping_list, only_variant(hoe).pk, 1)
    rake.delete()
    return shopping_list


def test_a_list_item_keeps_name_sku_price_and_note_when_its_product_is_deleted(
    list_with_a_deleted_product,
):
    gone = list_with_a_deleted_product.items.get(variant__isnull=True)
    assert (gone.product_name, gone.sku, gone.price_when_added, gone.quantity, gone.note) == (
        "Rake",
        "RAKE-1",
        D("20.00"),
        2,
        "for the shed",
    )
    views = {view.item.name: view for view in lists.item_views(list_with_a_deleted_product)}
    assert (views["Rake"].current_price, views["Rake"].difference) == (None, None)
    assert views["Hoe"].current_price == D("15.00")


def test_the_list_page_shows_the_item_as_no_longer_available(
    user, client, list_with_a_deleted_product
):
    client.force_login(user)
    response = client.get(reverse("lists:detail", args=[list_with_a_deleted_product.pk]))
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    rows = {row.select("td")[1].get_text(" ", strip=True): row for row in soup.select("tbody tr")}
    (rake_row,) = [row for text, row in rows.items() if text.startswith("Rake")]
    assert "No longer available" in rake_row.get_text()
    assert "RAKE-1" in rake_row.get_text() and "for the shed" in rake_row.get_text()
    assert rake_row.select_one("td a") is None  # no link to a page that is gone


def test_add_all_to_cart_skips_the_deleted_product_with_a_reason(
    user, client, list_with_a_deleted_product
):
    client.force_login(user)
    response = client.post(
        reverse("lists:to_cart", args=[list_with_a_deleted_product.pk]), follow=True
    )
    texts = messages_of(response)
    assert "Added to your cart: Hoe." in texts
    assert "Rake is no longer available." in texts
    assert list(CartLine.objects.values_list("product_name", flat=True)) == ["Hoe"]


def test_items_of_deleted_products_can_be_updated_moved_and_removed(
    user, client, list_with_a_deleted_product
):
    owner = Owner(user=user)
    later = lists.create_list(owner, "Later")
    other = make_product("Spade", stock=5)
    lists.add_item(later, only_variant(other).pk)
    other.delete()  # the target holds another deleted product: the two never merge
    gone = list_with_a_deleted_product.items.get(variant__isnull=True)
    client.force_login(user)
    url = reverse("lists:item_change", args=[gone.pk])

    client.post(url, {"action": "update", "quantity": "3", "note": "still want one"})
    response = client.post(url, {"action": "move", "target": later.pk}, follow=True)

    assert "Moved Rake to “Later”." in messages_of(response)
    assert sorted(later.items.values_list("product_name", "quantity")) == [
        ("Rake", 3),
        ("Spade", 1),
    ]
    response = client.post(url, {"action": "remove"}, follow=True)
    assert "Removed Rake." in messages_of(response)


def test_copying_a_shared_list_skips_deleted_products(user, client, list_with_a_deleted_product):
    token = lists.share(list_with_a_deleted_product)
    response = client.post(reverse("lists:shared_copy", args=[token]), {"into": "list"})
    assert response.status_code == 302
    copied = ShoppingListItem.objects.exclude(shopping_list=list_with_a_deleted_product)
    assert list(copied.values_list("product_name", flat=True)) == ["Hoe"]
    shared_page = client.get(reverse("lists:shared", args=[token]))
    assert "No longer available" in shared_page.content.decode()


def test_the_merge_on_login_moves_items_of_deleted_products_without_merging_them(user):
    rake, hoe = make_product("Rake", stock=5), make_product("Hoe", stock=5)
    mine = lists.default_list(Owner(user=user))
    theirs = lists.default_list(Owner(guest_key="guest-1"))
    for shopping_list in (mine, theirs):
        lists.add_item(shopping_list, only_variant(rake).pk)
        lists.add_item(shopping_list, only_variant(hoe).pk)
    rake.delete()

    lists.merge_guest_lists("guest-1", user)

    assert sorted(mine.items.values_list("product_name", "variant_id", "quantity")) == [
        ("Hoe", only_variant(hoe).pk, 2),
        ("Rake", None, 1),
        ("Rake", None, 1),
    ]


def test_one_item_per_product_and_list_still_holds(user):
    product = make_product(stock=5)
    shopping_list = lists.default_list(Owner(user=user))
    item = lists.add_item(shopping_list, only_variant(product).pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        ShoppingListItem.objects.create(
            shopping_list=shopping_list, variant=only_variant(product), price_when_added=D("1")
        )
    ShoppingListItem.objects.filter(pk=item.pk).update(variant=None)
    ShoppingListItem.objects.create(shopping_list=shopping_list, variant=None, price_when_added=1)
    assert shopping_list.items.filter(variant__isnull=True).count() == 2


# --- The delete confirmation says what refers to it ----------------------------------------


def impact_items(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return [li.get_text(" ", strip=True) for li in soup.select(".delete-impact li")]


def hold(*variants, in_list=False):
    """A cart (or a shopping list) holding these variants, written as the cart and list
    services leave them: what the delete confirmation counts is the rows."""
    from commerce.models import Cart

    if in_list:
        holder = ShoppingList.objects.create(name="Later", guest_key=new_token())
        for v in variants:
            ShoppingListItem.objects.create(
                shopping_list=holder,
                variant=v,
                product_name=v.description,
                sku=v.sku,
                price_when_added=v.price,
            )
        return holder
    holder = Cart.objects.create()
    for v in variants:
        CartLine.objects.create(
            cart=holder, variant=v, product_name=v.description, quantity=1, unit_price=v.price
        )
    return holder


def refer_to(product, *, times):
    """`times` carts, shopping lists, orders and coupons that refer to `product`."""
    variant = only_variant(product)
    for i in range(times):
        hold(variant)
        hold(variant, in_list=True)
        make_order([(product, 1), (product, 1)])
        make_coupon(f"C{product.pk}-{i}", scope=CouponScope.PRODUCTS).products.set([product])


def test_the_product_delete_confirmation_counts_what_refers_to_it(admin_client):
    pan, lid = make_product("Pan", stock=99), make_product("Lid", stock=99)
    refer_to(pan, times=2)
    make_coupon("BOTH", scope=CouponScope.PRODUCTS).products.set([pan, lid])
    make_order([(lid, 1)])

    response = admin_client.get(reverse("wagtailsnippets_commerce_product:delete", args=[pan.pk]))

    assert impact_items(response) == [
        "2 carts",
        "2 shopping lists",
        "3 coupons, 2 of which would then apply to nothing",
        "2 orders",
    ]


def test_the_delete_confirmation_queries_do_not_grow_with_references(admin_client):
    def confirmation_queries(product):
        url = reverse("wagtailsnippets_commerce_product:delete", args=[product.pk])
        admin_client.get(url)  # warm caches
        with CaptureQueriesContext(connection) as queries:
            admin_client.get(url)
        return len(queries)

    few, many = make_product("Few", stock=99), make_product("Many", stock=99)
    refer_to(few, times=1)
    refer_to(many, times=6)
    assert confirmation_queries(many) == confirmation_queries(few)


def test_the_category_delete_confirmation_counts_through_its_products(admin_client):
    tools = make_category("Tools")
    saw = make_product("Saw", stock=99, main_category=tools)
    drill = make_product("Drill", stock=99)
    drill.additional_categories.add(tools)
    drill.save()
    make_product("Elsewhere", stock=99)
    refer_to(saw, times=1)
    refer_to(drill, times=1)
    make_coupon("TOOLS", scope=CouponScope.CATEGORIES).categories.set([tools])

    response = admin_client.get(
        reverse("wagtailsnippets_commerce_category:delete", args=[tools.pk])
    )

    page = response.content.decode()
    assert "through its 2 products" in page
    assert impact_items(response) == [
        "2 carts",
        "2 shopping lists",
        "1 coupon, 1 of which would then apply to nothing",
        "2 orders",
    ]


def test_deleting_a_product_in_the_admin_keeps_list_and_order_lines(admin_client, user):
    pan = make_product("Pan", stock=9)
    hold(only_variant(pan), in_list=True)
    make_order([(pan, 1)])
    response = admin_client.post(reverse("wagtailsnippets_commerce_product:delete", args=[pan.pk]))
    assert response.status_code == 302
    assert not Product.objects.filter(pk=pan.pk).exists()
    assert ShoppingListItem.objects.get().product_name == "Pan"
    assert OrderLine.objects.get().product_name == "Pan"
    assert ShoppingList.objects.count() == 1


# --- Warehouses still in use -----------------------------------------------------------------


def warehouse_delete_url(warehouse):
    return reverse("wagtailsnippets_commerce_warehouse:delete", args=[warehouse.pk])


def test_a_warehouse_holding_stock_is_not_deleted_and_staff_are_told_why(admin_client):
    north = make_warehouse("north")
    make_product("Pan", stock={"north": 5, "main": 3})
    make_product("Lid", stock={"north": 2})
    make_product("Pot", stock={"north": 0})

    for method in (admin_client.get, admin_client.post):
        response = method(warehouse_delete_url(north), follow=True)
        assert response.status_code == 200
        (text,) = messages_of(response)
        assert "“North” still holds 7 units of 2 variants" in text
        assert "Set their stock in this warehouse to 0 first" in text
        assert "deactivate the warehouse" in text
    assert Warehouse.objects.filter(pk=north.pk).exists()
    assert Stock.objects.filter(warehouse=north).count() == 3


def test_a_warehouse_holding_nothing_is_deleted_with_its_empty_stock_rows(admin_client):
    north = make_warehouse("north")
    pan = make_product("Pan", stock={"north": 0, "main": 4})
    response = admin_client.get(warehouse_delete_url(north))
    assert response.status_code == 200 and b"Yes, delete" in response.content

    response = admin_client.post(warehouse_delete_url(north))

    assert response.status_code == 302
    assert not Warehouse.objects.filter(pk=north.pk).exists()
    assert list(Stock.objects.filter(variant__product=pan).values_list("quantity", flat=True)) == [
        4
    ]


def test_a_warehouse_that_supplied_orders_is_not_deleted(admin_client):
    north = make_warehouse("north")
    make_order([(make_product("Pan"), 1, {"north": 1})])
    response = admin_client.post(warehouse_delete_url(north), follow=True)
    (text,) = messages_of(response)
    assert "Orders were supplied from “North”" in text and "Deactivate it instead" in text
    assert Warehouse.objects.filter(pk=north.pk).exists()


def test_bulk_delete_refuses_warehouses_in_use_and_deletes_empty_ones(admin_client):
    full, empty = make_warehouse("full"), make_warehouse("empty")
    make_product("Pan", stock={"full": 1, "empty": 0})
    url = reverse("wagtail_bulk_action", args=["commerce", "warehouse", "delete"])

    response = admin_client.post(f"{url}?id={full.pk}&id={empty.pk}", follow=True)
    assert "“Full” still holds 1 unit of 1 variant" in " ".join(messages_of(response))
    assert Warehouse.objects.filter(pk__in=[full.pk, empty.pk]).count() == 2

    response = admin_client.post(f"{url}?id={empty.pk}")
    assert response.status_code == 302
    assert not Warehouse.objects.filter(pk=empty.pk).exists()
    assert Stock.objects.get().warehouse == full


# --- Variants -------------------------------------------------------------------------------


@pytest.fixture
def coat():
    size, (s, m) = make_attribute("Size", ["S", "M"], varies_per_variant=True)
    return make_product(
        "Coat",
        axes=[size],
        variants=[
            {"sku": "COAT-S", "options": [s], "stock": {"main": 3}, "price": D("90.00")},
            {"sku": "COAT-M", "options": [m], "stock": {"main": 1, "north": 2}},
        ],
    )


def test_the_product_delete_confirmation_counts_through_all_its_variants(admin_client, coat):
    small, medium = coat.variants.order_by("sort_order")
    hold(small, medium)
    hold(medium)
    make_order([(small, 1), (medium, 1)])
    url = reverse("wagtailsnippets_commerce_product:delete", args=[coat.pk])

    response = admin_client.get(url)

    assert impact_items(response) == ["2 carts", "0 shopping lists", "0 coupons", "1 order"]
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select_one("[data-variants-deleted]").get_text(" ", strip=True) == (
        "Deleted with it: 2 variants and 6 units of stock."
    )
    assert admin_client.post(url).status_code == 302
    assert not Stock.objects.exists()
    assert sorted(OrderLine.objects.values_list("sku", "variant_name", "variant_id")) == [
        ("COAT-M", "Size M", None),
        ("COAT-S", "Size S", None),
    ]
    assert not CartLine.objects.filter(variant__isnull=False).exists()


def test_deleting_a_variant_by_publishing_the_product_without_it(admin_client, coat):
    from tests.factories.catalog import product_form_data, variant_form_data

    small, medium = coat.variants.order_by("sort_order")
    make_order([(medium, 1)])
    edit = reverse("wagtailsnippets_commerce_product:edit", args=[coat.pk])
    page = admin_client.get(edit).content.decode()
    assert "In 0 carts, 0 shopping lists and 1 order. Deleting this variant keeps" in page

    data = product_form_data(
        coat,
        variants=[variant_form_data(small), {**variant_form_data(medium), "DELETE": "1"}],
        **{"action-publish": "1"},
    )
    assert admin_client.post(edit, data).status_code == 302

    assert list(coat.variants.values_list("sku", flat=True)) == ["COAT-S"]
    assert list(Stock.objects.values_list("variant__sku", "quantity")) == [("COAT-S", 3)]
    line = OrderLine.objects.get()
    assert (line.variant_id, line.sku, line.description) == (None, "COAT-M", "Coat — Size M")

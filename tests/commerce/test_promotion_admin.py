"""Staff run promotions in Wagtail's admin: conditions and rewards inline, validation on
the field it is about, drafts, scheduling, the listing's status, filters and usage."""

from datetime import timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from commerce.models import OrderLine, OrderStatus, Promotion, PromotionStatus
from tests.factories.catalog import make_category, make_product, only_variant
from tests.factories.orders import make_order
from tests.factories.promotions import condition, make_promotion, reward

pytestmark = pytest.mark.django_db

ADD_URL = reverse("wagtailsnippets_commerce_promotion:add")
LIST_URL = reverse("wagtailsnippets_commerce_promotion:list")


def edit_url(promotion):
    return reverse("wagtailsnippets_commerce_promotion:edit", args=[promotion.pk])


# --- Form data, as the browser posts it (nested formsets: conditions → rewards) ---------


def reward_data(variant, value_type="fixed_price", *, given_price="", reward_value="", quantity=0):
    data = {
        "variant": variant.pk,
        "value_type": value_type,
        "given_price": given_price,
        "reward_value": reward_value,
        "quantity": str(quantity),
    }
    return {key: value for key, value in data.items() if value != ""}


def condition_data(
    rewards,
    *,
    threshold_min="10",
    threshold_max="0",
    measure="quantity",
    qualifying="rewards",
    products=(),
    variants=(),
    categories=(),
):
    return {
        "threshold_min": threshold_min,
        "threshold_max": threshold_max,
        "measure": measure,
        "qualifying": qualifying,
        # Tuples: one value per choice (nested_form_data numbers lists).
        "qualifying_products": tuple(p.pk for p in products),
        "qualifying_variants": tuple(v.pk for v in variants),
        "qualifying_categories": tuple(c.pk for c in categories),
        "rewards": inline_formset(rewards),
    }


def promotion_data(conditions, *, action=None, **changes):
    data = {
        "name": "Ten pans",
        "short_code": "ten-pans",
        "description": "",
        "start": "",
        "end": "",
        "is_active": "on",
        "color_in_cart": "",
        "multiply_reward": "0",
        "audience": "everyone",
        "customer_groups": (),
        "conditions": inline_formset(conditions),
        "go_live_at": "",
        "expire_at": "",
    }
    data.update(changes)
    if action:
        data[f"action-{action}"] = action
    return nested_form_data({k: v for k, v in data.items() if v not in ("", None)})


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def pan():
    return only_variant(make_product("Steel pan", price=Decimal("10.00"), sku="PAN-1"))


@pytest.fixture
def tote():
    return only_variant(make_product("Tote bag", price=Decimal("4.00"), sku="TOTE-1"))


def form_of(response):
    return response.context["form"]


def condition_form(response, index=0):
    return form_of(response).formsets["conditions"].forms[index]


def reward_form(response, index=0, reward_index=0):
    return condition_form(response, index).formsets["rewards"].forms[reward_index]


def listed_rows(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return {
        row.select_one("td.title a").get_text(strip=True): [
            td.get_text(" ", strip=True) for td in row.select("td")[1:]
        ]
        for row in soup.select("tbody tr")
    }


# --- Create, draft, publish, schedule ------------------------------------------------------


class TestCreate:
    def test_publish_with_nested_conditions_and_rewards(self, admin_client, pan, tote):
        kitchen = make_category("Kitchen")
        data = promotion_data(
            [
                condition_data(
                    [reward_data(pan, given_price="8.00")], threshold_min="10", threshold_max="49"
                ),
                condition_data(
                    [
                        reward_data(pan, given_price="7.50"),
                        reward_data(tote, "gift", quantity=1),
                    ],
                    threshold_min="50",
                    qualifying="chosen",
                    variants=[pan],
                    categories=[kitchen],
                ),
            ],
            action="publish",
        )
        response = admin_client.post(ADD_URL, data)
        assert response.status_code == 302, form_of(response).errors
        promotion = Promotion.objects.get(short_code="ten-pans")
        assert promotion.live and promotion.status_at() == PromotionStatus.RUNNING
        first, second = promotion.conditions.order_by("sort_order")
        assert (first.threshold_min, first.threshold_max) == (Decimal("10"), Decimal("49"))
        assert [(r.variant, r.given_price) for r in first.rewards.all()] == [(pan, Decimal("8.00"))]
        assert [(r.variant, r.value_type, r.quantity) for r in second.rewards.all()] == [
            (pan, "fixed_price", 0),
            (tote, "gift", 1),
        ]
        assert list(second.qualifying_variants.all()) == [pan]
        assert list(second.qualifying_categories.all()) == [kitchen]

    def test_a_draft_may_be_unfinished_but_is_not_live(self, admin_client, pan):
        data = promotion_data([condition_data([])])
        response = admin_client.post(ADD_URL, data)
        assert response.status_code == 302, form_of(response).errors
        promotion = Promotion.objects.get()
        assert not promotion.live
        assert promotion.status_at() == PromotionStatus.DRAFT
        assert not Promotion.objects.running().exists()

    def test_publishing_the_unfinished_draft_is_refused(self, admin_client, pan):
        admin_client.post(ADD_URL, promotion_data([condition_data([])]))
        promotion = Promotion.objects.get()
        response = admin_client.post(
            edit_url(promotion), promotion_data([condition_data([])], action="publish")
        )
        assert response.status_code == 200
        assert condition_form(response).non_field_errors() == [
            "Condition 1: add at least one reward (Add reward)."
        ]
        promotion.refresh_from_db()
        assert not promotion.live

    def test_editing_a_live_promotion_as_draft_keeps_the_live_version(self, admin_client, pan):
        promotion = make_promotion(
            "Pans", [condition([reward(pan, given_price="8.00")], threshold_min=10)]
        )
        cond = promotion.conditions.get()
        rwd = cond.rewards.get()
        data = promotion_data(
            [
                {
                    **condition_data(
                        [{**reward_data(pan, given_price="6.00"), "id": rwd.pk}],
                    ),
                    "id": cond.pk,
                }
            ],
            name="Pans",
            short_code=promotion.short_code,
        )
        # inline_formset counts the saved forms as initial ones.
        data["conditions-INITIAL_FORMS"] = "1"
        data["conditions-0-rewards-INITIAL_FORMS"] = "1"
        response = admin_client.post(edit_url(promotion), data)
        assert response.status_code == 302, form_of(response).errors
        assert cond.rewards.get().given_price == Decimal("8.00")  # the live row
        draft = Promotion.objects.get(pk=promotion.pk).get_latest_revision_as_object()
        assert [r.given_price for r in draft.conditions.all()[0].rewards.all()] == [Decimal("6.00")]

    def test_publish_with_a_go_live_date_schedules_it(self, admin_client, pan):
        later = timezone.now() + timedelta(days=7)
        data = promotion_data(
            [condition_data([reward_data(pan, given_price="8.00")])],
            action="publish",
            go_live_at=local(later),
        )
        response = admin_client.post(ADD_URL, data)
        assert response.status_code == 302, form_of(response).errors
        promotion = Promotion.objects.get()
        assert not promotion.live
        assert promotion.status_at() == PromotionStatus.SCHEDULED
        assert promotion.latest_revision.approved_go_live_at is not None
        assert listed_rows(admin_client.get(LIST_URL))["Ten pans"][2] == "Scheduled"


# --- Validation on the field it is about -----------------------------------------------------


def _in_page(response, message):
    return escape(message) in response.content.decode()


class TestValidation:
    def test_threshold_max_below_threshold_min(self, admin_client, pan):
        response = admin_client.post(
            ADD_URL,
            promotion_data(
                [condition_data([reward_data(pan, given_price="8.00")], threshold_max="5")],
                action="publish",
            ),
        )
        message = "The upper threshold is below the lower one (0: no limit)."
        assert condition_form(response).errors["threshold_max"] == [message]
        assert _in_page(response, message)
        assert not Promotion.objects.exists()

    def test_threshold_max_equal_to_threshold_min_is_fine(self, admin_client, pan):
        response = admin_client.post(
            ADD_URL,
            promotion_data(
                [condition_data([reward_data(pan, given_price="8.00")], threshold_max="10")],
                action="publish",
            ),
        )
        assert response.status_code == 302

    @pytest.mark.parametrize(
        ("reward", "field", "message"),
        [
            (
                {"value_type": "gift", "quantity": 0},
                "quantity",
                "A gift needs a quantity (1 or more).",
            ),
            (
                {"given_price": "12.00"},
                "given_price",
                "The fixed price must be below the variant's price (10.00).",
            ),
            (
                {"given_price": "10.00"},  # equal: no reduction
                "given_price",
                "The fixed price must be below the variant's price (10.00).",
            ),
            ({}, "given_price", "A fixed price needs the price."),
            (
                {"value_type": "percent", "reward_value": "100.01"},
                "reward_value",
                "A percentage cannot be above 100.",
            ),
            (
                {"value_type": "amount", "reward_value": "10.01"},
                "reward_value",
                "The amount off is above the variant's price (10.00).",
            ),
            (
                {"value_type": "amount", "reward_value": "99999999999999"},
                "reward_value",
                None,  # too many digits: Django's own message, still on the field
            ),
        ],
    )
    def test_reward_rules(self, admin_client, pan, reward, field, message):
        rwd = {**reward_data(pan), **{k: str(v) for k, v in reward.items()}}
        response = admin_client.post(
            ADD_URL, promotion_data([condition_data([rwd])], action="publish")
        )
        assert response.status_code == 200
        errors = reward_form(response).errors
        assert field in errors
        if message:
            assert errors[field] == [message]
            assert _in_page(response, message)
        assert not Promotion.objects.exists()

    @pytest.mark.parametrize("percent", ["100", "0.01"])
    def test_percent_at_its_bounds_is_fine(self, admin_client, pan, percent):
        rwd = reward_data(pan, "percent", reward_value=percent)
        response = admin_client.post(
            ADD_URL, promotion_data([condition_data([rwd])], action="publish")
        )
        assert response.status_code == 302, form_of(response).errors

    def test_end_before_start(self, admin_client, pan):
        now = timezone.now()
        response = admin_client.post(
            ADD_URL,
            promotion_data(
                [condition_data([reward_data(pan, given_price="8.00")])],
                action="publish",
                start=local(now + timedelta(days=2)),
                end=local(now + timedelta(days=1)),
            ),
        )
        assert form_of(response).errors["end"] == ["The end must be after the start."]

    def test_chosen_with_nothing_chosen(self, admin_client, pan):
        response = admin_client.post(
            ADD_URL,
            promotion_data(
                [condition_data([reward_data(pan, given_price="8.00")], qualifying="chosen")],
                action="publish",
            ),
        )
        message = (
            "Condition 1: choose the products, variants or categories that count, or count "
            "the reward variants."
        )
        assert condition_form(response).errors["qualifying"] == [message]
        assert _in_page(response, message)

    @pytest.mark.parametrize("chosen", ["products", "variants", "categories"])
    def test_chosen_with_one_kind_chosen_is_fine(self, admin_client, pan, chosen):
        targets = {
            "products": [pan.product],
            "variants": [pan],
            "categories": [make_category("Kitchen")],
        }
        response = admin_client.post(
            ADD_URL,
            promotion_data(
                [
                    condition_data(
                        [reward_data(pan, given_price="8.00")],
                        qualifying="chosen",
                        **{chosen: targets[chosen]},
                    )
                ],
                action="publish",
            ),
        )
        assert response.status_code == 302, form_of(response).errors

    def test_a_condition_without_rewards(self, admin_client, pan):
        response = admin_client.post(
            ADD_URL,
            promotion_data(
                [condition_data([reward_data(pan, given_price="8.00")]), condition_data([])],
                action="publish",
            ),
        )
        assert condition_form(response, 1).non_field_errors() == [
            "Condition 2: add at least one reward (Add reward)."
        ]
        assert not condition_form(response, 0).errors

    def test_a_promotion_without_conditions(self, admin_client):
        response = admin_client.post(ADD_URL, promotion_data([], action="publish"))
        message = "A promotion needs at least one condition (Conditions tab)."
        assert form_of(response).non_field_errors() == [message]
        assert _in_page(response, message)

    def test_a_deleted_condition_does_not_count(self, admin_client, pan):
        data = promotion_data(
            [{**condition_data([reward_data(pan, given_price="8.00")]), "DELETE": "1"}],
            action="publish",
        )
        response = admin_client.post(ADD_URL, data)
        assert form_of(response).non_field_errors() == [
            "A promotion needs at least one condition (Conditions tab)."
        ]

    def test_groups_audience_without_a_group(self, admin_client, pan):
        response = admin_client.post(
            ADD_URL,
            promotion_data(
                [condition_data([reward_data(pan, given_price="8.00")])],
                action="publish",
                audience="groups",
            ),
        )
        assert form_of(response).errors["customer_groups"] == [
            "Choose at least one group, or make it for everyone."
        ]

    def test_short_code_of_another_promotion(self, admin_client, pan):
        make_promotion("Old", short_code="ten-pans")
        response = admin_client.post(
            ADD_URL,
            promotion_data([condition_data([reward_data(pan, given_price="8.00")])]),
        )
        assert "short_code" in form_of(response).errors
        assert Promotion.objects.count() == 1

    def test_short_code_of_another_promotions_draft(self, admin_client, pan):
        other = make_promotion("Other", short_code="other")
        other.short_code = "ten-pans"
        other.save_revision()  # an unpublished change: the row still says "other"
        response = admin_client.post(
            ADD_URL,
            promotion_data(
                [condition_data([reward_data(pan, given_price="8.00")])], action="publish"
            ),
        )
        assert form_of(response).errors["short_code"] == [
            "Another promotion's unpublished draft uses this short code; choose another."
        ]

    def test_its_own_short_code_is_not_a_clash(self, admin_client, pan):
        promotion = make_promotion(
            "Pans", [condition([reward(pan, given_price="8.00")])], short_code="ten-pans"
        )
        promotion.save_revision()
        cond = promotion.conditions.get()
        data = promotion_data(
            [
                {
                    **condition_data(
                        [{**reward_data(pan, given_price="8.00"), "id": cond.rewards.get().pk}]
                    ),
                    "id": cond.pk,
                }
            ],
            action="publish",
            name="Pans",
        )
        data["conditions-INITIAL_FORMS"] = "1"
        data["conditions-0-rewards-INITIAL_FORMS"] = "1"
        response = admin_client.post(edit_url(promotion), data)
        assert response.status_code == 302, form_of(response).errors

    def test_an_unknown_variant_is_a_form_error(self, admin_client, pan):
        rwd = {**reward_data(pan, given_price="8.00"), "variant": "999999"}
        response = admin_client.post(
            ADD_URL, promotion_data([condition_data([rwd])], action="publish")
        )
        assert response.status_code == 200
        assert "variant" in reward_form(response).errors

    def test_nul_bytes_are_refused_with_a_400(self, admin_client, pan):
        data = promotion_data(
            [condition_data([reward_data(pan, given_price="8.00")])], name="Bad\x00name"
        )
        assert admin_client.post(ADD_URL, data).status_code == 400
        assert not Promotion.objects.exists()


# --- Listing: status, filters, search, usage, queries -------------------------------------


@pytest.fixture
def statuses(pan):
    now = timezone.now()
    spec = [condition([reward(pan, given_price="8.00")])]
    made = {
        "Running": make_promotion("Running", spec, start=now - timedelta(days=1)),
        "Starts later": make_promotion("Starts later", spec, start=now + timedelta(days=7)),
        "Ended": make_promotion("Ended", spec, end=now - timedelta(minutes=1)),
        "Switched off": make_promotion("Switched off", spec, is_active=False),
        "Draft": make_promotion("Draft", spec, publish=False),
        "Group only": make_promotion("Group only", spec, groups=[Group.objects.create(name="VIP")]),
    }
    going_live = make_promotion("Going live", spec, publish=False)
    going_live.save_revision().publish()  # published, then taken back to a scheduled draft
    Promotion.objects.filter(pk=going_live.pk).update(live=False, go_live_at=now + timedelta(1))
    made["Going live"] = going_live
    return made


class TestListing:
    def test_status_column(self, admin_client, statuses):
        rows = listed_rows(admin_client.get(LIST_URL))
        assert {name: cells[2] for name, cells in rows.items()} == {
            "Running": "Running",
            "Starts later": "Scheduled",
            "Ended": "Ended",
            "Switched off": "Switched off",
            "Draft": "Draft",
            "Group only": "Running",
            "Going live": "Scheduled",
        }

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("status=running", {"Running", "Group only"}),
            ("status=scheduled", {"Starts later", "Going live"}),
            ("status=ended", {"Ended"}),
            ("status=inactive", {"Switched off"}),
            ("status=draft", {"Draft"}),
            ("audience=groups", {"Group only"}),
            ("q=only", {"Group only"}),
            ("q=promo-", None),  # the short code: all of them
            ("status=nonsense", None),  # an unknown choice is ignored, never a 500
        ],
    )
    def test_filters_and_search(self, admin_client, statuses, query, expected):
        response = admin_client.get(f"{LIST_URL}?{query}")
        assert response.status_code == 200
        assert set(listed_rows(response)) == (expected or set(statuses))

    def test_annotated_status_agrees_with_status_at_at_the_boundaries(self, pan):
        now = timezone.now()
        starts_now = make_promotion("Starts now", start=now)
        ends_now = make_promotion("Ends now", end=now)
        starts_later = make_promotion("Starts a moment later", start=now + timedelta(seconds=1))
        for promotion in (starts_now, ends_now, starts_later):
            annotated = Promotion.objects.annotate_status(now).get(pk=promotion.pk).status
            assert annotated == promotion.status_at(now)
        assert starts_now.status_at(now) == PromotionStatus.RUNNING
        assert ends_now.status_at(now) == PromotionStatus.ENDED
        assert starts_later.status_at(now) == PromotionStatus.SCHEDULED

    def test_usage_counts_orders_that_stand(self, admin_client, pan, tote):
        used = make_promotion("Used", [condition([reward(pan, given_price="8.00")])])
        make_promotion("Unused", [condition([reward(pan, given_price="8.00")])])
        orders = [
            make_order([(pan, 10), (tote, 1)]),
            make_order([(pan, 12)], discount=Decimal("2.00")),
            make_order([(pan, 20)], status=OrderStatus.CANCELLED),
        ]
        for order in orders:
            OrderLine.objects.filter(order=order, variant=pan).update(
                promotion=used, promotion_name="Used", regular_unit_price=Decimal("10.00")
            )
        # A gift line of the first order: its order counts once.
        OrderLine.objects.filter(order=orders[0], variant=tote).update(
            promotion=used, is_gift=True, line_total=Decimal("0.00")
        )
        rows = listed_rows(admin_client.get(LIST_URL))
        # 100.00 + (120.00 - 2.00) + 0.00; the cancelled order does not count.
        assert rows["Used"][5:7] == ["2", "218.00"]
        assert rows["Unused"][5:7] == ["0", "0.00"]

    def test_queries_do_not_grow_with_promotions(self, admin_client, pan):
        def count_queries():
            admin_client.get(LIST_URL)  # warm caches
            with CaptureQueriesContext(connection) as queries:
                assert admin_client.get(LIST_URL).status_code == 200
            return len(queries)

        spec = [condition([reward(pan, given_price="8.00")])]
        for _ in range(2):
            make_promotion(conditions=spec)
        with_two = count_queries()
        for _ in range(18):
            make_promotion(conditions=spec, publish=False)
        assert len(listed_rows(admin_client.get(LIST_URL))) == 20
        assert count_queries() == with_two

    def test_csv_export_has_status_and_usage(self, admin_client, statuses):
        response = admin_client.get(f"{LIST_URL}?export=csv")
        text = b"".join(response.streaming_content).decode()
        header, *lines = text.splitlines()
        assert header == "Name,Short code,Status,Start,End,Audience,Orders,Revenue (promoted lines)"
        assert any(line.startswith("Ended,") and ",ended," in line for line in lines)


# --- Permissions -----------------------------------------------------------------------------


class TestPermissions:
    @pytest.fixture
    def clerk(self, django_user_model):
        """Admin access, products and orders, no promotion permission."""
        user = django_user_model.objects.create_user("clerk", password="pw-1234-abc")
        user.user_permissions.add(
            Permission.objects.get(codename="access_admin"),
            Permission.objects.get(codename="view_order"),
        )
        return user

    def test_without_promotion_permissions_nothing_opens(self, client, clerk, pan):
        promotion = make_promotion("Pans", [condition([reward(pan, given_price="8.00")])])
        client.force_login(clerk)
        for url in (LIST_URL, ADD_URL, edit_url(promotion)):
            response = client.get(url)
            # Wagtail sends a page request back to the dashboard with its "permission
            # denied" message; a script's request gets the 403 itself.
            assert (response.status_code, response["Location"]) == (302, "/admin/")
            response = client.get(url, headers={"x-requested-with": "XMLHttpRequest"})
            assert response.status_code == 403
        response = client.post(
            ADD_URL, promotion_data([condition_data([reward_data(pan, given_price="1.00")])])
        )
        assert response.status_code == 302 and response["Location"] == "/admin/"
        assert Promotion.objects.count() == 1

    def test_shop_managers_run_promotions(self, client, django_user_model, pan):
        user = django_user_model.objects.create_user("manager", password="pw-1234-abc")
        user.groups.add(Group.objects.get(name="Shop managers"))
        client.force_login(user)
        assert client.get(LIST_URL).status_code == 200
        response = client.post(
            ADD_URL,
            promotion_data(
                [condition_data([reward_data(pan, given_price="8.00")])], action="publish"
            ),
        )
        assert response.status_code == 302
        assert Promotion.objects.get().live


# --- The variant chooser ----------------------------------------------------------------------


class TestVariantChooser:
    def test_search_by_sku_ean_or_product_name(self, admin_client, pan, tote):
        url = reverse("commerce_variant_chooser:choose_results")
        for term, expected in [("pan-1", "Steel pan"), ("tote", "Tote bag")]:
            response = admin_client.get(url, {"q": term})
            assert response.status_code == 200
            text = BeautifulSoup(response.content, "html.parser").get_text(" ", strip=True)
            assert expected in text
            assert ({"Steel pan", "Tote bag"} - {expected}).pop() not in text

    def test_the_reward_field_is_a_chooser(self, admin_client):
        response = admin_client.get(ADD_URL)
        html = response.content.decode()
        assert "Choose a variant" in html
        assert reverse("commerce_variant_chooser:choose") in html


# --- Preview: a sample product page and cart, priced with this promotion alone ------------

PREVIEW_ON_ADD = reverse("wagtailsnippets_commerce_promotion:preview_on_add")


def preview(admin_client, data, mode):
    assert admin_client.post(PREVIEW_ON_ADD, data).json()["is_valid"] is True
    response = admin_client.get(PREVIEW_ON_ADD, {"mode": mode})
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def text_of(soup, selector):
    return [node.get_text(" ", strip=True) for node in soup.select(selector)]


class TestPreview:
    def test_product_page_shows_the_promoted_price_of_an_unsaved_promotion(
        self, admin_client, homepage, pan
    ):
        data = promotion_data([condition_data([reward_data(pan, given_price="8.00")])])
        soup = preview(admin_client, data, "product")
        assert text_of(soup, "[data-promoted-price]") == ["8.00 EUR"]
        assert text_of(soup, "[data-regular-price]") == ["10.00 EUR"]
        assert "Ten pans" in text_of(soup, "[data-offer]")[0]
        assert not Promotion.objects.exists()

    def test_cart_holds_the_threshold_and_gets_the_gift(self, admin_client, homepage, pan, tote):
        data = promotion_data(
            [
                condition_data(
                    [reward_data(pan, given_price="8.00"), reward_data(tote, "gift", quantity=2)],
                    threshold_min="10",
                )
            ]
        )
        soup = preview(admin_client, data, "cart")
        (line,) = soup.select("[data-line]")
        cells = [td.get_text(" ", strip=True) for td in line.select("td")]
        assert cells[1:] == ["10", "8.00 EUR 10.00 EUR", "80.00 EUR"]
        (gift,) = soup.select("[data-gift]")
        assert [td.get_text(" ", strip=True) for td in gift.select("td")] == [
            "Tote bag Gift",
            "2",
            "0.00 EUR",
            "0.00 EUR",
        ]
        assert text_of(soup, "[data-total]") == ["80.00 EUR"]

    def test_chosen_qualifying_products_fill_the_cart(self, admin_client, homepage, pan, tote):
        lid = only_variant(make_product("Lid", price=Decimal("3.00")))
        data = promotion_data(
            [
                condition_data(
                    [reward_data(tote, "percent", reward_value="50")],
                    threshold_min="30",
                    measure="value",
                    qualifying="chosen",
                    products=[lid.product],
                )
            ]
        )
        soup = preview(admin_client, data, "cart")
        rows = [
            [td.get_text(" ", strip=True) for td in r.select("td")]
            for r in soup.select("[data-line]")
        ]
        # 10 lids reach 30.00; the tote is at half price.
        assert [row[1] for row in rows] == ["10", "1"]
        assert rows[1][2] == "2.00 EUR 4.00 EUR"

    def test_outside_its_window_the_preview_shows_regular_prices(self, admin_client, homepage, pan):
        next_week = timezone.now() + timedelta(days=7)
        data = promotion_data(
            [condition_data([reward_data(pan, given_price="8.00")])], start=local(next_week)
        )
        soup = preview(admin_client, data, "product")
        assert not soup.select("[data-promoted-price]")
        assert text_of(soup, "[data-regular-price]") == ["10.00 EUR"]
        assert "does not apply then" in text_of(soup, "[data-preview-note]")[0]

    def test_preview_as_of_its_start_shows_the_promoted_price(self, admin_client, homepage, pan):
        next_week = timezone.now() + timedelta(days=7)
        data = promotion_data(
            [condition_data([reward_data(pan, given_price="8.00")])],
            start=local(next_week),
            preview_as_of=local(next_week),
        )
        soup = preview(admin_client, data, "product")
        assert text_of(soup, "[data-promoted-price]") == ["8.00 EUR"]
        data = promotion_data(
            [condition_data([reward_data(pan, given_price="8.00")])],
            start=local(next_week),
            preview_as_of=local(next_week - timedelta(minutes=1)),
        )
        soup = preview(admin_client, data, "cart")
        assert not soup.select("[data-promoted-price]")

    def test_switched_off_it_does_not_apply(self, admin_client, homepage, pan):
        data = promotion_data([condition_data([reward_data(pan, given_price="8.00")])])
        del data["is_active"]
        soup = preview(admin_client, data, "cart")
        assert not soup.select("[data-promoted-price]")
        assert "switched off" in text_of(soup, "[data-preview-note]")[0]

    def test_other_running_promotions_do_not_blur_it(self, admin_client, homepage, pan):
        make_promotion("Cheaper", [condition([reward(pan, given_price="1.00")], threshold_min=1)])
        data = promotion_data([condition_data([reward_data(pan, given_price="8.00")])])
        soup = preview(admin_client, data, "product")
        assert text_of(soup, "[data-promoted-price]") == ["8.00 EUR"]

    def test_a_saved_drafts_revision_previews(self, admin_client, homepage, pan):
        promotion = make_promotion(
            "Draft pans",
            [condition([reward(pan, given_price="7.00")], threshold_min=5)],
            publish=False,
        )
        # The revision's preview: an object rebuilt from JSON, its cluster in memory.
        url = reverse(
            "wagtailsnippets_commerce_promotion:revisions_view",
            args=[promotion.pk, promotion.latest_revision_id],
        )
        response = admin_client.get(url, {"mode": "cart"})
        assert response.status_code == 200
        soup = BeautifulSoup(response.content, "html.parser")
        (line,) = soup.select("[data-line]")
        assert [td.get_text(" ", strip=True) for td in line.select("td")][1] == "5"
        assert text_of(soup, "[data-promoted-price]") == ["7.00 EUR"]

    def test_without_conditions_the_preview_says_so(self, admin_client, homepage):
        soup = preview(admin_client, promotion_data([]), "cart")
        assert "Add a condition with a reward" in soup.get_text()


class TestEditing:
    def test_the_edit_page_shows_the_chosen_variant_and_conditions(self, admin_client, pan):
        promotion = make_promotion(
            "Pans", [condition([reward(pan, given_price="8.00")], threshold_min=10)]
        )
        response = admin_client.get(edit_url(promotion))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Steel pan" in html  # the chooser's title of the chosen variant
        assert 'name="conditions-TOTAL_FORMS" value="1"' in html
        assert 'name="conditions-0-rewards-TOTAL_FORMS" value="1"' in html
        assert 'name="preview_as_of"' in html

    def test_a_locked_promotion_cannot_be_saved_by_another_editor(
        self, admin_client, admin_user, client, django_user_model, pan
    ):
        promotion = make_promotion("Pans", [condition([reward(pan, given_price="8.00")])])
        lock_url = reverse("wagtailsnippets_commerce_promotion:lock", args=[promotion.pk])
        assert admin_client.post(lock_url).status_code == 302
        promotion.refresh_from_db()
        assert promotion.locked and promotion.locked_by == admin_user
        other = django_user_model.objects.create_superuser("other", "o@example.com", "pw-1234-abc")
        client.force_login(other)
        cond = promotion.conditions.get()
        data = promotion_data(
            [
                {
                    **condition_data(
                        [{**reward_data(pan, given_price="5.00"), "id": cond.rewards.get().pk}]
                    ),
                    "id": cond.pk,
                }
            ],
            action="publish",
            name="Pans",
            short_code=promotion.short_code,
        )
        data["conditions-INITIAL_FORMS"] = "1"
        data["conditions-0-rewards-INITIAL_FORMS"] = "1"
        client.post(edit_url(promotion), data)
        assert cond.rewards.get().given_price == Decimal("8.00")

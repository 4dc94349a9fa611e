"""API key scopes: what a key may do, who may give it that, and the answers outside them."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from commerce.integrations.models import ApiKey, Scope, default_scopes, scopes_beyond
from tests.commerce.integrations.test_api_v1 import BASE, make_key

pytestmark = pytest.mark.django_db

ADD_URL = reverse("wagtailsnippets_integrations_apikey:add")
KEY_PERMISSIONS = ("access_admin", "add_apikey", "change_apikey", "view_apikey")


def catalog_paths(client):
    """Every catalog list of the API, from its own OpenAPI document (not the orders, nor a
    key's own batch jobs, which any key reads: test_api_batch_jobs.py)."""
    paths = client.get(f"{BASE}/openapi.json").json()["paths"]
    others = (f"{BASE}/orders", f"{BASE}/jobs")
    lists = [
        path
        for path, operations in paths.items()
        if "get" in operations and "{" not in path and not path.startswith(others)
    ]
    assert len(lists) >= 7
    return lists


# --- The API ------------------------------------------------------------------------------


def test_a_new_key_reads_the_catalog_and_nothing_more():
    assert default_scopes() == ["read_catalog"]
    assert ApiKey(name="ERP").scopes == ["read_catalog"]


def test_every_catalog_endpoint_needs_the_read_catalog_scope(client, homepage):
    _, reader = make_key("reader")
    _, writer = make_key("stock only", scopes=["write_stock", "read_orders"])
    for path in catalog_paths(client):
        assert client.get(path, {"api_key": reader}).status_code == 200, path
        refused = client.get(path, HTTP_AUTHORIZATION=f"Api-Key {writer}")
        assert refused.status_code == 403, path
        assert refused["Content-Type"].startswith("application/json")
        detail = refused.json()["detail"]
        assert "'read_catalog' scope" in detail and "Integrations → API keys" in detail


def test_a_key_with_no_scope_at_all_is_refused_with_403(client, homepage):
    _, key = make_key("nothing", scopes=[])
    assert client.get(f"{BASE}/products/", {"api_key": key}).status_code == 403


@pytest.mark.parametrize("stored", ["read_catalog", {"read_catalog": True}, [1], [None]])
def test_scopes_stored_in_another_shape_allow_nothing(client, homepage, stored):
    """Hand-edited rows: only a list of scope names grants anything."""
    row, key = make_key("odd")
    ApiKey.objects.filter(pk=row.pk).update(scopes=stored)
    assert client.get(f"{BASE}/products/", {"api_key": key}).status_code == 403


def test_a_revoked_or_wrong_key_is_401_whatever_its_scopes(client, homepage):
    row, key = make_key("revoked", scopes=list(Scope.values))
    row.revoke()
    assert client.get(f"{BASE}/products/", {"api_key": key}).status_code == 401
    assert client.get(f"{BASE}/products/").status_code == 401
    assert client.get(f"{BASE}/products/", {"api_key": key[:-1] + "A"}).status_code == 401


# --- Who may give a key which scope -------------------------------------------------------


def staff(django_user_model, *codenames, groups=()):
    user = django_user_model.objects.create_user(f"staff-{len(codenames)}", password="pw-1-abcd")
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    user.groups.add(*groups)
    return django_user_model.objects.get(pk=user.pk)  # no cached permissions


def test_each_scope_but_reading_the_catalog_needs_its_admin_permission(django_user_model):
    nobody = staff(django_user_model)
    assert scopes_beyond(nobody, ["read_catalog"]) == []
    assert scopes_beyond(nobody, Scope.values) == [s for s in Scope if s != Scope.READ_CATALOG]
    stock_keeper = staff(django_user_model, "change_stock")
    assert scopes_beyond(stock_keeper, ["write_stock", "write_catalog"]) == [Scope.WRITE_CATALOG]


def test_staff_choose_the_scopes_of_a_new_key(admin_client, homepage, client):
    response = admin_client.post(
        ADD_URL, {"name": "ERP", "scopes": ["write_stock", "read_catalog"]}
    )
    assert response.status_code == 200
    assert ApiKey.objects.get(name="ERP").scopes == ["read_catalog", "write_stock"]
    listing = admin_client.get(reverse("wagtailsnippets_integrations_apikey:list"))
    assert "read_catalog, write_stock" in listing.content.decode()


@pytest.mark.parametrize(
    "scopes, error",
    [
        ([], "Choose at least one thing this key may do."),
        (["read_everything"], "Select a valid choice."),
        (["read_catalog "], "Select a valid choice."),
    ],
)
def test_a_key_without_a_valid_scope_is_a_form_error(admin_client, homepage, scopes, error):
    response = admin_client.post(ADD_URL, {"name": "ERP", "scopes": scopes})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not ApiKey.objects.exists()


def test_a_nul_in_a_scope_is_refused_before_the_form(admin_client, homepage):
    response = admin_client.post(ADD_URL, {"name": "ERP", "scopes": ["read_catalog\x00"]})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


def test_a_shop_manager_given_the_key_permissions_manages_keys(client, homepage, django_user_model):
    """The "Shop managers" group runs the catalog, stock and orders, not the create-order API:
    a manager allowed to manage keys gives those scopes, never create_orders."""
    manager = staff(
        django_user_model, *KEY_PERMISSIONS, groups=[Group.objects.get(name="Shop managers")]
    )
    client.force_login(manager)
    assert client.get(reverse("wagtailsnippets_integrations_apikey:list")).status_code == 200
    allowed = ["read_catalog", "write_catalog", "write_stock", "read_orders", "change_orders"]
    assert client.post(ADD_URL, {"name": "ERP", "scopes": allowed}).status_code == 200
    assert ApiKey.objects.get(name="ERP").scopes == allowed

    refused = client.post(ADD_URL, {"name": "Orders in", "scopes": ["create_orders"]})
    assert refused.status_code == 200
    assert "You can&#x27;t give a key what you may not do yourself: Create orders." in (
        refused.content.decode()
    )
    assert not ApiKey.objects.filter(name="Orders in").exists()


def test_a_manager_keeps_or_removes_a_scope_they_could_not_give(
    client, homepage, django_user_model
):
    row, _ = make_key("ERP", scopes=["read_catalog", "create_orders"])
    edit_url = reverse("wagtailsnippets_integrations_apikey:edit", args=[row.pk])
    client.force_login(staff(django_user_model, *KEY_PERMISSIONS))
    form = client.get(edit_url).content.decode()
    assert re.search(r'value="create_orders"[^>]*checked', form)
    assert not re.search(r'value="write_stock"[^>]*checked', form)

    client.post(edit_url, {"name": "ERP orders", "scopes": ["read_catalog", "create_orders"]})
    row.refresh_from_db()
    assert (row.name, row.scopes) == ("ERP orders", ["read_catalog", "create_orders"])
    client.post(edit_url, {"name": "ERP orders", "scopes": ["read_catalog"]})
    row.refresh_from_db()
    assert row.scopes == ["read_catalog"]
    # Taken away, it is added again: that needs the permission.
    response = client.post(edit_url, {"name": "ERP orders", "scopes": ["create_orders"]})
    assert "may not do yourself" in response.content.decode()
    row.refresh_from_db()
    assert row.scopes == ["read_catalog"]


def test_without_the_key_permissions_staff_never_see_keys(client, homepage, django_user_model):
    client.force_login(staff(django_user_model, "access_admin", "change_product"))
    listing = client.get(reverse("wagtailsnippets_integrations_apikey:list"))
    assert listing.status_code in (302, 403)
    assert client.post(ADD_URL, {"name": "ERP", "scopes": ["read_catalog"]}).status_code in (
        302,
        403,
    )
    assert not ApiKey.objects.exists()

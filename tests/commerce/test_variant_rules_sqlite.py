"""Migration 0014's SQLite triggers (`make run`'s database), on the real tables' schema.

The PostgreSQL triggers are exercised through the models in test_variant_models.py. Here
the SQLite ones run on an in-memory SQLite database holding the variant tables as the
models define them, written row by row as Django writes them.
"""

import importlib
import sqlite3

import pytest
from django.db.backends.sqlite3.base import DatabaseWrapper

from commerce.models import AttributeDefinition, AttributeOption, Product, ProductVariant

triggers = importlib.import_module("commerce.migrations.0014_variant_option_triggers")

# The tables the triggers are written for (written out: no SQL is put together here).
assert ProductVariant.options.through._meta.db_table == "commerce_productvariant_options"
assert Product.variant_axes.through._meta.db_table == "commerce_product_variant_axes"


@pytest.fixture
def db(django_db_blocker):
    wrapper = DatabaseWrapper(
        {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": ":memory:",
            "OPTIONS": {},
            "TIME_ZONE": None,
            "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "USER": "",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
            "TEST": {},
        },
        alias="variant_rules_sqlite",
    )
    django_db_blocker.unblock()
    with wrapper.schema_editor(atomic=False) as editor:
        for model in (AttributeDefinition, AttributeOption, ProductVariant):
            editor.create_model(model)  # with the variants' option and picture tables
        editor.create_model(Product.variant_axes.through)
    with wrapper.schema_editor(atomic=False) as editor:
        triggers.create_triggers(None, editor)
    raw = wrapper.connection
    raw.execute("PRAGMA foreign_keys = OFF")  # the product table is not here
    sql(
        raw,
        "INSERT INTO commerce_attributedefinition (id, name, slug, is_filterable, "
        "show_on_tile, varies_per_variant, sort_order) VALUES "
        "(1, 'Size', 'size', 1, 0, 1, 0), (2, 'Colour', 'colour', 1, 0, 1, 1), "
        "(3, 'Material', 'material', 1, 0, 0, 2)",
    )
    sql(
        raw,
        "INSERT INTO commerce_attributeoption (id, definition_id, value, slug, swatch, "
        "sort_order) VALUES (10, 1, 'S', 's', '', 0), (11, 1, 'M', 'm', '', 1), "
        "(20, 2, 'Red', 'red', '', 0), (30, 3, 'Wool', 'wool', '', 0)",
    )
    # Product 1 varies in size and colour; product 2 has no axes.
    sql(
        raw,
        "INSERT INTO commerce_product_variant_axes (product_id, attributedefinition_id) "
        "VALUES (1, 1), (1, 2)",
    )
    sql(
        raw,
        "INSERT INTO commerce_productvariant (id, product_id, sku, ean, price, is_active, "
        "option_key, sort_order) VALUES (100, 1, 'A', '', 1, 1, 'a', 0), "
        "(101, 1, 'B', '', 1, 1, 'b', 1), (200, 2, 'C', '', 1, 1, '', 0)",
    )
    yield raw
    wrapper.close()
    django_db_blocker.restore()


def sql(raw, statement, params=()):
    return raw.execute(statement, params)


def link(raw, variant, option):
    sql(
        raw,
        "INSERT INTO commerce_productvariant_options (productvariant_id, attributeoption_id) "
        "VALUES (?, ?)",
        (variant, option),
    )


def test_options_of_the_products_axes_go_in(db):
    link(db, 100, 10)
    link(db, 100, 20)
    link(db, 101, 11)
    assert sql(db, "SELECT count(*) FROM commerce_productvariant_options").fetchone() == (3,)


def test_an_option_off_the_axes_is_refused(db):
    with pytest.raises(sqlite3.IntegrityError, match="variant_option_of_product_axis"):
        link(db, 200, 10)  # product 2 has no axes
    with pytest.raises(sqlite3.IntegrityError, match="variant_option_of_product_axis"):
        link(db, 100, 30)  # not an axis of product 1


def test_two_options_of_one_axis_are_refused(db):
    link(db, 100, 10)
    with pytest.raises(sqlite3.IntegrityError, match="variant_one_option_per_axis"):
        link(db, 100, 11)


def test_an_axis_in_use_cannot_go_and_an_unused_one_can(db):
    link(db, 100, 10)
    with pytest.raises(sqlite3.IntegrityError, match="variant_axis_in_use"):
        sql(
            db,
            "DELETE FROM commerce_product_variant_axes WHERE product_id = 1 "
            "AND attributedefinition_id = 1",
        )
    sql(
        db,
        "DELETE FROM commerce_product_variant_axes WHERE product_id = 1 "
        "AND attributedefinition_id = 2",
    )
    sql(db, "DELETE FROM commerce_productvariant_options WHERE productvariant_id = 100")
    sql(db, "DELETE FROM commerce_product_variant_axes WHERE product_id = 1")
    assert sql(db, "SELECT count(*) FROM commerce_product_variant_axes").fetchone() == (0,)


def test_a_variant_cannot_move_to_a_product_without_its_axes(db):
    link(db, 100, 10)
    with pytest.raises(sqlite3.IntegrityError, match="variant_option_of_product_axis"):
        sql(db, "UPDATE commerce_productvariant SET product_id = 2 WHERE id = 100")
    sql(db, "UPDATE commerce_productvariant SET product_id = 2 WHERE id = 101")  # no options


def test_changing_a_row_to_an_option_off_the_axes_is_refused(db):
    link(db, 100, 10)
    sql(
        db,
        "UPDATE commerce_productvariant_options SET attributeoption_id = 11 "
        "WHERE productvariant_id = 100",
    )
    with pytest.raises(sqlite3.IntegrityError, match="variant_option_of_product_axis"):
        sql(db, "UPDATE commerce_productvariant_options SET attributeoption_id = 30")


def test_the_reverse_migration_drops_the_triggers(db):
    class Editor:
        connection = type("C", (), {"vendor": "sqlite"})()

        @staticmethod
        def execute(statement, params=()):
            db.execute(statement)

    triggers.drop_triggers(None, Editor)
    link(db, 200, 10)  # no longer refused
    assert sql(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone() == (0,)

"""The database keeps a product's variants on its axes (issue 13).

Rules enforced here, besides `variant_unique_options` (product, option_key):
- a variant's options belong to its product's variant axes (`variant_option_of_product_axis`);
- at most one option of each axis per variant (`variant_one_option_per_axis`);
- an axis cannot leave a product while its variants still have options of it;
- PostgreSQL only: `option_key` is the variant's options, so the unique constraint above
  sees what the variant really is even after a raw or bulk write (`variant_option_key_current`).

PostgreSQL checks at COMMIT (constraint triggers, DEFERRABLE INITIALLY DEFERRED): modelcluster
writes a product's variants and their options before the product's own axes
(ClusterableModel.save commits child relations, then its many-to-many fields), and a
cascade deletes the axes before the variants' options; only the end state counts.
`SET CONSTRAINTS ALL IMMEDIATE` checks early. SQLite (the `make run` database) has no
deferred triggers: its triggers check each row as it is written, and `Product.save` writes
added axes first and removed axes last, so a consistent save passes there too.
"""

from django.db import migrations

VO = "commerce_productvariant_options"
AXES = "commerce_product_variant_axes"
VARIANT = "commerce_productvariant"
OPTION = "commerce_attributeoption"

PG_FORWARD = f"""
CREATE FUNCTION commerce_check_variant_options(p_variant bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT v.product_id, o.id AS option_id, o.definition_id INTO bad
      FROM {VARIANT} v
      JOIN {VO} vo ON vo.productvariant_id = v.id
      JOIN {OPTION} o ON o.id = vo.attributeoption_id
     WHERE v.id = p_variant
       AND NOT EXISTS (
           SELECT 1 FROM {AXES} a
            WHERE a.product_id = v.product_id AND a.attributedefinition_id = o.definition_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'Variant % has option % of attribute %, which is not one of '
            'product %''s variant axes.', p_variant, bad.option_id, bad.definition_id,
            bad.product_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'variant_option_of_product_axis';
    END IF;
    SELECT o.definition_id INTO bad
      FROM {VO} vo JOIN {OPTION} o ON o.id = vo.attributeoption_id
     WHERE vo.productvariant_id = p_variant
     GROUP BY o.definition_id HAVING count(*) > 1
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'Variant % has more than one option of attribute %.',
            p_variant, bad.definition_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'variant_one_option_per_axis';
    END IF;
END $$;

CREATE FUNCTION commerce_variant_option_written() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM commerce_check_variant_options(NEW.productvariant_id);
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER variant_option_of_product_axis
    AFTER INSERT OR UPDATE ON {VO}
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION commerce_variant_option_written();

CREATE FUNCTION commerce_variant_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM commerce_check_variant_options(NEW.id);
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER variant_moved_keeps_axes
    AFTER UPDATE OF product_id ON {VARIANT}
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION commerce_variant_moved();

CREATE FUNCTION commerce_option_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    variant_id bigint;
BEGIN
    FOR variant_id IN
        SELECT productvariant_id FROM {VO} WHERE attributeoption_id = NEW.id
    LOOP
        PERFORM commerce_check_variant_options(variant_id);
    END LOOP;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER variant_option_moved_keeps_axes
    AFTER UPDATE OF definition_id ON {OPTION}
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION commerce_option_moved();

CREATE FUNCTION commerce_variant_axis_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    variant_id bigint;
BEGIN
    -- Checked at commit: a product deleted since takes its variants along, and an
    -- axis removed and added back again is still there.
    FOR variant_id IN
        SELECT DISTINCT v.id
          FROM {VARIANT} v
          JOIN {VO} vo ON vo.productvariant_id = v.id
          JOIN {OPTION} o ON o.id = vo.attributeoption_id
         WHERE v.product_id = OLD.product_id AND o.definition_id = OLD.attributedefinition_id
    LOOP
        PERFORM commerce_check_variant_options(variant_id);
    END LOOP;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER variant_axis_in_use
    AFTER DELETE OR UPDATE ON {AXES}
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION commerce_variant_axis_removed();

CREATE FUNCTION commerce_check_option_key(p_variant bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    stored text;
    actual text;
BEGIN
    SELECT option_key INTO stored FROM {VARIANT} WHERE id = p_variant;
    IF NOT FOUND THEN
        RETURN;  -- deleted since
    END IF;
    SELECT coalesce(string_agg(attributeoption_id::text, '-' ORDER BY attributeoption_id), '')
      INTO actual FROM {VO} WHERE productvariant_id = p_variant;
    IF stored IS DISTINCT FROM actual THEN
        RAISE EXCEPTION 'Variant %''s option_key is %, but its options are %.',
            p_variant, quote_literal(stored), quote_literal(actual)
            USING ERRCODE = 'check_violation', CONSTRAINT = 'variant_option_key_current';
    END IF;
END $$;

CREATE FUNCTION commerce_variant_key_written() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = '{VARIANT}' THEN
        PERFORM commerce_check_option_key(NEW.id);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM commerce_check_option_key(OLD.productvariant_id);
    ELSE
        PERFORM commerce_check_option_key(NEW.productvariant_id);
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER variant_option_key_current
    AFTER INSERT OR UPDATE OF option_key ON {VARIANT}
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION commerce_variant_key_written();

CREATE CONSTRAINT TRIGGER variant_option_key_follows_options
    AFTER INSERT OR DELETE ON {VO}
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION commerce_variant_key_written();
"""

PG_REVERSE = f"""
DROP TRIGGER IF EXISTS variant_option_key_follows_options ON {VO};
DROP TRIGGER IF EXISTS variant_option_key_current ON {VARIANT};
DROP TRIGGER IF EXISTS variant_axis_in_use ON {AXES};
DROP TRIGGER IF EXISTS variant_option_moved_keeps_axes ON {OPTION};
DROP TRIGGER IF EXISTS variant_moved_keeps_axes ON {VARIANT};
DROP TRIGGER IF EXISTS variant_option_of_product_axis ON {VO};
DROP FUNCTION IF EXISTS commerce_variant_key_written();
DROP FUNCTION IF EXISTS commerce_check_option_key(bigint);
DROP FUNCTION IF EXISTS commerce_variant_axis_removed();
DROP FUNCTION IF EXISTS commerce_option_moved();
DROP FUNCTION IF EXISTS commerce_variant_moved();
DROP FUNCTION IF EXISTS commerce_variant_option_written();
DROP FUNCTION IF EXISTS commerce_check_variant_options(bigint);
"""


def _sqlite_not_on_axes(variant, option):
    """SQL true when `option` (an id expression) is not an axis of `variant`'s product."""
    return f"""NOT EXISTS (
        SELECT 1 FROM {VARIANT} v
          JOIN {OPTION} o ON o.id = {option}
          JOIN {AXES} a ON a.product_id = v.product_id AND a.attributedefinition_id = o.definition_id
         WHERE v.id = {variant})"""


def _sqlite_doubled(variant, option):
    return f"""(SELECT count(*) FROM {VO} vo JOIN {OPTION} o ON o.id = vo.attributeoption_id
         WHERE vo.productvariant_id = {variant}
           AND o.definition_id = (SELECT definition_id FROM {OPTION} WHERE id = {option})) > 1"""


SQLITE_STATEMENTS = [
    f"""CREATE TRIGGER variant_option_of_product_axis AFTER INSERT ON {VO}
    WHEN {_sqlite_not_on_axes("NEW.productvariant_id", "NEW.attributeoption_id")}
    BEGIN SELECT RAISE(ABORT, 'variant_option_of_product_axis: a variant''s option must be of one of its product''s variant axes'); END""",  # noqa: E501
    f"""CREATE TRIGGER variant_option_of_product_axis_update AFTER UPDATE ON {VO}
    WHEN {_sqlite_not_on_axes("NEW.productvariant_id", "NEW.attributeoption_id")}
    BEGIN SELECT RAISE(ABORT, 'variant_option_of_product_axis: a variant''s option must be of one of its product''s variant axes'); END""",  # noqa: E501
    f"""CREATE TRIGGER variant_one_option_per_axis AFTER INSERT ON {VO}
    WHEN {_sqlite_doubled("NEW.productvariant_id", "NEW.attributeoption_id")}
    BEGIN SELECT RAISE(ABORT, 'variant_one_option_per_axis: a variant has more than one option of an axis'); END""",  # noqa: E501
    f"""CREATE TRIGGER variant_one_option_per_axis_update AFTER UPDATE ON {VO}
    WHEN {_sqlite_doubled("NEW.productvariant_id", "NEW.attributeoption_id")}
    BEGIN SELECT RAISE(ABORT, 'variant_one_option_per_axis: a variant has more than one option of an axis'); END""",  # noqa: E501
    f"""CREATE TRIGGER variant_axis_in_use BEFORE DELETE ON {AXES}
    WHEN EXISTS (
        SELECT 1 FROM {VARIANT} v
          JOIN {VO} vo ON vo.productvariant_id = v.id
          JOIN {OPTION} o ON o.id = vo.attributeoption_id
         WHERE v.product_id = OLD.product_id AND o.definition_id = OLD.attributedefinition_id)
    BEGIN SELECT RAISE(ABORT, 'variant_axis_in_use: the product''s variants still have options of this axis, which would not be one of its variant axes'); END""",  # noqa: E501
    f"""CREATE TRIGGER variant_moved_keeps_axes AFTER UPDATE OF product_id ON {VARIANT}
    WHEN EXISTS (
        SELECT 1 FROM {VO} vo
         WHERE vo.productvariant_id = NEW.id
           AND {_sqlite_not_on_axes("NEW.id", "vo.attributeoption_id")})
    BEGIN SELECT RAISE(ABORT, 'variant_option_of_product_axis: a variant''s option must be of one of its product''s variant axes'); END""",  # noqa: E501
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS variant_option_of_product_axis",
    "DROP TRIGGER IF EXISTS variant_option_of_product_axis_update",
    "DROP TRIGGER IF EXISTS variant_one_option_per_axis",
    "DROP TRIGGER IF EXISTS variant_one_option_per_axis_update",
    "DROP TRIGGER IF EXISTS variant_axis_in_use",
    "DROP TRIGGER IF EXISTS variant_moved_keeps_axes",
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_STATEMENTS:
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0013_variants_drop_product_columns"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]

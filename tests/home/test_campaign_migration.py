"""Rich text and raw HTML became StructBlocks (campaign windows): stored content of the old
shape is migrated (home 0004, pages 0002), and whatever is left of it still renders."""

import importlib
import json

import pytest
from django.apps import apps
from django.db import connection

from home.models import HomePage
from pages.models import ContentPage
from pages.stream_migrations import WrapStreamChildrenOperation
from tests.factories.catalog import add_content_page

pytestmark = pytest.mark.django_db

OLD_BODY = [
    {"type": "rich_text", "value": "<p>Since 1999.</p>", "id": "a"},
    {"type": "raw_html", "value": '<iframe title="map"></iframe>', "id": "b"},
    {"type": "rich_text", "value": {"text": "<p>Already wrapped</p>"}, "id": "c"},
]


def test_the_operation_wraps_bare_values_and_keeps_type_and_id():
    ops = [WrapStreamChildrenOperation("rich_text", "text"), WrapStreamChildrenOperation(
        "raw_html", "html")]  # fmt: skip
    data = OLD_BODY
    for op in ops:
        data = op.apply(data)
    assert data == [
        {"type": "rich_text", "value": {"text": "<p>Since 1999.</p>"}, "id": "a"},
        {"type": "raw_html", "value": {"html": '<iframe title="map"></iframe>'}, "id": "b"},
        {"type": "rich_text", "value": {"text": "<p>Already wrapped</p>"}, "id": "c"},
    ]
    again = data
    for op in ops:
        again = op.apply(again)
    assert again == data  # running it twice changes nothing


def store_old_body(page):
    """Writes the body as the code before campaign windows stored it, in the page row and
    in its latest revision."""
    table = type(page)._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET body = %s WHERE page_ptr_id = %s",  # noqa: S608
            [json.dumps(OLD_BODY), page.pk],
        )
    revision = page.latest_revision
    revision.content = {**revision.content, "body": json.dumps(OLD_BODY)}
    revision.save(update_fields=["content"])


def assert_renders_old_content(html):
    assert "Since 1999." in html
    assert '<iframe title="map"></iframe>' in html
    assert "Already wrapped" in html


def test_a_stored_body_of_the_old_shape_still_renders(client, homepage):
    about = add_content_page(homepage, "About")
    homepage.save_revision().publish()
    for page in (HomePage.objects.get(), about):
        store_old_body(page)
    assert_renders_old_content(client.get("/").content.decode())
    assert_renders_old_content(client.get("/about/").content.decode())
    # An old revision (the revert screen, a scheduled publish) reads the same way.
    revision_page = ContentPage.objects.get(pk=about.pk).get_latest_revision_as_object()
    assert str(revision_page.body[0].value["text"]) == "<p>Since 1999.</p>"


@pytest.mark.parametrize(
    ("module", "model"),
    [("home.migrations.0004_campaign_windows", HomePage),
     ("pages.migrations.0002_campaign_windows", ContentPage)],
)  # fmt: skip
def test_the_data_migration_wraps_pages_and_their_revisions(homepage, module, model):
    page = homepage if model is HomePage else add_content_page(homepage, "About")
    page.save_revision().publish()
    page = model.objects.get(pk=page.pk)
    store_old_body(page)

    migrate = importlib.import_module(module).Migration.operations[-1]
    migrate.code(apps, None)

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT body FROM {model._meta.db_table} WHERE page_ptr_id = %s",  # noqa: S608
            [page.pk],
        )
        stored = cursor.fetchone()[0]
    stored = json.loads(stored) if isinstance(stored, str) else stored
    assert [child["value"] for child in stored] == [
        {"text": "<p>Since 1999.</p>"},
        {"html": '<iframe title="map"></iframe>'},
        {"text": "<p>Already wrapped</p>"},
    ]
    revision_body = page.latest_revision.__class__.objects.get(pk=page.latest_revision.pk)
    revision_body = revision_body.content["body"]
    revision_body = json.loads(revision_body) if isinstance(revision_body, str) else revision_body
    assert revision_body[1]["value"] == {"html": '<iframe title="map"></iframe>'}

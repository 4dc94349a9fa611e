"""The demo homepage, as shoppers get it: every block, an accessible layout, local assets."""

import pytest
from django.db import transaction
from django.test import Client, override_settings

from tests.factories.catalog import seed_small_demo


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo site, seeded once for this module, whose tests only read it.

    It lives in a transaction around the module (each test's own transaction nests inside
    it) that is rolled back at the end, so no other test sees it. The homepage is viewed once
    here, so the image renditions exist before any test and its pictures' originals can stay
    in this fixture's media folder.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("demo-media"))):
            seed_small_demo()
            assert Client().get("/").status_code == 200
        yield
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_demo_homepage_renders_every_block(client, demo):
    html = client.get("/").content.decode()
    block_types = set(HomePageBlockTypes.names())
    rendered = {name for name in block_types if f"stream__block--{name}" in html}
    assert rendered == block_types
    assert "The autumn collection is here" in html
    assert "This paragraph comes from a <strong>raw HTML</strong> block" in html


class HomePageBlockTypes:
    @staticmethod
    def names():
        from home.models import HomePage

        return HomePage.body.field.stream_block.child_blocks.keys()


@pytest.mark.django_db
def test_base_layout_is_accessible(client, demo):
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert "<header" in html and "<footer" in html and 'aria-label="Main"' in html
    assert "<img" in html
    # every image carries an alt attribute
    for tag in html.split("<img")[1:]:
        assert " alt=" in tag.split(">")[0], tag[:120]


@pytest.mark.django_db
def test_no_asset_comes_from_another_host(client, demo):
    html = client.get("/").content.decode()
    for marker in ('src="http', 'href="http'):
        for occurrence in html.split(marker)[1:]:
            url = "http" + occurrence.split('"')[0]
            # page links and canonical/og URLs are fine; scripts/styles/images are not
            assert not url.endswith((".css", ".js")), url

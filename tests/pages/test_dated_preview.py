"""The dated preview (pages.preview): a page as it will look at a chosen moment."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from home.models import HomePage
from tests.factories.catalog import page_edit_form_data
from tests.pages.test_editing import hero_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_home(homepage):
    homepage.body = [("hero_banner", {"heading": "Published heading", "links": []})]
    homepage.save_revision().publish()
    return HomePage.objects.get(pk=homepage.pk)


def preview_url(page):
    return reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])


def moment(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def scheduled_hero(heading, starts, ends=None):
    return ("hero_banner", {**hero_form(heading), "starts_at": moment(starts),
                            "ends_at": moment(ends) if ends else ""})  # fmt: skip


def preview_html(admin_client, page, body, as_of=None):
    data = page_edit_form_data(page, body, preview_as_of=moment(as_of) if as_of else "")
    response = admin_client.post(preview_url(page), data)
    assert response.json() == {"is_valid": True, "is_available": True}
    preview = admin_client.get(preview_url(page))
    assert preview.status_code == 200
    return preview.content.decode()


def test_a_banner_starting_next_week_shows_in_a_preview_as_of_next_week(
    admin_client,
    client,
    published_home,
):
    next_week = timezone.now() + timedelta(days=7)
    body = [scheduled_hero("Winter sale", next_week)]
    assert "Winter sale" in preview_html(admin_client, published_home, body, as_of=next_week)
    # Not now, and never on the live site, which the preview did not change.
    assert "Winter sale" not in preview_html(admin_client, published_home, body)
    assert "Winter sale" not in client.get("/").content.decode()


def test_the_moment_is_not_saved_with_the_page(admin_client, published_home):
    next_week = timezone.now() + timedelta(days=7)
    data = page_edit_form_data(
        published_home, [scheduled_hero("Winter sale", next_week)], preview_as_of=moment(next_week)
    )
    response = admin_client.post(reverse("wagtailadmin_pages:edit", args=[published_home.pk]), data)
    assert response.status_code == 302
    assert "preview_as_of" not in published_home.get_latest_revision().content


@pytest.mark.parametrize("value", ["next tuesday", "99999-01-01 10:00", "2026-13-40 10:00"])
def test_an_unreadable_moment_makes_the_preview_unavailable_not_an_error(
    admin_client,
    published_home,
    value,
):
    data = page_edit_form_data(published_home, [("hero_banner", hero_form("x"))],
                               preview_as_of=value)  # fmt: skip
    response = admin_client.post(preview_url(published_home), data)
    assert response.status_code == 200
    assert response.json()["is_valid"] is False


def test_a_nul_byte_in_the_moment_is_refused_with_a_400(admin_client, published_home):
    data = page_edit_form_data(
        published_home, [("hero_banner", hero_form("x"))], preview_as_of="2026-12-01\x00"
    )
    assert admin_client.post(preview_url(published_home), data).status_code == 400

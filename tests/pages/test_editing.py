"""Editors' workflow in the admin: drafts, revisions, live preview, scheduling, raw HTML trust."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Revision
from wagtail.test.utils.form_data import rich_text

from home.models import HomePage
from pages.models import ContentPage
from tests.factories.catalog import add_content_page, page_edit_form_data

pytestmark = pytest.mark.django_db


def hero_form(heading):
    """Form data of a hero banner block as the admin's block editor posts it."""
    return {
        "image": {"image": "", "alt_text": "", "decorative": ""},
        "heading": heading,
        "text": "",
        "links": {"count": "0"},
        "starts_at": "",
        "ends_at": "",
    }


@pytest.fixture
def published_home(homepage):
    homepage.body = [("hero_banner", {"heading": "Published heading", "links": []})]
    homepage.save_revision().publish()
    return HomePage.objects.get(pk=homepage.pk)


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def test_admin_edit_view_renders_for_every_page_type(admin_client, published_home):
    about = add_content_page(published_home, "About")
    for page in (published_home, about):
        response = admin_client.get(edit_url(page))
        assert response.status_code == 200
        assert 'name="title"' in response.content.decode()
    add_url = reverse("wagtailadmin_pages:add", args=["pages", "contentpage", published_home.pk])
    assert admin_client.get(add_url).status_code == 200


def test_saving_a_draft_keeps_the_live_page_and_records_a_revision(
    admin_client, client, published_home
):
    revisions_before = Revision.objects.filter(object_id=str(published_home.pk)).count()
    data = page_edit_form_data(published_home, [("hero_banner", hero_form("Draft heading"))])
    response = admin_client.post(edit_url(published_home), data)
    assert response.status_code == 302, response.content.decode()[:2000]

    page = HomePage.objects.get(pk=published_home.pk)
    assert page.has_unpublished_changes
    assert Revision.objects.filter(object_id=str(page.pk)).count() == revisions_before + 1
    assert page.get_latest_revision_as_object().body[0].value["heading"] == "Draft heading"
    html = client.get("/").content.decode()
    assert "Published heading" in html and "Draft heading" not in html


def test_publishing_from_the_admin_updates_the_public_page(admin_client, client, published_home):
    data = page_edit_form_data(
        published_home, [("hero_banner", hero_form("Fresh heading"))], **{"action-publish": "1"}
    )
    assert admin_client.post(edit_url(published_home), data).status_code == 302
    html = client.get("/").content.decode()
    assert "Fresh heading" in html and "Published heading" not in html


@pytest.mark.parametrize("page_type", ["home", "content"])
def test_live_preview_of_unsaved_changes(admin_client, client, published_home, page_type):
    page = published_home if page_type == "home" else add_content_page(published_home, "About")
    block = ("hero_banner", hero_form("Preview heading")) if page_type == "home" else None
    body = [block] if block else [("rich_text", {"text": rich_text("<p>Preview heading</p>")})]
    preview_url = reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])

    response = admin_client.post(preview_url, page_edit_form_data(page, body))
    assert response.json() == {"is_valid": True, "is_available": True}
    preview = admin_client.get(preview_url)
    assert preview.status_code == 200
    assert "Preview heading" in preview.content.decode()
    # A preview saves nothing: no revision, nothing public.
    assert not type(page).objects.get(pk=page.pk).has_unpublished_changes
    assert "Preview heading" not in client.get(page.url).content.decode()


def test_preview_of_a_new_page(admin_client, published_home):
    url = reverse(
        "wagtailadmin_pages:preview_on_add", args=["pages", "contentpage", published_home.pk]
    )
    page = ContentPage(title="Brand new", slug="brand-new")
    data = page_edit_form_data(page, [("rich_text", {"text": rich_text("<p>Not saved yet</p>")})])
    assert admin_client.post(url, data).json()["is_valid"] is True
    html = admin_client.get(url).content.decode()
    assert "Brand new" in html and "Not saved yet" in html
    assert not ContentPage.objects.filter(slug="brand-new").exists()


def test_preview_is_for_editors_only(client, published_home):
    preview_url = reverse("wagtailadmin_pages:preview_on_edit", args=[published_home.pk])
    response = client.get(preview_url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_scheduled_publishing(admin_client, client, published_home):
    go_live = timezone.localtime() + timedelta(days=1)
    data = page_edit_form_data(
        published_home,
        [("hero_banner", hero_form("Black Friday"))],
        go_live_at=go_live.strftime("%Y-%m-%d %H:%M"),
        **{"action-publish": "1"},
    )
    assert admin_client.post(edit_url(published_home), data).status_code == 302

    revision = Revision.objects.filter(object_id=str(published_home.pk)).latest("created_at")
    assert revision.approved_go_live_at is not None
    call_command("publish_scheduled")
    assert "Black Friday" not in client.get("/").content.decode()  # not yet

    # The day has come: move the schedule (kept on the revision and in its
    # content) into the past, as the passing of a day would.
    past = timezone.now() - timedelta(minutes=1)
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save(update_fields=["content", "approved_go_live_at"])
    call_command("publish_scheduled")
    html = client.get("/").content.decode()
    assert "Black Friday" in html and "Published heading" not in html


def test_scheduled_unpublishing(client, published_home):
    page = add_content_page(published_home, "Summer sale")
    assert client.get(page.url).status_code == 200
    ContentPage.objects.filter(pk=page.pk).update(expire_at=timezone.now() - timedelta(minutes=1))
    call_command("publish_scheduled")
    assert client.get(page.url).status_code == 404


def test_revert_to_an_earlier_revision(published_home, client):
    first = published_home.get_latest_revision()
    published_home.body = [("hero_banner", {"heading": "Second version", "links": []})]
    published_home.save_revision().publish()
    assert "Second version" in client.get("/").content.decode()
    first.publish()
    assert "Published heading" in client.get("/").content.decode()


class TestRawHTMLTrust:
    @pytest.fixture
    def moderator(self, django_user_model):
        user = django_user_model.objects.create_user("mod", "mod@example.org", "pw-123-xyz")
        user.groups.add(Group.objects.get(name="Moderators"))
        return user

    @pytest.fixture
    def moderator_client(self, client, moderator):
        client.force_login(moderator)
        return client

    def grant_raw_html(self, user):
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="pages", codename="use_raw_html")
        )

    def post_body(self, client, page, body):
        return client.post(
            edit_url(page), page_edit_form_data(page, body, **{"action-publish": "1"})
        )

    def test_editor_without_permission_cannot_add_raw_html(self, moderator_client, published_home):
        response = self.post_body(
            moderator_client,
            published_home,
            [("hero_banner", hero_form("x")), ("raw_html", {"html": "<script>steal()</script>"})],
        )
        assert response.status_code == 200  # the form again, with the error
        assert "adding or changing one needs" in response.content.decode()
        page = HomePage.objects.get(pk=published_home.pk)
        assert "steal()" not in str(page.body.raw_data)
        assert not page.has_unpublished_changes

    def test_editor_without_permission_cannot_change_raw_html(
        self, moderator_client, published_home
    ):
        published_home.body = [("raw_html", "<p>trusted</p>")]
        published_home.save_revision().publish()
        response = self.post_body(
            moderator_client,
            published_home,
            [("raw_html", {"html": "<p>trusted</p><script>x</script>"})],
        )
        assert "adding or changing one needs" in response.content.decode()

    def test_editor_without_permission_may_switch_off_and_time_a_trusted_snippet(
        self, moderator_client, client, published_home
    ):
        """The window is no code: only the HTML itself needs the permission."""
        published_home.body = [("raw_html", "<p>trusted</p>")]
        published_home.save_revision().publish()
        switched_off = {"html": "<p>trusted</p>", "switched_off": "on",
                        "starts_at": "2030-01-01 10:00"}  # fmt: skip
        response = self.post_body(moderator_client, published_home, [("raw_html", switched_off)])
        assert response.status_code == 302, response.content.decode()[-3000:]
        value = HomePage.objects.get(pk=published_home.pk).body[0].value
        assert value["switched_off"] and value["starts_at"].year == 2030
        assert "<p>trusted</p>" not in client.get("/").content.decode()

    def test_editor_without_permission_may_keep_move_and_delete_raw_html(
        self, moderator_client, client, published_home
    ):
        published_home.body = [("raw_html", "<p>trusted</p>"), ("raw_html", "<p>other</p>")]
        published_home.save_revision().publish()
        keep_and_move = [
            ("hero_banner", hero_form("New hero")),
            ("raw_html", {"html": "<p>trusted</p>"}),
        ]
        response = self.post_body(moderator_client, published_home, keep_and_move)
        assert response.status_code == 302, response.content.decode()[-3000:]
        html = client.get("/").content.decode()
        assert "New hero" in html and "<p>trusted</p>" in html and "<p>other</p>" not in html

    def test_editor_with_permission_can_add_raw_html(self, moderator, client, published_home):
        self.grant_raw_html(moderator)
        client.force_login(moderator)
        response = self.post_body(client, published_home, [("raw_html", {"html": "<p>widget</p>"})])
        assert response.status_code == 302
        assert "<p>widget</p>" in client.get("/").content.decode()

    def test_reverting_cannot_bring_back_removed_raw_html(
        self, moderator_client, client, published_home
    ):
        published_home.body = [("raw_html", "<script>old_tracker()</script>")]
        old = published_home.save_revision()
        old.publish()
        published_home.body = [("hero_banner", {"heading": "Clean", "links": []})]
        published_home.save_revision().publish()  # a trusted editor removed it

        url = reverse("wagtailadmin_pages:revisions_revert", args=[published_home.pk, old.pk])
        data = page_edit_form_data(
            published_home,
            [("raw_html", {"html": "<script>old_tracker()</script>"})],
            **{"action-publish": "1"},
        )
        response = moderator_client.post(url, data)
        assert response.status_code == 200
        assert "adding or changing one needs" in response.content.decode()
        assert "old_tracker" not in client.get("/").content.decode()

    def test_permission_is_assignable_to_groups_in_the_admin(self, admin_client, db):
        group = Group.objects.get(name="Editors")
        response = admin_client.get(reverse("wagtailusers_groups:edit", args=[group.pk]))
        assert "Can add or change raw HTML blocks" in response.content.decode()

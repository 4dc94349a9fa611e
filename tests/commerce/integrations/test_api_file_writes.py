"""An ERP sends a product's files: AMPER's SendFile as a multipart POST
/external/v1/product-files/ (scope write_catalog). Pictures go into the product's gallery,
other files into the documents its page lists; both come back from GET /product-files/."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Revision

from commerce.models import Product
from commerce.services.catalog_version import catalog_version
from tests.commerce.integrations.test_api_v1 import BASE, make_key
from tests.factories.catalog import _png, make_product

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_page_cache")]

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def writer():
    return make_key("Comarch ERP", scopes=["write_catalog"])[1]


def upload(client, key, *, content=None, name="front.png", **fields):
    data = {"product_external_id": "COAT-S", **fields}
    if content is not None:
        data["file"] = SimpleUploadedFile(name, content)
    return client.post(f"{BASE}/product-files/", data, HTTP_AUTHORIZATION=f"Api-Key {key}")


def item(response):
    assert response.status_code == 200, response.content
    [result] = response.json()["items"]
    return result


def gallery(product):
    product = Product.objects.get(pk=product.pk)
    return [(row.image.title, row.alt_text, row.sort_order) for row in product.images.all()]


def revisions(product):
    return Revision.objects.for_instance(product).count()


@pytest.fixture
def coat(shop):
    return make_product("Coat", sku="COAT-S")


def test_a_picture_goes_into_the_gallery_and_a_resend_changes_nothing(client, writer, coat):
    red = _png((400, 300), (200, 0, 0))
    result = item(upload(client, writer, content=red, alt="The coat, front", order=2))

    assert (result["status"], result["external_id"]) == ("created", "front.png")
    assert gallery(coat) == [("front.png", "The coat, front", 2)]
    image = get_image_model().objects.get(title="front.png")
    assert (image.width, image.height) == (400, 300)
    assert revisions(coat) == 2  # a published revision with the picture in it
    assert [
        i.image_id for i in Product.objects.get(pk=coat.pk).live_revision.as_object().images.all()
    ] == [image.pk]

    version = catalog_version()
    again = item(upload(client, writer, content=red, alt="The coat, front", order=2))
    assert again["status"] == "unchanged"
    assert get_image_model().objects.filter(title="front.png").count() == 1
    assert revisions(coat) == 2 and catalog_version() == version

    # A second picture sorts by its order; new alt text on the first is an update.
    item(upload(client, writer, content=_png((10, 10), (0, 0, 200)), name="back.png", order=1))
    result = item(upload(client, writer, content=red, alt="Front", order=2))
    assert (result["status"], result["changed"]) == ("updated", ["alt"])
    assert gallery(coat) == [("back.png", "", 1), ("front.png", "Front", 2)]

    # New contents under the same name replace the picture in its place.
    green = _png((400, 300), (0, 200, 0))
    result = item(upload(client, writer, content=green, alt="Front", order=2))
    assert (result["status"], result["changed"]) == ("updated", ["file"])
    assert gallery(coat) == [("back.png", "", 1), ("front.png", "Front", 2)]
    assert (
        Product.objects.get(pk=coat.pk).images.get(sort_order=2).image.file_hash != image.file_hash
    )


def test_a_document_is_listed_on_the_product_page_and_in_product_files(client, writer, coat):
    item(upload(client, writer, content=_png((50, 50), (1, 2, 3))))
    result = item(
        upload(client, writer, content=PDF, name="datasheet.pdf", alt="Data sheet", order=1)
    )
    assert result["status"] == "created" and "a document of the product" in result["note"]
    document = get_document_model().objects.get(title="datasheet.pdf")

    page = client.get(f"/shop/p/{coat.slug}/").content.decode()
    assert f'href="{document.url}" download>Data sheet</a>' in page
    assert "(PDF," in page

    reader = make_key("Feed")[1]
    listed = client.get(f"{BASE}/product-files/", {"api_key": reader}).json()
    assert [(f["kind"], f["file_name"], f["alt"], f["order"]) for f in listed] == [
        ("image", "front.png", "front.png", 0),
        ("document", "datasheet.pdf", "Data sheet", 1),
    ]
    assert listed[1]["image"] == f"http://testserver{document.url}"
    # Paged as one list: a page of one holds the picture, the next the document.
    second = client.get(f"{BASE}/product-files/", {"api_key": reader, "page_size": 1, "page": 2})
    assert second["X-Total-Count"] == "2"
    assert [f["kind"] for f in second.json()] == ["document"]
    # Staff renaming the document in the library: cached pages show the new title.
    version = catalog_version()
    document.title = "Datasheet 2027.pdf"
    document.save()
    assert catalog_version() != version


def test_bad_files_get_a_clear_answer_and_change_nothing(client, writer, coat):
    def refused(response, field):
        result = item(response)
        assert result["status"] == "error", result
        assert list(result["errors"]) == [field]
        return result["errors"][field][0]

    assert "No product" in refused(
        upload(client, writer, content=PDF, name="a.pdf", product_external_id="NOPE"),
        "product_external_id",
    )
    assert "pdf" in refused(upload(client, writer, content=b"MZ", name="setup.exe"), "file_name")
    assert refused(upload(client, writer, content=b"not a picture", name="x.png"), "file")
    assert "empty" in refused(upload(client, writer, content=b"", name="empty.pdf"), "file")
    for name in ("../../etc/passwd.pdf", "..\\..\\boot.ini.pdf", "/"):
        assert "without folders" in refused(
            upload(client, writer, content=PDF, name="a.pdf", file_name=name),
            "file_name",
        )
    for response in (
        upload(client, writer),  # no file
        upload(client, writer, content=PDF, name="a.pdf", file_name="a\x1fb.pdf"),
        upload(client, writer, content=PDF, name="a.pdf", order="-1"),
        upload(client, writer, content=PDF, name="a.pdf", order="١"),
        upload(client, writer, content=PDF, name="a.pdf", alt="x" * 10_000),
        upload(client, writer, content=PDF, name="a.pdf", product_external_id="COAT\x00S"),
    ):
        assert response.status_code == 400, response.content
    assert gallery(coat) == [] and not get_document_model().objects.exists()


def test_sending_files_needs_the_write_catalog_scope(client, coat):
    reader = make_key("Feed", scopes=["read_catalog"])[1]
    assert upload(client, reader, content=PDF, name="a.pdf").status_code == 403

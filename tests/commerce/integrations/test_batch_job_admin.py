"""Integrations → Batch jobs: staff see the ERP's 202 jobs and, on a job's page, the items
that failed with their messages; a read-only log, in a fixed number of queries."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from commerce.integrations import admin_logs
from commerce.integrations.models import BatchJob, BatchJobStatus
from commerce.integrations.services import batch_jobs
from tests.commerce.integrations.test_api_v1 import make_key
from tests.commerce.integrations.test_webhooks_delivery import assert_refused

pytestmark = pytest.mark.django_db

LIST_URL = reverse("wagtailsnippets_integrations_batchjob:list")
PER_PAGE = 20  # Wagtail's listing page


def inspect_url(job):
    return reverse("wagtailsnippets_integrations_batchjob:inspect", args=[job.pk])


def a_job(key_row, kind="products", *, failed=(), ok=0):
    """A finished job whose report has `ok` created items, then one error per
    (external id, field, message) of `failed`."""
    items = [
        {"index": i, "external_id": f"SKU-{i}", "status": "created", "errors": {}}
        for i in range(ok)
    ] + [
        {"index": ok + i, "external_id": external_id, "status": "error", "errors": {field: [text]}}
        for i, (external_id, field, text) in enumerate(failed)
    ]
    counts = {"created": ok, "updated": 0, "unchanged": 0, "error": len(failed)}
    return BatchJob.objects.create(
        api_key=key_row,
        kind=kind,
        status=BatchJobStatus.DONE,
        item_count=len(items),
        items="",
        report=batch_jobs.report_json({"counts": counts, "items": items}),
    )


def test_staff_see_every_keys_jobs_and_what_failed_in_one(admin_client, homepage):
    comarch, _ = make_key("Comarch ERP", scopes=["write_catalog"])
    enova, _ = make_key("enova", scopes=["write_stock"])
    job = a_job(
        comarch,
        ok=2,
        failed=[
            ("<script>alert(1)</script>", "ean", "Not a valid EAN-13: its check digit is wrong."),
            ("COAT-XL", "category_external_id", "No category has this external id."),
        ],
    )
    a_job(enova, kind="stocks", ok=3)

    listing = admin_client.get(LIST_URL).content.decode()
    assert "Comarch ERP" in listing and "enova" in listing
    assert "products" in listing and "stocks" in listing

    page = admin_client.get(inspect_url(job)).content.decode()
    assert "2 created, 0 updated, 0 unchanged, 2 with errors" in page
    assert "Not a valid EAN-13: its check digit is wrong." in page
    assert "No category has this external id." in page and "COAT-XL" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert str(job.public_id) in page


def test_a_long_list_of_failures_is_cut_and_says_how_many_more(admin_client, monkeypatch):
    monkeypatch.setattr(admin_logs, "FAILED_ITEMS_SHOWN", 2)
    key, _ = make_key("ERP")
    job = a_job(key, failed=[(f"BAD-{i}", "name", "Required.") for i in range(5)])
    page = admin_client.get(inspect_url(job)).content.decode()
    assert "BAD-1" in page and "BAD-2" not in page
    assert "3 more items with errors" in page


def test_a_queued_job_shows_no_outcome_yet(admin_client):
    key, _ = make_key("ERP")
    job = BatchJob.objects.create(api_key=key, kind="stocks", item_count=1, items="[{}]")
    page = admin_client.get(inspect_url(job)).content.decode()
    assert "Queued" in page and "with errors" not in page and "not yet" in page


def test_shop_managers_view_jobs_and_nobody_adds_edits_or_deletes_them(
    client, django_user_model, homepage
):
    key, _ = make_key("ERP")
    job = a_job(key, ok=1)
    manager = django_user_model.objects.create_user("manager", password="pw-1-abcd")
    manager.groups.add(Group.objects.get(name="Shop managers"))
    manager.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(manager)

    assert client.get(LIST_URL).status_code == 200
    assert client.get(inspect_url(job)).status_code == 200
    add_url = reverse("wagtailsnippets_integrations_batchjob:add")
    edit_url = reverse("wagtailsnippets_integrations_batchjob:edit", args=[job.pk])
    delete_url = reverse("wagtailsnippets_integrations_batchjob:delete", args=[job.pk])
    assert_refused(client.get(add_url))
    assert_refused(client.post(add_url, {"kind": "stocks", "item_count": "1"}))
    assert_refused(client.post(edit_url, {"kind": "stocks"}))
    assert_refused(client.post(delete_url))
    assert list(BatchJob.objects.values_list("kind", flat=True)) == ["products"]

    # Without the view permission, not even the list.
    clerk = django_user_model.objects.create_user("clerk", password="pw-1-abcd")
    clerk.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(clerk)
    assert_refused(client.get(LIST_URL))
    assert_refused(client.get(inspect_url(job)))


@pytest.mark.parametrize("jobs", [3, 30])
def test_the_list_costs_the_same_queries_for_3_or_30_jobs(
    admin_client, jobs, django_assert_max_num_queries
):
    key, _ = make_key("ERP")
    for _ in range(jobs):
        a_job(key, ok=1)
    admin_client.get(LIST_URL)  # warms the admin's per-process caches
    with django_assert_max_num_queries(9) as captured:
        response = admin_client.get(LIST_URL)
    # Nor are the items or reports read, each of which may be megabytes.
    columns = ('"integrations_batchjob"."items"', '"integrations_batchjob"."report"')
    assert not [q for q in captured.captured_queries if any(c in q["sql"] for c in columns)]
    assert response.status_code == 200
    rows = BeautifulSoup(response.content, "html.parser").select("table.listing tbody tr")
    assert len(rows) == min(jobs, PER_PAGE)

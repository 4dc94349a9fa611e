"""Batch jobs: a batch write sent with `Prefer: respond-async` answers 202 with a job
(`writes.batch_write`), which the client polls here for the per-item report.

A key reads only its own jobs: another key's job is a 404, as an unknown one, so a job id
tells nobody else anything. Any good key may ask (a key without write scopes simply has
no jobs). The rules of running them: `services/batch_jobs.py`.
"""

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router

from commerce.integrations.api.listing import (
    DETAIL_RESPONSES,
    LIST_RESPONSES,
    PAGE,
    PAGE_SIZE,
    page_of,
)
from commerce.integrations.api.writes import JobDetailOut, JobOut
from commerce.integrations.auth import key_auth
from commerce.integrations.models import BatchJob

router = Router(tags=["jobs"])

ANY_KEY = key_auth(None)
# Seconds a client is asked to wait before polling a job again.
POLL_SECONDS = 5


@router.get("/jobs/", auth=ANY_KEY, response={200: list[JobOut], **LIST_RESPONSES})
def list_jobs(
    request: HttpRequest, response: HttpResponse, page: int = PAGE, page_size: int = PAGE_SIZE
):
    """This key's batch jobs, newest first (without their reports: read a job for its
    own). Finished jobs are kept for a few days (see the README)."""
    jobs = BatchJob.objects.of_key(request.auth).order_by("-created_at", "-id")
    return page_of(request, response, jobs, page, page_size)


@router.get(
    "/jobs/{job_id}/",
    auth=ANY_KEY,
    url_name="get_job",
    response={200: JobDetailOut, **DETAIL_RESPONSES},
)
def get_job(request: HttpRequest, response: HttpResponse, job_id: str):
    """One batch job of this key: its status and, once done, its report (the answer the
    request would have had without `Prefer: respond-async`). While it is queued or
    running, `Retry-After` says when to ask again."""
    try:
        public_id = uuid.UUID(job_id)
    except ValueError:
        raise Http404 from None
    job = BatchJob.objects.of_key(request.auth).filter(public_id=public_id).first()
    if job is None:
        raise Http404
    if not job.is_finished:
        response["Retry-After"] = str(POLL_SECONDS)
    return job

"""Read-only logs of the integrations in the admin: the permission policy they share, and
the ERP's batch jobs (Integrations → Batch jobs).

A batch job is written by the API and its task only (`services/batch_jobs.py`); staff see
every key's jobs, newest first, filtered by key, status and kind, and a job's page lists
the items that failed with their messages, so staff can tell the ERP's people what to fix
without reading the API's answer themselves.
"""

from django.shortcuts import get_object_or_404
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.views.snippets import InspectView, SnippetViewSet

from commerce.integrations.models import BatchJob
from commerce.integrations.services import batch_jobs

FAILED_ITEMS_SHOWN = 500  # of a job's failed items on its page; the API's report has all


class LogPermissionPolicy(ModelPermissionPolicy):
    """A log: viewed in the admin, never added, edited or deleted there. `actions` names
    the log's own actions and the permission each needs."""

    actions: dict[str, str] = {}

    def user_has_permission(self, user, action):
        if action == "view":
            return super().user_has_permission(user, "view")
        permission = self.actions.get(action)
        return permission is not None and user.is_active and user.has_perm(permission)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        return super().users_with_any_permission([a for a in actions if a == "view"])


register_permission_policy(BatchJob, LogPermissionPolicy(BatchJob))


def failed_items(report: dict | None, limit: int) -> list[dict]:
    """The report's items with status `error`, each with its messages as (field, message)
    pairs, at most `limit` of them."""
    failed = []
    for item in (report or {}).get("items", []):
        if item.get("status") != "error":
            continue
        messages = [
            (field, message)
            for field, field_messages in (item.get("errors") or {}).items()
            for message in field_messages
        ]
        failed.append({**item, "messages": messages})
        if len(failed) == limit:
            break
    return failed


class BatchJobInspectView(InspectView):
    template_name = "integrations/admin/batch_job_inspect.html"
    page_title = "Batch job"

    def get_object(self, queryset=None):
        # The items are emptied once the job is done; while it waits they may be megabytes.
        return get_object_or_404(
            BatchJob.objects.select_related("api_key").defer("items"), pk=self.pk
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = batch_jobs.report(self.object)
        counts = (report or {}).get("counts", {})
        failed = failed_items(report, FAILED_ITEMS_SHOWN)
        context.update(
            job=self.object,
            counts=counts,
            failed=failed,
            more_failed=max(counts.get("error", 0) - len(failed), 0),
        )
        return context


class LogViewSet(SnippetViewSet):
    """A log's list and pages, newest first; `log_permissions` are the codenames Settings →
    Groups offers for it (what means something for a log: viewing, its own actions)."""

    copy_view_enabled = False
    inspect_view_enabled = True
    search_fields = None
    ordering = ["-created_at", "-id"]
    log_permissions: tuple[str, ...] = ()

    def get_permissions_to_register(self):
        return super().get_permissions_to_register().filter(codename__in=self.log_permissions)


class BatchJobViewSet(LogViewSet):
    model = BatchJob
    icon = "tasks"
    menu_label = "Batch jobs"
    inspect_view_class = BatchJobInspectView
    log_permissions = ("view_batchjob",)
    list_display = [
        Column("kind", label="Kind"),
        Column("api_key", label="API key"),
        Column("status", label="Status", accessor="get_status_display"),
        Column("item_count", label="Items"),
        Column("tries", label="Tries"),
        Column("error", label="Error"),
        DateColumn("created_at", label="Accepted"),
        DateColumn("finished_at", label="Finished"),
    ]
    list_filter = ["api_key", "status", "kind"]

    def get_queryset(self, request):
        # Neither the items nor the report: each may be megabytes, and the list shows neither.
        return BatchJob.objects.select_related("api_key").defer("items", "report")

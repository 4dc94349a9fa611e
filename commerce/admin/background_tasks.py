"""The admin's "Background tasks" report (Reports → Background tasks).

Lists django-tasks-db's queue rows (commerce.models.BackgroundTask): queued, running
and failed tasks with their tries and last error, newest first; a task's page shows
the whole traceback. Staff with `commerce.retry_backgroundtask` (superusers, the
"Shop managers" group) put a failed task back on the queue by POST, from a
confirmation page; the change itself is commerce.services.task_admin's.

Seeing the report takes `commerce.view_backgroundtask`. The list costs the same
number of queries whatever its length: every column is read from the row itself.
"""

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.generic import TemplateView
from django_tasks import TaskResultStatus
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy

from commerce.models import BackgroundTask
from commerce.services.task_admin import (
    TaskNotRetryable,
    queue_elsewhere_note,
    retry_all_failed_now,
    retry_failed_task_now,
    retry_note,
)
from commerce.services.tasks import on_database_queue

permission_policy = ModelPermissionPolicy(BackgroundTask)

NOT_SUCCESSFUL = ""  # the filter's default: everything staff may have to act on
STATUS_CHOICES = [
    ("queued", "Queued"),
    ("retrying", "Queued again after an error"),
    ("running", "Running"),
    ("failed", "Failed"),
    ("successful", "Successful"),
    ("all", "All"),
]
STATUS_FILTERS = {
    NOT_SUCCESSFUL: lambda tasks: tasks.not_successful(),
    "queued": lambda tasks: tasks.filter(status=TaskResultStatus.READY),
    "retrying": lambda tasks: tasks.retrying(),
    "running": lambda tasks: tasks.running(),
    "failed": lambda tasks: tasks.failed(),
    "successful": lambda tasks: tasks.successful(),
    "all": lambda tasks: tasks,
}


def can_view(user) -> bool:
    return permission_policy.user_has_permission(user, "view")


def can_retry(user) -> bool:
    return permission_policy.user_has_permission(user, "retry")


class BackgroundTaskFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=STATUS_CHOICES,
        empty_label="Not successful (queued, running, failed)",
        method="filter_status",
    )

    class Meta:
        model = BackgroundTask
        fields = []

    def filter_status(self, queryset, name, value):
        return STATUS_FILTERS[value](queryset)

    def filter_queryset(self, queryset):
        # An empty choice never reaches filter_status: the default is applied here.
        if not self.form.cleaned_data.get("status"):
            queryset = STATUS_FILTERS[NOT_SUCCESSFUL](queryset)
        return super().filter_queryset(queryset)


class BackgroundTasksReportView(ReportView):
    page_title = "Background tasks"
    header_icon = "cogs"
    template_name = "commerce/admin/background_tasks.html"
    results_template_name = "commerce/admin/background_tasks_results.html"
    index_url_name = "commerce_background_tasks"
    index_results_url_name = "commerce_background_tasks_results"
    filterset_class = BackgroundTaskFilterSet
    model = BackgroundTask
    permission_policy = permission_policy
    permission_required = "view"
    paginate_by = 50
    verbose_name_plural = "background tasks"
    # Newest first; the pk makes the order total, so that pages never repeat or skip a row.
    default_ordering = ("-enqueued_at", "-id")

    @cached_property
    def queue_in_database(self):
        return on_database_queue()

    def get_base_queryset(self):
        if not self.queue_in_database:
            return BackgroundTask.objects.none()
        return BackgroundTask.objects.all()

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.filters and not self.filters.is_valid():
            # An unknown ?status= shows the default list rather than everything.
            queryset = STATUS_FILTERS[NOT_SUCCESSFUL](queryset)
        return queryset

    def decorate_paginated_queryset(self, object_list):
        rows = list(object_list)
        for row in rows:
            row.retry_note = retry_note(row)
        return rows

    def get_header_buttons(self):
        buttons = super().get_header_buttons()
        if self.queue_in_database and can_retry(self.request.user):
            buttons.append(
                HeaderButton(
                    "Retry all failed",
                    url=reverse("commerce_background_tasks_retry_failed"),
                    icon_name="rotate",
                )
            )
        return buttons

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["queue_elsewhere"] = "" if self.queue_in_database else queue_elsewhere_note()
        context["can_retry"] = can_retry(self.request.user)
        context["failed_status"] = TaskResultStatus.FAILED
        return context


class BackgroundTaskMixin(WagtailAdminTemplateMixin):
    """A task's page and its actions: the task by its id in the URL (a UUID; else 404)."""

    permission_action = "view"

    def dispatch(self, request, *args, **kwargs):
        if not permission_policy.user_has_permission(request.user, self.permission_action):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def task(self):
        return get_object_or_404(BackgroundTask, pk=self.kwargs["result_id"])

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("commerce_background_tasks"), "label": "Background tasks"},
            {"url": "", "label": self.get_page_title()},
        ]


class BackgroundTaskDetailView(BackgroundTaskMixin, TemplateView):
    template_name = "commerce/admin/background_task_detail.html"
    header_icon = "cogs"

    def get_page_title(self):
        return self.task.readable_name

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            task=self.task,
            retry_note=retry_note(self.task),
            can_retry=can_retry(self.request.user),
            failed_status=TaskResultStatus.FAILED,
        )
        return context


class RetryTaskView(BackgroundTaskMixin, TemplateView):
    """GET: asks; POST: queues the failed task again (once, however many click)."""

    template_name = "commerce/admin/background_task_retry.html"
    header_icon = "rotate"
    permission_action = "retry"

    def get_page_title(self):
        return f"Retry {self.task.readable_name}"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "task": self.task,
            "failed_status": TaskResultStatus.FAILED,
        }

    def post(self, request, *args, **kwargs):
        try:
            row = retry_failed_task_now(self.task.pk, by=request.user)
        except TaskNotRetryable as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, f"“{row.readable_name}” is queued again.")
        return redirect("commerce_background_tasks")


class RetryAllFailedView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "commerce/admin/background_tasks_retry_all.html"
    header_icon = "rotate"
    page_title = "Retry all failed tasks"

    def dispatch(self, request, *args, **kwargs):
        if not can_retry(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        failed = BackgroundTask.objects.failed().count()
        return {**super().get_context_data(**kwargs), "failed": failed}

    def post(self, request, *args, **kwargs):
        count = retry_all_failed_now(by=request.user)
        messages.success(request, f"{count} failed task{'s' if count != 1 else ''} queued again.")
        return redirect("commerce_background_tasks")


class BackgroundTasksMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view(request.user)


__all__ = [
    "BackgroundTaskDetailView",
    "BackgroundTasksMenuItem",
    "BackgroundTasksReportView",
    "RetryAllFailedView",
    "RetryTaskView",
]

"""Background tasks as the admin's "Background tasks" report shows them.

`BackgroundTask` is a proxy of django-tasks-db's queue row (`DBTaskResult`): no
table of its own, only the shop's questions about a row (its tries, its state,
its last error) and the two permissions staff are given for it:
`commerce.view_backgroundtask` (see the report) and `commerce.retry_backgroundtask`
(put a failed task back on the queue). A proxy rather than permissions on the
library's own model: the shop names and grants them like its other permissions.
"""

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet, get_date_max


class BackgroundTaskQuerySet(DBTaskResultQuerySet):
    def not_successful(self):
        """What staff may have to look at: queued, running and failed."""
        return self.exclude(status=TaskResultStatus.SUCCESSFUL)

    def retrying(self):
        """Queued again after an error: a transient failure's retry, or a retry by staff.

        A task's error stays on its row until it succeeds (commerce.services.tasks), so
        a ready row with an error is one that already failed at least once."""
        return self.filter(status=TaskResultStatus.READY).exclude(exception_class_path="")


class BackgroundTask(DBTaskResult):
    objects = BackgroundTaskQuerySet.as_manager()

    class Meta:
        proxy = True
        verbose_name = "background task"
        default_permissions = ("view",)
        permissions = [("retry_backgroundtask", "Can retry background task")]

    def __str__(self):
        return f"{self.readable_name} ({self.pk})"

    @property
    def readable_name(self) -> str:
        """`commerce.services.notifications.send_order_email_task` → "Send order email".

        Read from the stored path, not the imported task: a task renamed or removed since
        it was queued still gets a name."""
        name = self.task_path.rsplit(".", 1)[-1].removesuffix("_task")
        return name.replace("_", " ").strip().capitalize() or self.task_path

    @property
    def tries(self) -> int:
        """Runs so far: every claim by a worker appends its id (django-tasks-db)."""
        return len(self.worker_ids or [])

    @property
    def is_retrying(self) -> bool:
        return self.status == TaskResultStatus.READY and bool(self.exception_class_path)

    @property
    def next_try_at(self):
        """When a queued task may run, if that is later than now; None when it may run now.

        django-tasks-db stores "no run_after" as 9999-01-01."""
        if self.status != TaskResultStatus.READY or self.run_after == get_date_max():
            return None
        return self.run_after if self.run_after > timezone.now() else None

    @property
    def error_name(self) -> str:
        """The last error's class, without its module: "SMTPServerDisconnected"."""
        return self.exception_class_path.rsplit(".", 1)[-1]

    @property
    def error_line(self) -> str:
        """The traceback's last line: the exception and its message."""
        lines = [line for line in self.traceback.splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""

    @property
    def error_message(self) -> str:
        """The last error's message: the traceback's last line without the class it names."""
        line = self.error_line
        for prefix in (self.exception_class_path, self.error_name):
            if prefix and (line == prefix or line.startswith(f"{prefix}:")):
                return line[len(prefix) :].removeprefix(":").strip()
        return line

    @property
    def state_label(self) -> str:
        return {
            TaskResultStatus.READY: "queued",
            TaskResultStatus.RUNNING: "running",
            TaskResultStatus.FAILED: "failed",
            TaskResultStatus.SUCCESSFUL: "successful",
        }.get(self.status, self.status.lower())


__all__ = ["BackgroundTask", "BackgroundTaskQuerySet"]

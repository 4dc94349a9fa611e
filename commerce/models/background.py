"""What background work leaves behind: e-mails sent, scheduled runs taken.

Both are written by tasks and the scheduler (commerce/services/tasks.py,
commerce/services/scheduler.py), never by hand; their unique keys are what make
a retried task or a second scheduler harmless.
"""

from django.db import models


class SentEmail(models.Model):
    """One e-mail the shop sends, by its key: a retried task finds it sent and stops.

    `key` names the message, not the attempt: "order_placed:<order id>",
    "order_status:<status change id>". The row is written before the message goes
    out and `sent_at` set when the mail server accepted it.
    """

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=50)
    order = models.ForeignKey(
        "commerce.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    to = models.TextField(help_text="Recipients, comma-separated.")
    subject = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "sent e-mail"
        ordering = ["-created_at"]

    def __str__(self):
        return self.key


class ScheduledRun(models.Model):
    """A scheduled job's run for one interval. Whoever inserts the row runs the job; the
    unique (job, slot) makes that one scheduler however many run at once."""

    job = models.CharField(max_length=100)
    slot = models.DateTimeField(help_text="Start of the interval this run belongs to.")
    created_at = models.DateTimeField(auto_now_add=True)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="scheduled_run_once_per_slot")
        ]
        ordering = ["-slot"]

    def __str__(self):
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M}"

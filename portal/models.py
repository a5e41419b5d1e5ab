from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """One row per worker host, touched by a beat-scheduled task: proves both beat and a worker run."""

    hostname = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "ضربان کارگر"
        verbose_name_plural = "ضربان کارگرها"

    def __str__(self):
        return self.hostname

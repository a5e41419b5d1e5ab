import socket

from celery import shared_task
from django.utils import timezone

from portal.models import WorkerHeartbeat


@shared_task(name="portal.record_heartbeat", ignore_result=True)
def record_heartbeat() -> None:
    WorkerHeartbeat.objects.update_or_create(hostname=socket.gethostname(), defaults={"seen_at": timezone.now()})

import json
import sys
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from portal.celery import app as celery_app
from portal.middleware import database_unavailable_response, is_database_unavailable
from portal.models import WorkerHeartbeat
from suggestions.choices import State
from suggestions.models import Suggestion, SuggestionEmbedding


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker(queue: str) -> dict:
    """Whether the broker answers, its transport, and the messages waiting in `queue` (None, and why not, when
    they cannot be counted), over one connection: a broker that drops packets costs one timeout, not one per
    question. A passive declare reads the count on every transport (Redis, the embedded broker, RabbitMQ)
    without declaring the queue where it is missing."""
    found = {"broker": "error", "length": None, "unknown_because": ""}
    try:
        with celery_app.connection_for_read() as conn:
            found["transport"] = conn.transport_cls
            conn.ensure_connection(max_retries=0, timeout=2)
            found["broker"] = "ok"
            channel = conn.channel()
            try:
                found["length"] = channel.queue_declare(queue=queue, passive=True).message_count
            except conn.channel_errors:
                found["length"] = 0  # never declared, or on Redis emptied: its key goes with its last message
            finally:
                channel.close()
    except Exception as exc:
        found["unknown_because"] = f"{exc.__class__.__name__}: {exc}"[:200]
    return found


def _supervised_processes(now) -> dict | None:
    """What `manage.py serve` recorded of its children: pid, running, restarts and crashes of the last hour."""
    try:
        record = json.loads((settings.VAR_DIR / "supervisor.json").read_text())
    except (OSError, ValueError):
        return None  # not started by `serve` (production runs its processes under systemd or similar)
    hour_ago = now - timedelta(hours=1)
    processes = {}
    for name, entry in record.get("processes", {}).items():
        crashes = entry.get("crashes", [])
        processes[name] = {
            "pid": entry.get("pid"),
            "running": entry.get("running", False),
            "restarts": entry.get("restarts", 0),
            "crashes_last_hour": sum(1 for crash in crashes if datetime.fromisoformat(crash["at"]) >= hour_ago),
            "last_crash": crashes[-1] if crashes else None,
        }
    return processes


@never_cache
def healthz(request):
    now = timezone.now()
    broker = _broker("semantic")
    body = {"database": "ok" if _database_ok() else "error", "broker": broker["broker"]}
    body["broker_transport"] = broker.get("transport")
    if body["database"] == "ok":
        beat = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
        oldest = Suggestion.objects.unprocessed().order_by("created_at").values_list("created_at", flat=True).first()
        body["worker_heartbeat"] = beat.isoformat() if beat else None
        body["worker_heartbeat_age_seconds"] = round((now - beat).total_seconds(), 1) if beat else None
        body["oldest_unprocessed_age_seconds"] = round((now - oldest).total_seconds(), 1) if oldest else 0
        body["failed_suggestions"] = Suggestion.objects.filter(state=State.FAILED).count()
        body["embeddings_given_up"] = SuggestionEmbedding.objects.filter(state=SuggestionEmbedding.State.FAILED).count()
        stale = settings.HEARTBEAT_INTERVAL_SECONDS * 4
        body["worker"] = "ok" if beat and (now - beat).total_seconds() < stale else "stale"
    # A queue that only grows means no semantic worker runs; it never makes the portal unhealthy by itself.
    length = broker["length"]
    body["semantic_queue"] = {
        "length": length,
        **({"unknown_because": broker["unknown_because"]} if length is None else {}),
    }
    processes = _supervised_processes(now)
    if processes is not None:
        # A crashed worker is restarted and the portal keeps answering, so crashes are reported, not a 503.
        body["processes"] = processes
    status = 200 if body["database"] == "ok" and body["broker"] == "ok" else 503
    body["status"] = "ok" if status == 200 else "degraded"
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def bad_request(request, exception):
    return render(request, "400.html", status=400)


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    # Django calls this while handling the exception: one raised by a middleware (a staff session read from a
    # database that stopped answering) never reaches DatabaseUnavailableMiddleware.process_exception.
    exception = sys.exc_info()[1]
    if is_database_unavailable(exception):
        return database_unavailable_response(request, exception)
    return render(request, "500.html", status=500)

"""How far a re-clustering has got, read from its Celery result by task id."""

from django.core.cache import cache

from review.boards.services import recluster_failed_key

# The stages `suggestions.pipeline.recluster` reports, in order, with what a reviewer reads.
STAGES = {
    "vectorising": (0, "ساختن بردار واژه‌ها"),
    "clustering": (1, "خوشه‌بندی"),
    "saving": (2, "ذخیرهٔ محورها"),
    "done": (3, "پایان کار"),
}
RUNNING_STATES = {"PENDING", "RECEIVED", "STARTED", "RETRY", "PROGRESS"}


def recluster_progress(task_id: str) -> dict:
    """One of: waiting, running (with stage, done, total and an overall percent), done, skipped, failed."""
    from suggestions.tasks import recluster_themes

    if cache.get(recluster_failed_key(task_id)):
        return {"state": "not_queued"}
    result = recluster_themes.AsyncResult(task_id)
    state = result.state
    if state == "PROGRESS":
        meta = result.info if isinstance(result.info, dict) else {}
        position, stage_label = STAGES.get(meta.get("stage"), (0, "در حال کار"))
        done, total = int(meta.get("done") or 0), int(meta.get("total") or 0)
        within = done / total if total else 0.0
        percent = round(100 * min(1.0, (position + within) / (len(STAGES) - 1)))
        return {"state": "running", "stage": stage_label, "done": done, "total": total, "percent": percent}
    if state == "SUCCESS":
        outcome = result.result if isinstance(result.result, dict) else {}
        if "skipped" in outcome:
            return {"state": "skipped"}
        # A re-clustering run before ideas existed says nothing of them.
        ideas = outcome.get("ideas")
        return {
            "state": "done",
            "themes": outcome.get("themes", 0),
            "suggestions": outcome.get("suggestions", 0),
            "ideas": ideas,
        }
    if state in RUNNING_STATES:
        return {"state": "waiting"}
    return {"state": "failed"}  # FAILURE or REVOKED; the error itself stays in the worker's log

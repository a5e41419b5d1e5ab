from django.db import models

from review.models import AuditEntry


def record_action(
    *, actor, action: str, target: models.Model, before: dict | None = None, after: dict | None = None
) -> AuditEntry:
    """Append one row to the audit log. Call it inside the transaction of the change it describes, so the
    log never claims what did not happen. `before` and `after` hold review facts only, no personal data."""
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "system",
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        before=before,
        after=after,
    )

import pytest
from django.core.exceptions import PermissionDenied

from review.audit import record_action
from review.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_an_action_is_recorded_with_actor_object_and_change(reviewer, suggestion):
    entry = record_action(
        actor=reviewer, action="decide", target=suggestion, before={"status": "pending"}, after={"status": "accepted"}
    )
    assert entry.actor_name == "reviewer-persona"
    assert AuditEntry.objects.for_object(suggestion).get().after == {"status": "accepted"}


def test_an_audit_row_cannot_be_changed(reviewer, suggestion):
    entry = record_action(actor=reviewer, action="decide", target=suggestion)
    entry.action = "nothing happened"
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.update(action="rewritten")


def test_an_audit_row_cannot_be_deleted(reviewer, suggestion):
    entry = record_action(actor=reviewer, action="decide", target=suggestion)
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 1

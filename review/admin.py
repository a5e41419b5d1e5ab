from django.contrib import admin

from review.models import AuditEntry, Recusal, Review
from suggestions.admin import ReadOnlyAdmin


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["suggestion", "status", "reject_reason", "decided_by", "decided_at", "claimed_by"]
    list_filter = ["status", "reject_reason"]
    raw_id_fields = ["suggestion", "duplicate_of", "theme"]
    readonly_fields = ["decided_by", "decided_at", "claimed_by", "claim_expires_at", "version"]
    list_select_related = ["suggestion", "decided_by", "claimed_by"]


@admin.register(Recusal)
class RecusalAdmin(ReadOnlyAdmin):
    list_display = ["suggestion", "reviewer", "created_at"]
    raw_id_fields = ["suggestion"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read only: the log is append-only, and the workspace's audit page is where it is read and exported."""

    list_display = ["at", "actor_name", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "object_id"]

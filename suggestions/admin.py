from django.contrib import admin

from suggestions.models import Contact, Suggestion, Topic


class ReadOnlyAdmin(admin.ModelAdmin):
    """For what citizens sent and what reviewers decided: the admin may look, never add, rewrite or delete.
    Those change only through the intake and the workspace, where every change is checked and audited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "is_active"]
    list_editable = ["position", "is_active"]
    prepopulated_fields = {"slug": ["name"]}

    def has_delete_permission(self, request, obj=None):
        # A topic is retired by deactivating it: suggestions and reports keep pointing at it, and the web
        # processes' topic lists (suggestions.topic_cache) never offer one that is gone.
        return False


@admin.register(Suggestion)
class SuggestionAdmin(ReadOnlyAdmin):
    list_display = ["title", "topic", "province", "role", "state", "attempts", "created_at"]
    list_filter = ["state", "topic", "role", "province"]
    search_fields = ["title", "tracking_code"]
    readonly_fields = [
        "tracking_code",
        "normalized_text",
        "match_text",
        "fingerprint",
        "state",
        "attempts",
        "last_error",
        "source",
        "created_at",
        "state_changed_at",
        "analyzed_at",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["topic"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    """Contact details come only with a suggestion; the superuser may erase them on request, not invent them."""

    list_display = ["suggestion", "consent", "purge_after"]
    raw_id_fields = ["suggestion"]
    readonly_fields = ["suggestion", "name", "email", "phone", "consent", "purge_after"]

    def has_add_permission(self, request):
        return False

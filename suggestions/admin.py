from django.contrib import admin

from suggestions.models import Contact, Suggestion, Topic


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
class SuggestionAdmin(admin.ModelAdmin):
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
        "analysed_at",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["topic"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["suggestion", "consent", "purge_after"]
    raw_id_fields = ["suggestion"]

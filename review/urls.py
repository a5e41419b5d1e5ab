from django.urls import path

from review import views

app_name = "review"

urlpatterns = [
    path("", views.queue_page, name="queue"),
    path("next/", views.next_suggestion, name="next"),
    path("bulk/", views.bulk, name="bulk"),
    path("<int:pk>/", views.suggestion_page, name="suggestion"),
    path("<int:pk>/text/", views.suggestion_text, name="text"),
    path("<int:pk>/contact/", views.contact, name="contact"),
    path("<int:pk>/notes/", views.notes, name="notes"),
    path("<int:pk>/recuse/", views.recuse, name="recuse"),
    path("<int:pk>/release/", views.release, name="release"),
    path("<int:pk>/accept/", views.decide, {"decision": "accept"}, name="accept"),
    path("<int:pk>/reject/", views.decide, {"decision": "reject"}, name="reject"),
    path("<int:pk>/duplicate/", views.decide, {"decision": "duplicate"}, name="duplicate"),
    path("<int:pk>/follow-up/", views.decide, {"decision": "follow-up"}, name="follow_up"),
    path("audit/", views.audit_log, name="audit"),
    path("audit/export.csv", views.audit_csv, name="audit_csv"),
    path("dashboard/", views.dashboard, name="dashboard"),
]

from django.urls import path  # noqa: F401  (the queue, review page, audit and dashboard are added here)

app_name = "review"

urlpatterns = []

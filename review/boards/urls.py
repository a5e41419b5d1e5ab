from django.urls import path  # noqa: F401  (duplicate groups and the themes board are added here)

app_name = "boards"

urlpatterns = []

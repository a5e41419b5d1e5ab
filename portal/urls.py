from django.contrib import admin
from django.urls import include, path

from portal import views

admin.site.site_header = "مدیریت هم‌اندیشی"
admin.site.site_title = "هم‌اندیشی"
admin.site.index_title = "مدیریت"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("review/", include("review.urls")),
    path("review/", include("review.boards.urls")),
    path("", include("suggestions.urls")),
]

handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"

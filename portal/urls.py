from django.contrib import admin
from django.urls import include, path

from portal import views
from review.accounts import redirect_to_login

admin.site.site_header = "مدیریت هم‌اندیشی"
admin.site.site_title = "هم‌اندیشی"
admin.site.index_title = "مدیریت"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/login/", redirect_to_login),  # one sign-in for all staff: lock-out and two-factor included
    path("admin/", admin.site.urls),
    path("accounts/", include("review.accounts_urls")),
    path("review/reports/", include("review.reports.urls")),
    path("review/", include("review.urls")),
    path("review/", include("review.boards.urls")),
    path("reports/", include("review.reports.public_urls")),
    path("", include("suggestions.urls")),
]

handler400 = "portal.views.bad_request"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic.base import RedirectView

from portal import views
from reports import hints, support
from review.accounts import redirect_to_login

admin.site.site_header = "مدیریت هم‌اندیشی"
admin.site.site_title = "هم‌اندیشی"
admin.site.index_title = "مدیریت"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on every site; the file itself is a static file with a hashed name.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.ico"), permanent=True)),
    path("admin/login/", redirect_to_login),  # one sign-in for all staff: lock-out and two-factor included
    path("admin/", admin.site.urls),
    path("accounts/", include("review.accounts_urls")),
    path("review/reports/", include("reports.urls")),
    path("review/", include("review.urls")),
    path("review/", include("review.boards.urls")),
    path("", include("reports.public_urls")),  # /reports/… and /track/
    # What the public may read of similar suggestions needs reviews and reports: those views live in review.
    path(
        "suggest/",
        include(
            (
                [
                    path("similar/", hints.similar, name="similar"),
                    path("receipt/<str:code>/similar/", hints.receipt_similar, name="receipt_similar"),
                    path("idea/<int:idea_id>/support/", support.support_idea, name="support"),
                    path("support/receipt/<str:code>/", support.support_receipt, name="support_receipt"),
                ],
                "hints",
            )
        ),
    ),
    path("", include("suggestions.urls")),
]

handler400 = "portal.views.bad_request"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"

from django.urls import path

from reports import public_views

app_name = "reports"

urlpatterns = [
    path("", public_views.report_list, name="list"),
    path("<int:report_id>/", public_views.report_latest, name="latest"),
    path("<int:report_id>/v/<int:number>/", public_views.report_version, name="version"),
    path("<int:report_id>/v/<int:number>/report.pdf", public_views.report_pdf, name="pdf"),
    path("<int:report_id>/v/<int:number>/data.csv", public_views.report_csv, name="csv"),
    path("<int:report_id>/v/<int:number>/data.json", public_views.report_json, name="json"),
]

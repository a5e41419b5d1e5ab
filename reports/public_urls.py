from django.urls import path

from reports import public_views, track

app_name = "reports"

urlpatterns = [
    path("reports/", public_views.report_list, name="list"),
    path("reports/<int:report_id>/", public_views.report_latest, name="latest"),
    path("reports/<int:report_id>/v/<int:number>/", public_views.report_version, name="version"),
    path("reports/<int:report_id>/v/<int:number>/report.pdf", public_views.report_pdf, name="pdf"),
    path("reports/<int:report_id>/v/<int:number>/data.csv", public_views.report_csv, name="csv"),
    path("reports/<int:report_id>/v/<int:number>/data.json", public_views.report_json, name="json"),
    # What became of a suggestion: the answer is this app's, the address the one every receipt printed.
    path("track/", track.track, name="track"),
]

from django.urls import path

from reports import views

app_name = "review_reports"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.version_page, name="version"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/return/", views.send_back, name="return"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/correct/", views.correct, name="correct"),
    path("themes/<int:theme_id>/", views.theme_summary, name="theme"),
    path("themes/<int:theme_id>/quotes/", views.add_quote, name="add_quote"),
    path("quotes/<int:pk>/confirm/", views.confirm_quote, name="confirm_quote"),
    path("quotes/<int:pk>/remove/", views.remove_quote, name="remove_quote"),
]

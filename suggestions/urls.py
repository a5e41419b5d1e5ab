from django.urls import path

from suggestions import views

app_name = "suggestions"

urlpatterns = [
    path("", views.home, name="home"),
    path("suggest/", views.suggest, name="suggest"),
    path("suggest/similar/", views.similar, name="similar"),
    path("suggest/receipt/<str:code>/", views.receipt, name="receipt"),
    path("suggest/receipt/<str:code>/similar/", views.receipt_similar, name="receipt_similar"),
    path("track/", views.track, name="track"),
]

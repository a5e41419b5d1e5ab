from django.urls import path

from suggestions import views

app_name = "suggestions"

urlpatterns = [
    path("", views.home, name="home"),
    path("suggest/", views.suggest, name="suggest"),
    path("suggest/receipt/<str:code>/", views.receipt, name="receipt"),
]

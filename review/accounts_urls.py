from django.contrib.auth import views as auth_views
from django.urls import path

from review import accounts

app_name = "accounts"

urlpatterns = [
    path("login/", accounts.login_page, name="login"),
    path("login/verify/", accounts.verify_page, name="verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", accounts.two_factor_page, name="two_factor"),
]

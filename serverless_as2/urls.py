from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from serverless_as2 import views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Change password, and reset a forgotten one by e-mail: Django's views, our templates.
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("partnerships.urls")),
    path("", include("certificates.urls")),
    path("", include("tracklog.urls")),
]

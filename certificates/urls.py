from django.urls import path

from certificates import views

app_name = "certificates"

urlpatterns = [
    path("certificates/", views.certificate_list, name="certificate_list"),
    path("certificates/new/", views.certificate_list, name="certificate_create"),
]

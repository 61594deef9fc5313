from django.urls import path

from tracklog import views

app_name = "tracklog"

urlpatterns = [
    path("tracklog/", views.message_list, name="message_list"),
    path("send/", views.send_file, name="send_file"),
    path("as2/<uuid:tenant_id>/", views.inbound, name="inbound"),
]

from django.urls import path

from tracklog import endpoint, views

app_name = "tracklog"

urlpatterns = [
    path("tracklog/", views.message_list, name="message_list"),
    path("tracklog/<int:pk>/", views.message_detail, name="message_detail"),
    path("tracklog/<int:pk>/download/<str:kind>/", views.message_download, name="message_download"),
    path("tracklog/file/<str:token>/", views.file_link, name="file_link"),
    path("send/", views.send_file, name="send_file"),
    path(
        "partnerships/<int:pk>/send-test/",
        views.partnership_send_test,
        name="partnership_send_test",
    ),
    path("as2/<uuid:tenant_id>/", endpoint.inbound, name="inbound"),
]

from django.urls import path

from certificates import views

app_name = "certificates"

# Every URL that names a certificate takes its pk (Certificate.pk).
urlpatterns = [
    path("certificates/", views.certificate_list, name="certificate_list"),
    path(
        "certificates/expiring/",
        views.certificate_list,
        {"expiring": True},
        name="certificate_list_expiring",
    ),
    path("certificates/new/", views.certificate_create, name="certificate_create"),
    path("certificates/keystore-aliases/", views.keystore_aliases, name="keystore_aliases"),
    path("certificates/<int:pk>/", views.certificate_edit, name="certificate_edit"),
    path("certificates/<int:pk>/delete/", views.certificate_delete, name="certificate_delete"),
    path(
        "certificates/<int:pk>/public-key/",
        views.public_key_download,
        name="public_key_download",
    ),
    path("certificates/<int:pk>/keystore/", views.keystore_download, name="keystore_download"),
    path(
        "certificates/<int:pk>/partner-keystore/",
        views.partner_keystore_download,
        name="partner_keystore_download",
    ),
]

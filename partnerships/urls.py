from django.urls import path

from partnerships import views

app_name = "partnerships"

urlpatterns = [
    path("instances/", views.instance_list, name="instance_list"),
    path("instances/new/", views.instance_edit, name="instance_create"),
    path("instances/<int:pk>/", views.instance_edit, name="instance_edit"),
    path("instances/<int:pk>/delete/", views.instance_delete, name="instance_delete"),
    path("partners/", views.partner_list, name="partner_list"),
    path("partners/new/", views.partner_edit, name="partner_create"),
    path("partners/<int:pk>/", views.partner_edit, name="partner_edit"),
    path("partners/<int:pk>/delete/", views.partner_delete, name="partner_delete"),
    path("partnerships/", views.partnership_list, name="partnership_list"),
    path("partnerships/new/", views.partnership_edit, name="partnership_create"),
    path("partnerships/<int:pk>/", views.partnership_edit, name="partnership_edit"),
    path("partnerships/<int:pk>/delete/", views.partnership_delete, name="partnership_delete"),
]

"""Operators' admin: every row shows its tenant, and rows never cross tenants.

A partnership's rules are `partnerships.services.partnership_validate` (run by the model's
`clean()` in the admin's form) and it is saved by `partnership_save`. Adding one starts by
choosing its tenant (`?tenant=<id>`); the form then offers only that tenant's instances and
partners. The tenant, instance and partner of a saved partnership are read-only.
"""

import uuid

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import ForeignKey
from django.forms import ModelChoiceField
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from partnerships.models import As2Instance, Partner, Partnership
from partnerships.services import partnership_save
from serverless_as2.admin import ReadableLabelsAdmin
from serverless_as2.models import Tenant


class TenantOwnedAdmin(ReadableLabelsAdmin):
    """A row's tenant is chosen once: its related rows and stored files belong to it."""

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "tenant"] if obj else fields


@admin.register(As2Instance)
class As2InstanceAdmin(TenantOwnedAdmin):
    list_display = ["my_as2_id", "my_name", "tenant", "enabled"]
    list_filter = ["tenant", "enabled"]
    search_fields = ["my_as2_id", "my_name"]


@admin.register(Partner)
class PartnerAdmin(TenantOwnedAdmin):
    list_display = ["partner_as2_id", "partner_name", "tenant", "enabled"]
    list_filter = ["tenant", "enabled"]
    search_fields = ["partner_as2_id", "partner_name"]


def _chosen_tenant(request: HttpRequest) -> Tenant | None:
    """The tenant named by ?tenant=<id> on the add page (the admin also preselects it)."""
    try:
        return Tenant.objects.filter(pk=uuid.UUID(request.GET.get("tenant", ""))).first()
    except ValueError:
        return None


@admin.register(Partnership)
class PartnershipAdmin(TenantOwnedAdmin):
    list_display = ["instance", "partner", "tenant", "as2_url", "encrypt", "sign", "mdn_mode"]
    list_filter = ["tenant", "encrypt", "sign", "mdn_mode"]
    search_fields = ["instance__my_as2_id", "partner__partner_as2_id"]
    list_select_related = ["instance", "partner", "tenant"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "instance", "partner"] if obj else fields

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            # Before the chooser: it lists every tenant, which only an operator who may add
            # partnerships needs to see (a staff user without the permission gets a 403).
            raise PermissionDenied
        if _chosen_tenant(request) is None:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Choose the partnership's tenant",
                "tenants": Tenant.objects.all(),
            }
            template = "admin/partnerships/partnership/choose_tenant.html"
            return TemplateResponse(request, template, context)
        return super().add_view(request, form_url, extra_context)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs
    ) -> ModelChoiceField | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        tenant = _chosen_tenant(request)
        if field is not None and tenant is not None:
            # Only the chosen tenant, its instances and its partners are offered.
            if db_field.name == "tenant":
                field.queryset = field.queryset.filter(pk=tenant.pk)
            elif db_field.name in ("instance", "partner"):
                field.queryset = field.queryset.filter(tenant=tenant)
        return field

    def save_model(self, request: HttpRequest, obj: Partnership, form, change: bool) -> None:
        partnership_save(partnership=obj)

"""Operators' admin: every row shows its tenant, and rows never cross tenants.

A partnership's rules are `partnerships.services.partnership_validate` (run by the model's
`clean()` in the admin's form) and it is saved by `partnership_save`. The admin offers only
the chosen tenant's instances and partners (`?tenant=<id>` on the add page, the row's own
tenant on its change page) and labels each with its tenant; the tenant, instance and
partner of a saved partnership are read-only.
"""

import uuid

from django.contrib import admin
from django.db.models import ForeignKey
from django.forms import ModelChoiceField
from django.http import HttpRequest

from partnerships.models import As2Instance, Partner, Partnership
from partnerships.services import partnership_save


class TenantOwnedAdmin(admin.ModelAdmin):
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


def _chosen_tenant_id(request: HttpRequest) -> uuid.UUID | None:
    """The tenant named by ?tenant=<id> on the add page (the admin also preselects it)."""
    try:
        return uuid.UUID(request.GET.get("tenant", ""))
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

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs
    ) -> ModelChoiceField | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in ("instance", "partner") and field is not None:
            rows = field.queryset.select_related("tenant")
            tenant_id = _chosen_tenant_id(request)
            field.queryset = rows.filter(tenant_id=tenant_id) if tenant_id else rows
            field.label_from_instance = lambda row: f"{row} ({row.tenant})"
        return field

    def save_model(self, request: HttpRequest, obj: Partnership, form, change: bool) -> None:
        partnership_save(partnership=obj)

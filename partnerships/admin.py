"""Operators' admin: every row shows its tenant."""

from django.contrib import admin

from partnerships.models import As2Instance, Partner, Partnership


@admin.register(As2Instance)
class As2InstanceAdmin(admin.ModelAdmin):
    list_display = ["my_as2_id", "my_name", "tenant", "enabled"]
    list_filter = ["tenant", "enabled"]
    search_fields = ["my_as2_id", "my_name"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["partner_as2_id", "partner_name", "tenant", "enabled"]
    list_filter = ["tenant", "enabled"]
    search_fields = ["partner_as2_id", "partner_name"]


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["instance", "partner", "tenant", "as2_url", "encrypt", "sign", "mdn_mode"]
    list_filter = ["tenant", "encrypt", "sign", "mdn_mode"]
    search_fields = ["instance__my_as2_id", "partner__partner_as2_id"]
    list_select_related = ["instance", "partner", "tenant"]

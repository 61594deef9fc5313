"""Operators' admin: certificates by tenant; secrets and keystores are never shown."""

from django.contrib import admin

from certificates.models import Certificate, PartnerCertificate
from serverless_as2.admin import ReadableLabelsAdmin


class PartnerCertificateInline(admin.TabularInline):
    model = PartnerCertificate
    fields = ["subject", "serial", "not_after", "in_use_from", "in_use_until"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Certificate)
class CertificateAdmin(ReadableLabelsAdmin):
    """Read-only: certificates change only through the services (files and rows together)."""

    list_display = ["partnership", "tenant", "origin", "my_not_after", "public_key_key"]
    list_filter = ["tenant", "origin"]
    search_fields = [
        "partnership__instance__my_as2_id",
        "partnership__partner__partner_as2_id",
        "public_key_key",
    ]
    list_select_related = ["partnership__instance", "partnership__partner", "tenant"]
    fields = [
        "tenant",
        "partnership",
        "origin",
        "private_key_alias",
        "partner_alias",
        "public_key_key",
        "keystore_key",
        "my_not_before",
        "my_not_after",
        "created",
        "updated",
    ]
    readonly_fields = fields
    inlines = [PartnerCertificateInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the certificate page deletes the stored files too

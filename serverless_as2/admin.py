"""Operators' admin for tenants and users (staff only), and the admin's branding."""

import re

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from serverless_as2.models import Tenant, User

admin.site.site_header = "Serverless AS2 administration"
admin.site.site_title = "Serverless AS2 administration"
admin.site.index_title = "Tenants, users and their AS2 records"
# "View site": the home page, which tells an operator without a tenant where to go.
admin.site.site_url = "/"

_WORDS = {"as2": "AS2", "id": "ID", "mdn": "MDN", "url": "URL", "cte": "CTE"}


def readable_label(name: str) -> str:
    """An admin label for a product field name: "my_as2_id" -> "My AS2 ID (my_as2_id)".

    The product's names (snake_case or camelCase) stay in brackets so operators and users
    speak of the same field; a plain-words name ("Status") is returned as it is.
    """
    if " " in name or ("_" not in name and name[1:] == name[1:].lower()):
        return name[:1].upper() + name[1:]
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).replace("_", " ").split()
    plain = " ".join(_WORDS.get(word.lower(), word.lower()) for word in words)
    return f"{plain[:1].upper()}{plain[1:]} ({name})"


class ReadableLabelsAdmin(admin.ModelAdmin):
    """Form fields labelled in plain words, with the product's field name beside them."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(db_field.verbose_name, str):
            field.label = readable_label(db_field.verbose_name)
        return field


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "id", "created"]
    search_fields = ["name", "id"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "tenant", "is_staff", "is_active"]
    list_filter = ["tenant", "is_staff", "is_active"]
    search_fields = ["email"]
    fieldsets = [
        (None, {"fields": ["email", "password", "tenant"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "tenant", "password1", "password2"]}),
    ]

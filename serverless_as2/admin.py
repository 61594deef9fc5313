"""Operators' admin for tenants and users (staff only)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from serverless_as2.models import Tenant, User


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

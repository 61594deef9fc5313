"""Operators' admin: messages by tenant, read-only (they change only through the services)."""

from django.contrib import admin

from tracklog.models import Message, MessageEvent


class MessageEventInline(admin.TabularInline):
    model = MessageEvent
    fields = ["at", "status", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-only: a message's rows and stored files change only through tracklog.services."""

    list_display = [
        "message_id",
        "tenant",
        "direction",
        "sender",
        "receiver",
        "status",
        "filename",
        "size",
        "created",
        "updated",
    ]
    list_filter = ["tenant", "direction", "status"]
    search_fields = ["message_id", "sender", "receiver", "filename"]
    list_select_related = ["tenant"]
    date_hierarchy = "created"
    inlines = [MessageEventInline]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [field.name for field in Message._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # stored files (raw, payload, MDN) go with the row: not from the admin

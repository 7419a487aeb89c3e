"""The outbox in the admin: superusers see each queued, sent or failed e-mail (read
only), so that a message the mail server kept refusing is visible with its error. The
bodies are not shown: an invitation carries a one-time link to set a password."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tracker.models import OutgoingMessage


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipients", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["state"]
    search_fields = ["subject", "key", "message_id"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "key",
        "message_id",
        "from_email",
        "recipients",
        "subject",
        "state",
        "attempts",
        "created_at",
        "due_at",
        "sent_at",
        "last_error",
    ]
    fields = list(readonly_fields)

    @admin.display(description=_("to"))
    def recipients(self, message: OutgoingMessage) -> str:
        return ", ".join([*message.to, *message.cc, *message.bcc])

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

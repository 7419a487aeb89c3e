"""The managers' triage of readers' evidence in the admin: each submission of their
programmes, with a decision (accept as a source, reject with a reason, mark as a
duplicate) carried out by tracker.editorial.evidence."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tracker.editorial import evidence
from tracker.editorial.scopes import programmes_for
from tracker.models import EvidenceSubmission, Source


class Decision(forms.Form):
    CHOICES = [
        ("", _("Not yet")),
        ("accept", _("Accept as a source")),
        ("reject", _("Reject, with a reason for the reader")),
        ("duplicate", _("Duplicate of other evidence")),
    ]


class TriageForm(forms.ModelForm):
    decision = forms.ChoiceField(label=_("decision"), choices=Decision.CHOICES, required=False)
    source_title = forms.CharField(label=_("source title"), max_length=300, required=False)
    publisher = forms.CharField(label=_("publisher"), max_length=200, required=False)
    kind = forms.ChoiceField(
        label=_("kind of source"), choices=Source.Kind.choices, initial=Source.Kind.THIRD_PARTY
    )

    class Meta:
        model = EvidenceSubmission
        fields = ["reason", "duplicate_of"]

    def clean(self):
        data = super().clean() or {}
        decision = data.get("decision")
        if decision == "accept":
            for name in ("source_title", "publisher"):
                if not data.get(name):
                    self.add_error(name, _("A source needs a title and a publisher."))
        if decision == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reader a reason."))
        if decision == "duplicate" and not data.get("duplicate_of"):
            self.add_error("duplicate_of", _("Choose the evidence this repeats."))
        return data


@admin.register(EvidenceSubmission)
class EvidenceSubmissionAdmin(admin.ModelAdmin):
    form = TriageForm
    list_display = ["subject", "programme", "state", "created_at"]
    list_filter = ["state"]
    readonly_fields = [
        "programme",
        "target",
        "milestone",
        "project",
        "url",
        "document_reference",
        "quote",
        "value",
        "as_of",
        "contact_email",
        "language",
        "state",
        "created_at",
        "decided_by",
        "decided_at",
        "source",
        "change",
    ]
    fieldsets = [
        (
            _("Evidence"),
            {
                "fields": [
                    "programme",
                    "target",
                    "milestone",
                    "project",
                    "url",
                    "document_reference",
                    "quote",
                    "value",
                    "as_of",
                    "contact_email",
                    "language",
                    "created_at",
                ]
            },
        ),
        (
            _("Decision"),
            {
                "fields": [
                    "state",
                    "decision",
                    "source_title",
                    "publisher",
                    "kind",
                    "reason",
                    "duplicate_of",
                    "decided_by",
                    "decided_at",
                    "source",
                    "change",
                ]
            },
        ),
    ]

    @admin.display(description=_("about"))
    def subject(self, obj: EvidenceSubmission) -> str:
        return obj.subject

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .filter(programme__in=programmes_for(request.user).values("pk"))
            .select_related("programme", "target", "milestone", "project")
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "duplicate_of":
            kwargs["queryset"] = self.get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # Managers of a programme triage its evidence; nobody adds or deletes it here.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff and _manages_any(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        decision = data.get("decision")
        # The form has set the reason and duplicate on `obj`; the decision saves them.
        fresh = EvidenceSubmission.objects.get(pk=obj.pk)
        try:
            if decision == "accept":
                result = evidence.accept(
                    submission=fresh,
                    by=request.user,
                    title=data["source_title"],
                    publisher=data["publisher"],
                    kind=data["kind"],
                    reason=data.get("reason") or "",
                )
                if result is None:
                    messages.warning(
                        request,
                        _(
                            "The record already has its evidence: the source is kept, but "
                            "not public until a record cites it."
                        ),
                    )
                elif result.state == result.State.PENDING:
                    messages.info(
                        request,
                        _("The figure waits for another manager to publish it (review queue)."),
                    )
            elif decision == "reject":
                evidence.reject(submission=fresh, by=request.user, reason=data["reason"])
            elif decision == "duplicate":
                evidence.mark_duplicate(
                    submission=fresh,
                    by=request.user,
                    duplicate_of=data["duplicate_of"],
                    reason=data.get("reason") or "",
                )
            elif fresh.state == EvidenceSubmission.State.PENDING:
                fresh.reason = data.get("reason") or ""
                fresh.save(update_fields=["reason"])
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))


def _manages_any(request: HttpRequest) -> bool:
    return programmes_for(request.user).exists()

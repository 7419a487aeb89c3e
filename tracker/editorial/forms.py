"""Admin forms: every edit may say why, some must, and a stale form never overwrites."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from tracker.editorial import files, publishing
from tracker.editorial.scopes import is_manager_of
from tracker.models import EvidenceFile


class StaleCheckedForm(forms.ModelForm):
    """Remembers the version of the record it was loaded with, to refuse a save made
    after someone else's."""

    loaded_version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and getattr(self.instance, "updated_at", None):
            self.fields["loaded_version"].initial = self.instance.updated_at.isoformat()

    def clean(self):
        cleaned = super().clean()
        self.refuse_if_stale(self.cleaned_data.get("loaded_version"))
        return cleaned

    def refuse_if_stale(self, loaded: str | None) -> None:
        """If someone saved this record after this form was loaded, say what they changed
        and refuse, so that nothing is overwritten silently."""
        if not self.instance.pk or not loaded:
            return
        loaded_at = parse_datetime(loaded)
        model = type(self.instance)
        current = model.objects.filter(pk=self.instance.pk)
        if transaction.get_connection().in_atomic_block:
            # Locked until this save commits: a second save of the same stale form, posted
            # at the same moment, waits here and then sees the first one's version.
            current = current.select_for_update(of=("self",)).order_by()
        current = current.values_list("updated_at", flat=True)
        if loaded_at is None or not current or current[0] <= loaded_at:
            return
        # Each historical record keeps the `updated_at` of the save that made it.
        history = self.instance.history.order_by("history_date", "history_id")
        before = history.filter(updated_at__lte=loaded_at).last()
        since = list(history.filter(updated_at__gt=loaded_at))
        who = sorted({str(r.history_user) for r in since if r.history_user}) or [str(_("someone"))]
        changes = []
        if before is not None and since:
            for change in since[-1].diff_against(before).changes:
                if not change.old and not change.new:
                    continue  # None and "" are the same empty text to a person
                field = model._meta.get_field(change.field)
                changes.append(f"{capfirst(field.verbose_name)}: {change.old} → {change.new}")
        raise forms.ValidationError(
            _(
                "While you were editing, %(who)s saved this record (last at %(when)s). "
                "Changed meanwhile: %(changes)s. Your changes were not saved: reload the "
                "page to see the current version, then make them again."
            )
            % {
                "who": ", ".join(who),
                "when": date_format(localtime(current[0]), "DATETIME_FORMAT"),
                "changes": "; ".join(changes) or _("no visible field"),
            },
            code="stale",
        )


class EditableRowForm(StaleCheckedForm):
    """A row of an editable admin list: a row someone else saved after the list was
    loaded is refused, with the message in the row's first editable cell."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError as error:
            shown = [name for name, field in self.fields.items() if not field.widget.is_hidden]
            self.add_error(shown[0] if shown else None, error)
            return self.cleaned_data


class TrackerForm(StaleCheckedForm):
    """Keeps the reason for a change, and refuses a save made from an outdated form."""

    change_reason = forms.CharField(
        label=_("Reason for this change"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown in the history beside who made the change and when."),
    )

    def clean(self):
        cleaned = super().clean()
        needing = publishing.REASON_FIELDS.get(self._meta.model, ())
        changed = [name for name in self.changed_data if name in needing]
        if self.instance.pk and changed and not cleaned.get("change_reason", "").strip():
            labels = ", ".join(str(self.fields[name].label) for name in changed)
            self.add_error(
                "change_reason",
                _("Changing %(fields)s is shown to the public: give the reason.")
                % {"fields": labels},
            )
        return cleaned

    def _post_clean(self):
        super()._post_clean()  # type: ignore[misc]  # the form's, after the mixin
        # Say here, next to the form, what the publishing path would refuse on saving.
        user = getattr(self, "current_user", None)
        if user is None or self.errors or not self.reviewed():
            return
        names = {field.name for field in publishing.m2m_fields(self._meta.model)}
        m2m = {n: self.cleaned_data[n] for n in self.changed_data if n in names}
        reason = publishing.refusal(instance=self.instance, by=user, m2m=m2m)
        if reason:
            self.add_error(None, reason)

    def reviewed(self) -> bool:
        """Whether the record is saved through the publishing path (publishing.py)."""
        return self._meta.model in publishing.REVIEWED_MODELS


class ProjectOrProgrammeForm(TrackerForm):
    """A target, milestone or update: the programme follows from the project."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "programme" in self.fields:
            self.fields["programme"].required = False
            self.fields["programme"].help_text = _("Filled in from the project when empty.")

    def clean(self):
        cleaned = super().clean()
        project, programme = cleaned.get("project"), cleaned.get("programme")
        if "programme" in self.fields and not project and not programme:
            self.add_error("programme", _("Give the project, or the programme it belongs to."))
        user = getattr(self, "current_user", None)
        for_the_programme = not project and programme and "project" in self.fields
        if user is not None and for_the_programme and not is_manager_of(user, programme):
            self.add_error(
                "project",
                _(
                    "Only a manager of the programme can record something for the whole "
                    "programme: choose one of your projects."
                ),
            )
        return cleaned


class TargetForm(ProjectOrProgrammeForm):
    pass


class MilestoneForm(ProjectOrProgrammeForm):
    pass


class ProgressUpdateForm(ProjectOrProgrammeForm):
    def clean(self):
        cleaned = super().clean()
        if "_return" in self.data and not (cleaned.get("review_comment") or "").strip():
            self.add_error(
                "review_comment", _("Say what needs changing: a returned update needs a comment.")
            )
        return cleaned


class MeasurementForm(TrackerForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "source" in self.fields:
            self.fields["source"].error_messages["required"] = _(
                "A published figure needs its source: a document, a press report, an "
                "official statistic or a site visit. Add the source first if it is new."
            )

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get("target")
        if target is not None and transaction.get_connection().in_atomic_block:
            # Two people adding a figure for the same target and date at once: the second
            # waits here, then is told the date is taken, instead of a server error.
            targets = target._meta.model.objects.filter(pk=target.pk).order_by()
            list(targets.select_for_update(of=("self",)).values("pk"))
        return cleaned


class EvidenceFileForm(TrackerForm):
    """A file attached to a source, or a photo to an update or milestone: checked by its
    content as it comes in (tracker.editorial.files), stored when the record is saved."""

    upload = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("A PDF, an image (JPEG, PNG, GIF, WebP) or a spreadsheet (XLSX, ODS, CSV)."),
    )
    # What a new row of this form is (photo, or a source's document); a source's row may
    # say it is an archived copy.
    default_kind = EvidenceFile.Kind.DOCUMENT

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # A stored file is kept as it is; a different file is a new row.
            self.fields["upload"].disabled = True
            self.fields["upload"].help_text = ""
        elif "kind" not in self.fields:
            self.instance.kind = self.default_kind

    def reviewed(self) -> bool:
        # A source's files go with the source (shared evidence, see SourceAdmin).
        return not self.instance.source_id and super().reviewed()

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind") or self.instance.kind or self.default_kind
        user = getattr(self, "current_user", None)
        if kind == EvidenceFile.Kind.ARCHIVE and user is not None and not is_a_manager(user):
            self.add_error("kind", _("Only a programme manager can attach an archived copy."))
            return cleaned
        upload = cleaned.get("upload")
        if self.instance.pk or upload is None:
            if not self.instance.pk:
                self.add_error("upload", _("Choose the file to attach."))
            return cleaned
        try:
            content = files.read_upload(upload)
            checked = files.check(
                content, upload.name, html_allowed=kind == EvidenceFile.Kind.ARCHIVE
            )
        except files.FileRefused as error:
            self.add_error("upload", str(error))
            return cleaned
        if kind == EvidenceFile.Kind.PHOTO and not checked.is_image:
            self.add_error("upload", _("A photo must be an image (JPEG, PNG, GIF or WebP)."))
            return cleaned
        checked.attach_to(self.instance)
        self.instance.uploaded_by = user
        if kind == EvidenceFile.Kind.ARCHIVE:
            # A saved copy was retrieved when it was saved, or, unless told, now.
            cleaned["retrieved_at"] = cleaned.get("retrieved_at") or timezone.now()
            self.instance.retrieved_at = cleaned["retrieved_at"]
            if self.instance.source_id and not self.instance.retrieved_from:
                self.instance.retrieved_from = self.instance.source.url
        return cleaned


class PhotoForm(EvidenceFileForm):
    default_kind = EvidenceFile.Kind.PHOTO

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["upload"].label = _("Photo")
        self.fields["upload"].help_text = _(
            "JPEG, PNG, GIF or WebP. The place the photo was taken (its EXIF data) is removed."
        )
        self.fields["upload"].widget.attrs["accept"] = "image/jpeg,image/png,image/gif,image/webp"


def is_a_manager(user) -> bool:
    return user.is_superuser or user.managed_programmes.exists()
